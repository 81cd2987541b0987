"""What operators see: a health check for the load balancer and a log line per request."""

from __future__ import annotations

import json
import logging
import time

from flask import Flask, g, jsonify, request
from sqlalchemy import text

request_log = logging.getLogger("isoko.request")


def check_health(app: Flask) -> tuple[dict, bool]:
    """Database and Redis reachability; Redis is optional (degraded, not down)."""
    from console.extensions import db

    checks: dict[str, str] = {}
    healthy = True
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means the database is unreachable
        checks["database"] = f"erreur: {exc.__class__.__name__}"
        healthy = False
    finally:
        db.session.rollback()
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        try:
            import redis

            redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001 - Redis down degrades caching and the queue only
            checks["redis"] = f"dégradé: {exc.__class__.__name__}"
    else:
        checks["redis"] = "non configuré"
    return checks, healthy


def install_observability(app: Flask) -> None:
    """Register /health (public: a load balancer cannot log in) and per-request logs."""

    @app.route("/health")
    def health():
        checks, healthy = check_health(app)
        return jsonify(status="ok" if healthy else "erreur", checks=checks), 200 if healthy else 503

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.pop("request_started", None)
        if started is not None and request.endpoint not in {"static", "appbuilder.static"}:
            user = getattr(g, "user", None)
            request_log.info(
                json.dumps(
                    {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "user": getattr(user, "username", None),
                    },
                    ensure_ascii=False,
                )
            )
        return response
