"""Security settings: CSRF, login rate limit, cookies, headers, secrets, and user accounts."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from config import Config
from console import ConfigurationError, create_app
from console import models as m

from .conftest import PASSWORD, build_app, close_app, create_user, login, make_database_url


@pytest.fixture(scope="module")
def guarded_app(backend, tmp_path_factory):
    """An app with production's protections on: CSRF, rate limit, secure cookies."""
    url = make_database_url(backend, tmp_path_factory)
    application = build_app(
        url,
        {
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": True,
            "AUTH_RATE_LIMITED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SESSION_COOKIE_SECURE": True,
        },
    )
    create_user(application, "agent.securite", "Ministère")
    yield application
    close_app(application, url)


def _https_client(application, address="127.0.0.1"):
    """A browser on HTTPS (secure cookies come back) from one address."""
    client = application.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "REMOTE_ADDR": address})
    return client


def _csrf_token(client, url="/login/") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_post_without_csrf_token_is_refused(guarded_app):
    client = _https_client(guarded_app)
    response = client.post("/login/", data={"username": "agent.securite", "password": PASSWORD})
    assert response.status_code == 400
    assert "Ce formulaire a expiré" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_the_real_login_form_works_with_its_token_and_sets_secure_cookies(guarded_app):
    client = _https_client(guarded_app)
    token = _csrf_token(client)
    response = client.post(
        "/login/", data={"username": "agent.securite", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    # a console form without its token is refused too, and writes nothing
    refused = client.post("/cohortview/add", data={"name": "Cohorte sans jeton", "year": "2025"})
    assert refused.status_code == 400
    with guarded_app.app_context():
        from console.extensions import db

        assert (
            db.session.scalar(sa.select(m.Cohort.id).where(m.Cohort.name == "Cohorte sans jeton"))
            is None
        )


def test_the_eleventh_rapid_failed_login_is_refused_with_429(guarded_app):
    client = _https_client(guarded_app, "10.9.9.9")
    token = _csrf_token(client)
    answers = [
        client.post(
            "/login/",
            data={"username": "agent.securite", "password": "mauvais", "csrf_token": token},
        ).status_code
        for _ in range(11)
    ]
    assert 429 not in answers[:10]
    assert answers[10] == 429
    page = html.unescape(
        client.post(
            "/login/",
            data={"username": "agent.securite", "password": PASSWORD, "csrf_token": token},
        ).get_data(as_text=True)
    )
    assert "Trop de tentatives de connexion" in page


def test_behind_a_proxy_each_client_has_its_own_limit_even_with_redis_down(
    backend, tmp_path_factory
):
    """X-Forwarded-For names the client (ISOKO_PROXY_COUNT=1); Redis down: counted in memory."""
    url = make_database_url(backend, tmp_path_factory)
    application = build_app(
        url,
        {
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "AUTH_RATE_LIMITED": True,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "PROXY_COUNT": 1,
            # the address's count decides here (the account's is checked elsewhere)
            "AUTH_RATE_LIMIT": "100 per 15 minutes",
            "AUTH_ADDRESS_RATE_LIMIT": "10 per 15 minutes",
        },
    )
    try:
        create_user(application, "agent.proxy", "Ministère")

        def attempts(client_address: str, count: int) -> list[int]:
            client = application.test_client()
            client.environ_base.update(
                {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": client_address}
            )
            return [
                client.post(
                    "/login/", data={"username": "agent.proxy", "password": "non"}
                ).status_code
                for _ in range(count)
            ]

        first = attempts("41.79.1.10", 11)
        assert first == [302] * 10 + [429]  # refused sign-ins go back to the form, then 429
        assert attempts("41.79.1.11", 1) == [302]  # another client behind the same proxy
    finally:
        close_app(application, url)


def test_security_headers_allow_fab_pages_and_forbid_framing(client):
    response = client.get("/login/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'unsafe-inline'" in csp  # FAB's templates use inline scripts
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_page_needs_login_except_login_and_static_files(client):
    for url in (
        "/",
        "/cooperativeview/list/",
        "/lang/en",
        "/back",
        "/api/v1/cooperative/",
        "/users/list/",
        "/auditeventview/list/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 401), url
        if response.status_code == 302:
            assert "/login/" in response.headers["Location"], url
    assert client.get("/login/").status_code == 200
    assert client.get("/static/isoko/isoko.css").status_code == 200
    assert client.get("/static/appbuilder/css/ab.css").status_code == 200


def test_production_refuses_to_start_without_a_secret_key():
    class Production(Config):
        ENV_NAME = "production"
        DEMO_MODE = False
        SECRET_KEY = None

    with pytest.raises(ConfigurationError, match="ISOKO_SECRET_KEY"):
        create_app(Production)


def test_production_refuses_debug_mode(tmp_path):
    class ProductionDebug(Config):
        ENV_NAME = "production"
        DEMO_MODE = False
        SECRET_KEY = "s3cret-for-this-test-long-enough-32b"
        DEBUG = True
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'debug.db'}"

    with pytest.raises(ConfigurationError, match="debug"):
        create_app(ProductionDebug)


def test_cookies_are_secure_by_default_and_relaxed_only_for_development():
    from config import DevelopmentConfig

    assert Config.SESSION_COOKIE_SECURE and Config.SESSION_COOKIE_HTTPONLY
    assert Config.SESSION_COOKIE_SAMESITE == "Lax"
    assert Config.FAB_PASSWORD_COMPLEXITY_ENABLED and Config.WTF_CSRF_ENABLED
    assert DevelopmentConfig.SESSION_COOKIE_SECURE is False


# -- accounts, as the administrator -----------------------------------------------------


@pytest.fixture(scope="module")
def administrator(app):
    create_user(app, "admin.comptes", "Admin")
    return "admin.comptes"


def _ids(app, model, column, values):
    from console.extensions import db

    with app.app_context():
        return [str(i) for i in db.session.scalars(sa.select(model.id).where(column.in_(values)))]


def _user_form(app, username, role, provinces=(), password="Gitega-Coop-2023!"):
    return {
        "first_name": "Claudine",
        "last_name": "Ndayishimiye",
        "username": username,
        "active": "y",
        "email": f"{username}@isoko.test",
        "roles": _role_ids(app, role),
        "provinces": _ids(app, m.Province, m.Province.code, list(provinces)),
        "password": password,
        "conf_password": password,
    }


def _role_ids(app, role):
    with app.app_context():
        return [str(app.appbuilder.sm.find_role(role).id)]


def test_administrator_creates_a_coordinator_with_provinces(app, administrator):
    client = app.test_client()
    login(client, administrator)
    client.post(
        "/users/add", data=_user_form(app, "coord.kirundo", "Coordinateur provincial", ["BI-KI"])
    )
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="coord.kirundo")
        assert [p.code for p in user.provinces] == ["BI-KI"]
        assert [r.name for r in user.roles] == ["Coordinateur provincial"]
    fresh = app.test_client()
    assert "/logout/" in login(fresh, "coord.kirundo", "Gitega-Coop-2023!").get_data(as_text=True)


def test_a_coordinator_without_province_or_a_weak_password_is_refused(app, administrator):
    client = app.test_client()
    login(client, administrator)
    page = html.unescape(
        client.post(
            "/users/add", data=_user_form(app, "coord.vide", "Coordinateur provincial")
        ).get_data(as_text=True)
    )
    assert "Un coordinateur provincial doit avoir au moins une province." in page
    weak = html.unescape(
        client.post("/users/add", data=_user_form(app, "faible", "PNUD", password="abc")).get_data(
            as_text=True
        )
    )
    assert "Mot de passe trop faible" in weak  # the complexity rule, in French
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="coord.vide") is None
        assert app.appbuilder.sm.find_user(username="faible") is None


def test_administrator_resets_a_password_and_sees_failed_logins(app, administrator):
    user_id = create_user(app, "agent.oublieux", "PNUD")
    stranger = app.test_client()
    login(stranger, "agent.oublieux", "pas-le-bon")
    login(stranger, "agent.oublieux", "toujours-pas")
    client = app.test_client()
    login(client, administrator)
    listing = client.get("/users/list/?_flt_0_username=agent.oublieux").get_data(as_text=True)
    assert "Échecs de connexion" in html.unescape(listing)
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="agent.oublieux").fail_login_count == 2
    client.post(
        f"/resetpassword/form?pk={user_id}",
        data={"password": "Nouveau-Mot-2024!", "conf_password": "Nouveau-Mot-2024!"},
    )
    fresh = app.test_client()
    assert "/logout/" in login(fresh, "agent.oublieux", "Nouveau-Mot-2024!").get_data(as_text=True)


def test_only_the_administrator_manages_users(app, administrator):
    create_user(app, "dir.comptes", "Ministère")
    client = app.test_client()
    login(client, "dir.comptes")
    assert client.get("/users/list/").status_code == 403
    assert client.get("/users/userinfo/").status_code == 200  # but sees their own account


def test_the_command_line_names_the_missing_secret_key_without_a_traceback(monkeypatch):
    from click.testing import CliRunner

    from console.cli import cli

    monkeypatch.setenv("ISOKO_ENV", "production")
    monkeypatch.delenv("ISOKO_SECRET_KEY", raising=False)
    monkeypatch.delenv("ISOKO_DEMO", raising=False)
    result = CliRunner().invoke(cli, ["seed-demo"])
    assert result.exit_code != 0
    assert "ISOKO_SECRET_KEY est obligatoire" in result.output
    assert "Traceback" not in result.output
