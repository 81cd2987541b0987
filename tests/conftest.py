"""Test fixtures: a fresh, migrated database per module, on SQLite or PostgreSQL.

ISOKO_TEST_DB=sqlite (default) runs on a temporary SQLite file; ISOKO_TEST_DB=postgresql
creates a uniquely named PostgreSQL database on ISOKO_TEST_PG_URL and drops it after.
Tests marked `postgres` always need PostgreSQL: they skip with a reason when it is
unreachable, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bench.common import create_database, drop_database
from config import Config

PG_ADMIN_URL = os.environ.get(
    "ISOKO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_DB = os.environ.get("ISOKO_TEST_DB", "sqlite").lower()
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "Isoko-Test-2023!"


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return f"PostgreSQL injoignable sur {PG_ADMIN_URL}: {exc.__class__.__name__}"


def require_postgres() -> None:
    """Skip (or fail under CI) when PostgreSQL is unreachable."""
    reason = _pg_reachable()
    if reason:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


def create_pg_database() -> str:
    """Create a uniquely named PostgreSQL database and return its URL."""
    return create_database(str(os.getpid()), PG_ADMIN_URL, prefix="isoko_test")


def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database, closing its connections first."""
    drop_database(url, PG_ADMIN_URL)


@pytest.fixture(scope="session")
def backend() -> str:
    """The database kind this run tests on."""
    if TEST_DB.startswith("postgres"):
        require_postgres()
        return "postgresql"
    return "sqlite"


def make_database_url(backend: str, tmp_path_factory) -> str:
    if backend == "postgresql":
        return create_pg_database()
    path = tmp_path_factory.mktemp("db") / "isoko.db"
    return f"sqlite:///{path}"


def dispose_database(url: str) -> None:
    if url.startswith("postgresql"):
        drop_pg_database(url)


def make_test_config(database_url: str) -> type[Config]:
    """A config class for tests: the given database, CSRF and rate limits off."""

    class TestConfig(Config):
        ENV_NAME = "testing"
        TESTING = True
        SECRET_KEY = "tests-only-secret"
        SQLALCHEMY_DATABASE_URI = database_url
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        AUTH_RATE_LIMITED = False
        SESSION_COOKIE_SECURE = False
        REDIS_URL = None
        FACTS_REFRESH_DELAY_S = None  # tests refresh the aggregates themselves

    return TestConfig


def build_app(database_url: str, config_overrides: dict | None = None):
    """Create, migrate and initialise an app on ``database_url``."""
    from flask_migrate import upgrade

    from console import create_app
    from console.extensions import db
    from console.reference.loader import load_reference
    from console.security.roles import sync_roles

    config = make_test_config(database_url)
    for key, value in (config_overrides or {}).items():
        setattr(config, key, value)
    app = create_app(config)
    with app.app_context():
        upgrade(revision="heads")
        load_reference(db.session)
        db.session.commit()
        sync_roles(app.appbuilder)
    return app


@pytest.fixture(scope="module")
def app(backend, tmp_path_factory) -> Iterator:
    """A migrated app with reference data and roles, fresh for each test module."""
    url = make_database_url(backend, tmp_path_factory)
    application = build_app(url)
    yield application
    with application.app_context():
        from console.extensions import db

        db.session.remove()
        db.engine.dispose()
    dispose_database(url)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    """The app's session inside an app context."""
    from console.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


def create_user(app, username: str, role: str, provinces: list[str] | None = None):
    """Create a user with one role and, for coordinators, province codes."""
    from console.extensions import db
    from console.models import Province

    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=username)
        if user is None:
            user = sm.add_user(
                username, username.title(), "Test", f"{username}@isoko.test",
                sm.find_role(role), password=PASSWORD,
            )
            assert user, f"could not create {username}"
        if provinces:
            user = sm.find_user(username=username)
            user.provinces = list(
                db.session.scalars(sa.select(Province).where(Province.code.in_(provinces)))
            )
            db.session.commit()
        return user.id


def login(client, username: str, password: str = PASSWORD):
    """Log in through the real login form."""
    return client.post(
        "/login/", data={"username": username, "password": password}, follow_redirects=True
    )


def signed_in_client(app, username: str, role: str, provinces: list[str] | None = None):
    """A test client signed in through the real form as a new user with ``role``."""
    create_user(app, username, role, provinces)
    client = app.test_client()
    assert "/logout/" in login(client, username).get_data(as_text=True)
    return client
