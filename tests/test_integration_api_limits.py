"""Each integration API client has its own rate limit (Flask-Limiter through FAB), logged when hit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from console import models as m

from .api_support import build_api_world, headers
from .conftest import build_app, dispose_database, make_database_url


@pytest.fixture(scope="module")
def app(backend, tmp_path_factory):
    """An app with the rate limiter on (the suite's other apps run without it)."""
    url = make_database_url(backend, tmp_path_factory)
    application = build_app(
        url,
        {
            "RATELIMIT_ENABLED": True,
            "API_RATE_LIMIT": "3 per minute",
            "RATELIMIT_STORAGE_URI": "memory://",
        },
    )
    yield application
    with application.app_context():
        from console.extensions import db

        db.session.remove()
        db.engine.dispose()
    dispose_database(url)


def test_each_client_has_its_own_rate_limit(app):
    world = build_api_world(app)
    api = app.test_client()
    url = "/api/v1/integration/orders/1"
    statuses = [api.get(url, headers=headers(world.tablet_token)).status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    limited = api.get(url, headers=headers(world.tablet_token))
    assert "Trop de requêtes" in limited.get_json()["errors"][0]["message"]
    # Another client keeps its own allowance.
    assert api.get(url, headers=headers(world.storefront_token)).status_code == 404
    from console.extensions import db

    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(
                    m.ApiCall.client_id == world.tablet_client_id, m.ApiCall.status == 429
                )
            )
            == 3
        )
