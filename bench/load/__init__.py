"""Load test and fault drill: gunicorn, RQ worker and Redis under simulated users (issue #8).

python -m bench.load --scale 1m            # 50 users, 2 minutes, drill included
python -m bench.load --scale 20k --users 10 --duration 30
"""
