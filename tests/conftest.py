"""Test fixtures: a database per module, copied from a template built once per session.

ISOKO_TEST_DB=sqlite (default) runs on temporary SQLite files; ISOKO_TEST_DB=postgresql on
uniquely named PostgreSQL databases on ISOKO_TEST_PG_URL, dropped at the end. Migrating,
loading the reference data and syncing the roles happen once per session, into a template
database; each module gets its own copy of it (a file copy on SQLite, ``CREATE DATABASE …
TEMPLATE`` on PostgreSQL), so modules stay as isolated as if each had migrated its own.
Tests marked `postgres` always need PostgreSQL: they skip with a reason when it is
unreachable, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from config import Config

from .databases import copy_sqlite, create_database, database_name, drop_database, sqlite_path

PG_ADMIN_URL = os.environ.get(
    "ISOKO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_DB = os.environ.get("ISOKO_TEST_DB", "sqlite").lower()
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "Isoko-Test-2023!"
# The tests check who may sign in, not what a stolen hash costs to crack: FAB's default
# scrypt takes a tenth of a second per account created and per sign-in, a cheap PBKDF2
# almost nothing. Production keeps FAB's default (config.py sets no hash method).
PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


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


def create_pg_database(template: str | None = None) -> str:
    """Create a uniquely named PostgreSQL database (empty, or a copy of the database
    named ``template``) and return its URL."""
    return create_database(str(os.getpid()), PG_ADMIN_URL, prefix="isoko_test", template=template)


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


@dataclass(frozen=True)
class Template:
    """A database state built once per session and copied for each module that asks for it:
    the migrated database with reference data and roles, then ``prepare(app)`` if given
    (seeding, users…). A module may change its copy freely; the template is never opened
    by a test."""

    name: str
    prepare: Callable | None = None


MIGRATED = Template("migrated")
_templates: dict[tuple[str, str], str] = {}  # (backend, template name) -> URL


def empty_database_url(backend: str, tmp_path_factory) -> str:
    """A new, empty database (nothing migrated)."""
    if backend == "postgresql":
        return create_pg_database()
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'isoko.db'}"


def template_url(backend: str, tmp_path_factory, template: Template = MIGRATED) -> str:
    """The template's database, built on first use in this session."""
    key = (backend, template.name)
    if key not in _templates:
        if template == MIGRATED:
            url = empty_database_url(backend, tmp_path_factory)
        else:
            url = make_database_url(backend, tmp_path_factory)
        try:
            application = build_app(url)  # migrates an empty database
            if template.prepare is not None:
                template.prepare(application)
            close_app(application)
        except BaseException:
            dispose_database(url)
            raise
        _templates[key] = url
    return _templates[key]


def make_database_url(backend: str, tmp_path_factory, template: Template = MIGRATED) -> str:
    """A new database for one module: a copy of the session's template (by default, migrated
    with reference data and roles)."""
    source = template_url(backend, tmp_path_factory, template)
    if backend == "postgresql":
        return create_pg_database(template=database_name(source))
    path = tmp_path_factory.mktemp("db") / "isoko.db"
    copy_sqlite(sqlite_path(source), path)
    return f"sqlite:///{path}"


def dispose_database(url: str) -> None:
    if url.startswith("postgresql"):
        drop_pg_database(url)


def pytest_sessionfinish(session, exitstatus) -> None:
    """Drop the session's PostgreSQL templates (SQLite ones are temporary files)."""
    for url in _templates.values():
        dispose_database(url)
    _templates.clear()


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
        FAB_PASSWORD_HASH_METHOD = PASSWORD_HASH_METHOD
        # What FAB checks an unknown user's password against (to take the same time).
        AUTH_DB_FAKE_PASSWORD_HASH_CHECK = generate_password_hash(
            "password", method=PASSWORD_HASH_METHOD
        )

    return TestConfig


def build_app(database_url: str, config_overrides: dict | None = None):
    """Create an app on ``database_url``; an empty database is first migrated and given
    the reference data and the roles (a copy of a template already has them)."""
    from console import create_app
    from console.extensions import db

    config = make_test_config(database_url)
    for key, value in (config_overrides or {}).items():
        setattr(config, key, value)
    app = create_app(config)
    with app.app_context():
        if not sa.inspect(db.engine).has_table("alembic_version"):
            initialise_database(app)
    return app


def initialise_database(app) -> None:
    """What an operator runs on a new database: migrations, reference data, roles."""
    from flask_migrate import upgrade

    from console.extensions import db
    from console.reference.loader import load_reference
    from console.security.roles import sync_roles

    with app.app_context():
        upgrade(revision="heads")
        load_reference(db.session)
        db.session.commit()
        sync_roles(app.appbuilder)


def close_app(app, url: str | None = None) -> None:
    """Close the app's connections (and drop its database ``url`` when given)."""
    from console.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if url is not None:
        dispose_database(url)


@pytest.fixture(scope="module")
def app(backend, tmp_path_factory) -> Iterator:
    """A migrated app with reference data and roles, on a database of its module's own."""
    url = make_database_url(backend, tmp_path_factory)
    application = build_app(url)
    yield application
    close_app(application, url)


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
                username,
                username.title(),
                "Test",
                f"{username}@isoko.test",
                sm.find_role(role),
                password=PASSWORD,
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
