"""A session ends on the server: a cookie replayed after sign-out, a new password, a
deactivation or a change of roles no longer opens the console."""

from __future__ import annotations

import html

import pytest

from .conftest import PASSWORD, create_user, login, signed_in_client

PROTECTED = "/cooperativeview/list/"
NEW_PASSWORD = "Nouveau-Code-2024!"


def _signed_in(app, username, password=PASSWORD):
    client = app.test_client()
    assert "/logout/" in login(client, username, password).get_data(as_text=True)
    return client


def _replay(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def _opens_the_console(client) -> bool:
    return client.get(PROTECTED).status_code == 200


@pytest.fixture(scope="module")
def admin(app):
    return signed_in_client(app, "admin.sessions", "Admin")


def test_a_cookie_copied_before_sign_out_no_longer_works(app):
    create_user(app, "agent.sortie", "Ministère")
    client = _signed_in(app, "agent.sortie")
    stolen = _replay(app, client)
    assert _opens_the_console(stolen)
    client.get("/logout/")
    assert not _opens_the_console(stolen)
    assert _opens_the_console(_signed_in(app, "agent.sortie"))  # signing in again works


def test_changing_ones_password_needs_the_current_one_and_ends_other_sessions(app):
    create_user(app, "agent.motdepasse", "PNUD")
    here = _signed_in(app, "agent.motdepasse")
    elsewhere = _signed_in(app, "agent.motdepasse")
    refused = here.post(
        "/resetmypassword/form",
        data={
            "current_password": "pas-le-bon",
            "password": NEW_PASSWORD,
            "conf_password": NEW_PASSWORD,
        },
    )
    assert "Mot de passe actuel incorrect." in html.unescape(refused.get_data(as_text=True))
    assert _opens_the_console(elsewhere)  # nothing changed
    here.post(
        "/resetmypassword/form",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "conf_password": NEW_PASSWORD,
        },
    )
    assert _opens_the_console(here)  # the session the change was made from goes on
    assert not _opens_the_console(elsewhere)
    assert _opens_the_console(_signed_in(app, "agent.motdepasse", NEW_PASSWORD))


def test_a_password_reset_by_the_admin_ends_the_users_sessions(app, admin):
    user_id = create_user(app, "agent.reinit", "PNUD")
    user = _signed_in(app, "agent.reinit")
    admin.post(
        f"/resetpassword/form?pk={user_id}",
        data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD},
    )
    assert not _opens_the_console(user)
    assert _opens_the_console(admin)


def test_deactivating_a_user_or_changing_their_roles_ends_their_sessions(app):
    from console.extensions import db

    create_user(app, "agent.desactive", "Ministère")
    create_user(app, "agent.rolechange", "Ministère")
    deactivated = _signed_in(app, "agent.desactive")
    moved = _signed_in(app, "agent.rolechange")
    with app.app_context():
        sm = app.appbuilder.sm
        sm.find_user(username="agent.desactive").active = False
        sm.find_user(username="agent.rolechange").roles = [sm.find_role("PNUD")]
        db.session.commit()
    assert not _opens_the_console(deactivated)
    assert not _opens_the_console(moved)


def test_the_admin_screen_role_change_ends_the_users_sessions(app, admin):
    user_id = create_user(app, "agent.ecran", "Ministère")
    user = _signed_in(app, "agent.ecran")
    with app.app_context():
        role = str(app.appbuilder.sm.find_role("PNUD").id)
    admin.post(
        f"/users/edit/{user_id}",
        data={
            "first_name": "Agent",
            "last_name": "Ecran",
            "username": "agent.ecran",
            "active": "y",
            "email": "agent.ecran@isoko.test",
            "roles": [role],
        },
    )
    with app.app_context():
        assert [r.name for r in app.appbuilder.sm.find_user(username="agent.ecran").roles] == [
            "PNUD"
        ]
    assert not _opens_the_console(user)


def test_password_forms_speak_french_and_refuse_the_username(app, admin):
    create_user(app, "agent.francais", "PNUD")
    client = _signed_in(app, "agent.francais")
    page = html.unescape(client.get("/resetmypassword/form").get_data(as_text=True))
    assert "Mot de passe actuel" in page and "Confirmez le mot de passe" in page
    for english in (
        "Please use a good password policy",
        "Confirm Password",
        "Please rewrite the password to confirm",
        "Reset Password Form",
    ):
        assert english not in page
    refused = html.unescape(
        client.post(
            "/resetmypassword/form",
            data={
                "current_password": PASSWORD,
                "password": "Agent.Francais-2024",
                "conf_password": "Agent.Francais-2024",
            },
        ).get_data(as_text=True)
    )
    assert "ne doit pas contenir l'identifiant" in refused
    weak = html.unescape(
        client.post(
            "/resetmypassword/form",
            data={"current_password": PASSWORD, "password": "abc", "conf_password": "abd"},
        ).get_data(as_text=True)
    )
    assert "Mot de passe trop faible" in weak and "doivent être identiques" in weak
    assert _opens_the_console(_signed_in(app, "agent.francais"))  # the password did not change
    user_id = create_user(app, "agent.admin.reset", "PNUD")
    admin_page = html.unescape(
        admin.post(
            f"/resetpassword/form?pk={user_id}",
            data={
                "password": "xxAGENT.ADMIN.RESETxx12!",
                "conf_password": "xxAGENT.ADMIN.RESETxx12!",
            },
        ).get_data(as_text=True)
    )
    assert "ne doit pas contenir l'identifiant" in admin_page
    assert admin.get("/resetpassword/form?pk=999999999").status_code == 404
