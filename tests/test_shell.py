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


LIST_VIEWS = [v for v in [v for v, *_ in MENU] + NO_MENU if hasattr(v, "datamodel")]


@pytest.mark.parametrize("view", LIST_VIEWS, ids=lambda v: v.__name__)
def test_every_list_view_answers_for_admin(client, admin, view):
    login(client, "directrice")
    response = client.get(f"/{view.__name__.lower()}/list/")
    assert response.status_code == 200, view.__name__


def test_security_headers_are_set(client, admin):
    login(client, "directrice")
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_search_form_offers_a_drop_down_of_a_table_that_grows_with_sales(app):
    """FAB fills a relation filter with every row of the related table: never for big ones
    (a view's ``search_choice_columns`` fetch their options as the user types instead)."""
    from flask_appbuilder import ModelView

    from console import models as m

    growing = {m.Order, m.OrderLine, m.Payment, m.Buyer, m.Listing, m.AuditEvent}
    offenders = []
    for view in app.appbuilder.baseviews:
        if not isinstance(view, ModelView):
            continue
        for column in view.search_columns:
            if column in getattr(view, "search_choice_columns", {}):
                continue
            if view.datamodel.is_relation(column):
                target = view.datamodel.get_related_model(column)
                if target in growing:
                    offenders.append(f"{type(view).__name__}.{column} → {target.__name__}")
    assert offenders == []
