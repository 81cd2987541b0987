"""The console shell: login, home page, menus and a list and detail view for every model."""

from __future__ import annotations

import pytest

from console.views import MENU, NO_MENU

from .conftest import create_user, login


@pytest.fixture(scope="module")
def admin(app):
    return create_user(app, "directrice", "Admin")


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


def test_login_page_is_in_french(client):
    page = client.get("/login/").get_data(as_text=True)
    assert "Nom d'utilisateur" in page or "Identifiant" in page or "utilisateur" in page.lower()


def test_wrong_password_is_refused(client, admin):
    page = login(client, "directrice", "not-the-password").get_data(as_text=True)
    assert "Tableau de bord" not in page


def test_home_page_shows_key_figures_after_login(client, admin):
    page = login(client, "directrice").get_data(as_text=True)
    assert "Tableau de bord" in page
    assert "Ventes du mois" in page
    assert "Taxes dues du mois" in page


@pytest.mark.parametrize("view", [v for v, *_ in MENU] + NO_MENU, ids=lambda v: v.__name__)
def test_every_list_view_answers_for_admin(client, admin, view):
    login(client, "directrice")
    response = client.get(f"/{view.__name__.lower()}/list/")
    assert response.status_code == 200, view.__name__


def test_security_headers_are_set(client, admin):
    login(client, "directrice")
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
