"""Sign-in rate limit: failures only, per account and per address; an Admin unlocks."""

from __future__ import annotations

import html

import pytest

from .conftest import PASSWORD, build_app, create_user, dispose_database, make_database_url

OFFICE = "41.79.20.1"  # one NAT address for a whole provincial office


@pytest.fixture(scope="module")
def throttled_app(backend, tmp_path_factory):
    url = make_database_url(backend, tmp_path_factory)
    application = build_app(
        url,
        {
            "AUTH_RATE_LIMITED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "AUTH_RATE_LIMIT": "5 per 15 minutes",
            "AUTH_ADDRESS_RATE_LIMIT": "20 per 15 minutes",
        },
    )
    yield application
    with application.app_context():
        from console.extensions import db

        db.session.remove()
        db.engine.dispose()
    dispose_database(url)


def _from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _sign_in(client, username, password=PASSWORD):
    response = client.post("/login/", data={"username": username, "password": password})
    return response.status_code


def _signed_in(client) -> bool:
    return client.get("/cooperativeview/list/").status_code == 200


def test_ten_colleagues_behind_one_address_all_sign_in(throttled_app):
    for n in range(12):
        create_user(throttled_app, f"collegue.{n}", "PNUD")
    for n in range(12):
        client = _from(throttled_app, OFFICE)
        assert _sign_in(client, f"collegue.{n}") == 302
        assert _signed_in(client), f"collegue.{n} refused"


def test_failures_lock_the_account_from_any_address_with_a_french_message(throttled_app):
    create_user(throttled_app, "cible.compte", "PNUD")
    answers = [
        _sign_in(_from(throttled_app, f"10.1.0.{n}"), "cible.compte", "mauvais") for n in range(6)
    ]
    assert answers == [302] * 5 + [429]
    refused = _from(throttled_app, "10.1.1.1").post(
        "/login/", data={"username": "Cible.Compte", "password": PASSWORD}
    )
    assert refused.status_code == 429  # even the right password, and whatever the case
    assert "Trop de tentatives de connexion échouées pour ce compte" in html.unescape(
        refused.get_data(as_text=True)
    )
    assert _sign_in(_from(throttled_app, "10.1.1.2"), "collegue.0") == 302  # others unaffected


def test_a_success_clears_the_accounts_failures(throttled_app):
    create_user(throttled_app, "distrait", "PNUD")
    client = _from(throttled_app, "10.2.0.1")
    for _ in range(4):
        _sign_in(client, "distrait", "mauvais")
    assert _sign_in(client, "distrait") == 302
    for _ in range(4):
        assert _sign_in(_from(throttled_app, "10.2.0.2"), "distrait", "mauvais") == 302


def test_one_address_trying_many_accounts_is_refused(throttled_app):
    client = _from(throttled_app, "10.3.0.1")
    answers = [_sign_in(client, f"inconnu.{n}", "mauvais") for n in range(21)]
    assert answers == [302] * 20 + [429]
    assert _sign_in(_from(throttled_app, "10.3.0.2"), "collegue.1") == 302


def test_the_admin_unlocks_an_account_from_the_users_screen(throttled_app):
    user_id = create_user(throttled_app, "bloque", "PNUD")
    create_user(throttled_app, "admin.deblocage", "Admin")
    for n in range(6):
        _sign_in(_from(throttled_app, f"10.4.0.{n}"), "bloque", "mauvais")
    assert _sign_in(_from(throttled_app, "10.4.1.1"), "bloque") == 429
    admin = _from(throttled_app, "10.4.2.1")
    assert _sign_in(admin, "admin.deblocage") == 302
    page = admin.post(f"/users/action/unlocklogin/{user_id}", follow_redirects=True)
    assert "Connexion débloquée : bloque." in html.unescape(page.get_data(as_text=True))
    with throttled_app.app_context():
        assert throttled_app.appbuilder.sm.find_user(username="bloque").fail_login_count == 0
    user = _from(throttled_app, "10.4.1.1")
    assert _sign_in(user, "bloque") == 302 and _signed_in(user)


def test_the_command_line_unlocks_an_address(throttled_app):
    client = _from(throttled_app, "10.5.0.1")
    for n in range(21):
        _sign_in(client, f"robot.{n}", "mauvais")
    assert _sign_in(client, "collegue.2") == 429
    result = throttled_app.test_cli_runner().invoke(args=["unlock-login", "--address", "10.5.0.1"])
    assert result.exit_code == 0, result.output
    assert _sign_in(client, "collegue.2") == 302
