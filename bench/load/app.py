"""The gunicorn entry point of the load test: the production app with one setting changed.

Every simulated user connects from 127.0.0.1, and the login rate limit (Flask-Limiter,
``AUTH_RATE_LIMIT``, 10 per 5 minutes by default) is counted per client address: 50
people logging in from 50 machines never share a counter, 50 simulated users on one
address do. config.py reads that limit from the class only (no environment variable),
so this factory raises it for the load test; the limiter stays on, Redis-backed, and
is exercised by every login, including those of the fault drill.
"""

from __future__ import annotations

import os

from flask import Flask

DEFAULT_LIMIT = "1000 per 5 minutes"


def create_app() -> Flask:
    """console.create_app with the environment's config and the load test's login limit."""
    from config import config_for_environment
    from console import create_app as console_app

    base = config_for_environment()
    limit = os.environ.get("ISOKO_LOAD_AUTH_RATE_LIMIT", DEFAULT_LIMIT)
    return console_app(type("LoadTestConfig", (base,), {"AUTH_RATE_LIMIT": limit}))
