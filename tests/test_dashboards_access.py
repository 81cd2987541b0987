"""Who may reach the dashboards: login on every /dashboards/ route, the roles policy per
dashboard (pages, callbacks, menu), CSRF on callbacks, and two apps in one process."""

from __future__ import annotations

import re

import pytest

from console.security.policy import ROLES, allows, is_declared

from .conftest import PASSWORD, build_app, close_app, create_user, login, make_database_url
from .dashboards_support import ROLE_USERS, signed_in, update_payload

DASHBOARD_CHART = {
    "ventes": "ventes-provinces",
    "mevente": "mevente-filieres",
    "recettes": "recettes-mensuel",
    "pilote": "pilote-parcours",
}
URL_PARAMS = {
    "path": "ventes",
    "filename": "isoko-dashboards.css",
    "package_name": "dash",
    "fingerprinted_path": "dcc/dash_core_components.v1.js",
}


@pytest.fixture(scope="module")
def users(app):
    for role, (username, provinces) in ROLE_USERS.items():
        create_user(app, username, role, provinces)
    return {role: username for role, (username, _) in ROLE_USERS.items()}


@pytest.fixture(scope="module")
def csrf_app(backend, tmp_path_factory):
    """A second app in the same process, with CSRF protection on as in production."""
    url = make_database_url(backend, tmp_path_factory)
    application = build_app(url, {"WTF_CSRF_ENABLED": True})
    create_user(application, "ministere.csrf", "Ministère")
    yield application
    close_app(application, url)


def dashboard_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/dashboards/")]


def _url(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda match: URL_PARAMS[match.group(1)], rule.rule)


def test_every_dashboards_route_sends_a_signed_out_visitor_to_login(app):
    client = app.test_client()
    rules = dashboard_rules(app)
    assert len(rules) >= 12
    for rule in rules:
        if "POST" in rule.methods:
            response = client.post(_url(rule), json=update_payload(_chart("ventes-provinces"), {}))
        else:
            response = client.get(_url(rule))
        if response.status_code == 302:
            assert "/login/" in response.headers["Location"], rule.rule
        else:
            assert response.status_code == 401, rule.rule
            assert response.get_json()["message"]


def test_every_dashboards_endpoint_names_a_permission_of_the_policy(app):
    for rule in dashboard_rules(app):
        permission, resource = app.view_functions[rule.endpoint]._isoko_permission
        assert permission == "can_read" and is_declared(resource), rule.rule


def _chart(key):
    from dashboards.charts import CHARTS

    return CHARTS[key]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("slug", list(DASHBOARD_CHART))
def test_each_role_opens_exactly_the_dashboards_the_policy_grants(app, users, role, slug):
    from dashboards.catalogue import BY_SLUG

    client = app.test_client()
    login(client, users[role])
    allowed = allows(role, "can_read", BY_SLUG[slug].resource)
    page = client.get(f"/dashboards/{slug}")
    assert page.status_code == (200 if allowed else 404)
    callback = client.post(
        "/dashboards/_dash-update-component", json=update_payload(_chart(DASHBOARD_CHART[slug]), {})
    )
    assert callback.status_code == (200 if allowed else 404)
    if not allowed:
        assert callback.get_json()["message"] == "Tableau de bord introuvable ou non autorisé."


@pytest.mark.parametrize("role", ROLES)
def test_the_menu_and_the_dashboard_list_show_only_the_dashboards_a_role_may_open(app, users, role):
    from dashboards.catalogue import DASHBOARDS
    from dashboards.shell import render_page

    client = app.test_client()
    login(client, users[role])
    home = client.get("/").get_data(as_text=True)
    with signed_in(app, users[role]):
        landing = str(render_page("/dashboards/", ""))
    assert "Tableaux de bord" in home
    for dashboard in DASHBOARDS:
        allowed = allows(role, "can_read", dashboard.resource)
        assert (f'href="{dashboard.path}"' in home) == allowed, dashboard.slug
        assert (f"'{dashboard.path}'" in landing) == allowed, dashboard.slug


def test_an_unknown_callback_is_refused_in_french(app, users):
    client = app.test_client()
    login(client, users["Ministère"])
    response = client.post(
        "/dashboards/_dash-update-component", json={"output": "inconnu.figure", "inputs": []}
    )
    assert response.status_code == 400
    assert response.get_json()["message"] == "Requête de tableau de bord invalide."


def _csrf_login(client, username):
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page
    )
    response = client.post(
        "/login/", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302 and "/login" not in response.headers["Location"]


def test_callbacks_need_the_csrf_token_the_page_hands_to_dash(csrf_app):
    client = csrf_app.test_client()
    _csrf_login(client, "ministere.csrf")
    page = client.get("/dashboards/ventes")
    cookie = client.get_cookie("isoko_dash_csrf", path="/dashboards/")
    assert page.status_code == 200 and cookie is not None
    assert '"csrf_token_name":"isoko_dash_csrf"' in page.get_data(as_text=True).replace(" ", "")
    payload = update_payload(_chart("ventes-provinces"), {})
    assert client.post("/dashboards/_dash-update-component", json=payload).status_code == 400
    forged = client.post(
        "/dashboards/_dash-update-component", json=payload, headers={"X-CSRFToken": "forged"}
    )
    assert forged.status_code == 400
    accepted = client.post(
        "/dashboards/_dash-update-component", json=payload, headers={"X-CSRFToken": cookie.value}
    )
    assert accepted.status_code == 200


def test_two_apps_in_one_process_each_serve_every_callback(app, users, csrf_app):
    from dashboards.callbacks import DECLARED

    outputs = []
    for application in (app, csrf_app):
        dash_app = application.extensions["isoko_dash"]
        outputs.append(set(dash_app.callback_map))
        assert len(dash_app.callback_map) == len(DECLARED)
    assert outputs[0] == outputs[1]
    client = app.test_client()
    login(client, users["Ministère"])
    dependencies = client.get("/dashboards/_dash-dependencies").get_json()
    assert {d["output"] for d in dependencies} == outputs[0]
