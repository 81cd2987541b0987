"""What the browser may keep, and what production refuses to start with."""

from __future__ import annotations

import re

import pytest

from config import Config
from console import ConfigurationError, create_app

from .conftest import signed_in_client


@pytest.fixture(scope="module")
def signed_in(app):
    return signed_in_client(app, "agent.cache", "Ministère")


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/cooperativeview/list/",
        "/cooperativeview/csv/",
        "/users/userinfo/",
        "/dashboards/ventes",
        "/rapports/mes-rapports/",
    ],
)
def test_pages_exports_and_dashboards_of_a_signed_in_user_are_not_stored(signed_in, url):
    response = signed_in.get(url, buffered=True)
    assert response.status_code == 200, url
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(signed_in):
    page = signed_in.get("/dashboards/ventes").get_data(as_text=True)
    dash_script = re.search(r'src="(/dashboards/_dash-component-suites/[^"]+)"', page).group(1)
    for url in ("/static/isoko/isoko.css", "/static/appbuilder/css/ab.css", dash_script):
        response = signed_in.get(url)
        assert response.status_code == 200, url
        assert "no-store" not in response.headers.get("Cache-Control", ""), url


def _production(key):
    class Production(Config):
        ENV_NAME = "production"
        DEMO_MODE = False
        SECRET_KEY = key
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    return Production


def test_production_refuses_a_secret_key_shorter_than_32_bytes():
    with pytest.raises(ConfigurationError, match="trop courte"):
        create_app(_production("change-me-please"))
    create_app(_production("x" * 32))  # long enough: starts
