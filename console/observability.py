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


def may_read_health_details() -> bool:
    """Up/down for anyone (a load balancer); which component failed, and why, only for a
    signed-in Admin or a monitor sending ``X-Health-Token`` equal to ISOKO_HEALTH_TOKEN."""
    import hmac

    from flask import current_app
    from flask_login import current_user

    token = current_app.config.get("HEALTH_TOKEN")
    sent = request.headers.get("X-Health-Token", "")
    if token and hmac.compare_digest(sent.encode(), token.encode()):
        return True
    if not current_user.is_authenticated:
        return False
    from console.security.policy import ADMIN

    return any(role.name == ADMIN for role in current_user.roles)


def install_observability(app: Flask) -> None:
    """Register /health (public: a load balancer cannot log in) and per-request logs."""

    @app.route("/health")
    def health():
        checks, healthy = check_health(app)
        body = {"status": "ok" if healthy else "erreur"}
        if may_read_health_details():
            body["checks"] = checks
        return jsonify(body), 200 if healthy else 503

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
