"""gunicorn settings for Isoko: `gunicorn -c deploy/gunicorn.conf.py 'console:create_app()'`."""

import os

bind = os.environ.get("ISOKO_BIND", "127.0.0.1:8080")
# One worker per core this process may use (two at least), three threads each: a request
# is mostly Python (the database answers in about a millisecond), so more processes and
# threads than cores only add switching. Measured by `python -m bench --only ingest`
# (20 API clients, 2 cores, same database, alternate runs): 2 x 3 used 7.0-7.2 ms of
# gunicorn CPU per order where the former 4 x 4 used 8.0-8.1 (2 x 2: 7.9, 2 x 4: 7.4,
# 3 x 2: 7.7), and wrote 170-179 orders/s against 157-158. Reports are rendered by the
# RQ workers, not here.
_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
workers = int(os.environ.get("ISOKO_WORKERS", max(2, _cores or 1)))
worker_class = "gthread"
threads = int(os.environ.get("ISOKO_THREADS", 3))
# A synchronous PDF must not hold a worker forever; large reports run in the RQ worker.
timeout = int(os.environ.get("ISOKO_TIMEOUT", 120))
graceful_timeout = 30
# Idle keep-alive connections stay open longer than nginx keeps its upstream ones (60 s):
# the proxy closes first, and never reuses a connection gunicorn is closing at that
# moment (a reset, seen by the load test with clients idle exactly 5 s).
keepalive = int(os.environ.get("ISOKO_KEEPALIVE", 75))
# No recycling by default: a gthread worker restarting at max_requests resets the
# keep-alive connections it already accepted (gunicorn issue #3038), which the load test
# saw as "connection reset by peer". Set it only to bound a proven memory leak.
max_requests = int(os.environ.get("ISOKO_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
# Structured access log: one JSON object per request, with its duration in ms.
access_log_format = (
    '{"time":"%(t)s","remote":"%(h)s","method":"%(m)s","path":"%(U)s","query":"%(q)s",'
    '"status":%(s)s,"bytes":"%(B)s","duration_ms":%(M)s,"user_agent":"%(a)s"}'
)
forwarded_allow_ips = os.environ.get("ISOKO_FORWARDED_ALLOW_IPS", "127.0.0.1")
