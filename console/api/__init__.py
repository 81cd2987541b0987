"""The integration API: the storefront and the cooperatives' tablets send sales, payments and returns."""

from __future__ import annotations

from flask import current_app


def register_integration_api(appbuilder) -> None:
    """Add the integration API with its per-client rate limit (Flask-Limiter, through FAB)."""
    from flask_appbuilder.utils.limit import Limit

    from .guard import client_rate_key, rate_limited
    from .orders import IntegrationApi

    app = current_app._get_current_object()
    # A callable, so the limit is read at each request (ISOKO_API_RATE_LIMIT, tests).
    IntegrationApi.limits = [
        Limit(
            lambda: app.config["API_RATE_LIMIT"], key_func=client_rate_key, on_breach=rate_limited
        )
    ]
    appbuilder.add_api(IntegrationApi)
