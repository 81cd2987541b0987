"""Isoko settings, read from the environment with safe defaults.

Every setting is documented in README.md ("Configuration"). The factory takes a
config class, so tests pass their own subclass.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("ISOKO_INSTANCE_DIR", BASE_DIR / "instance"))


def parse_boolean(value: str | None, default: bool = False) -> bool:
    """Read a yes/no environment value ("1", "true", "oui", "yes", "on")."""
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "oui", "on"}


def int_or_none(value: str | None) -> int | None:
    """Read an optional integer environment value."""
    if value is None or value.strip() == "":
        return None
    return int(value)


def default_database_url() -> str:
    """The embedded SQLite file used on a user's first run."""
    return f"sqlite:///{INSTANCE_DIR / 'isoko.db'}"


class Config:
    """Production-leaning defaults; development and tests relax a few of them."""

    ENV_NAME = os.environ.get("ISOKO_ENV", "production")
    DEMO_MODE = parse_boolean(os.environ.get("ISOKO_DEMO"))

    SQLALCHEMY_DATABASE_URI = os.environ.get("ISOKO_DATABASE_URL") or default_database_url()
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Optional read replica: dashboards and reports read from it; writes go to the primary.
    SQLALCHEMY_REPLICA_URI = os.environ.get("ISOKO_DATABASE_REPLICA_URL") or None
    REDIS_URL = os.environ.get("ISOKO_REDIS_URL") or None
    # CPU priority of `isoko worker` and its jobs (nice increment, 0–19): a report's
    # WeasyPrint rendering yields the cores to the console's pages, which people wait on.
    WORKER_NICE = int(os.environ.get("ISOKO_WORKER_NICE") or 10)

    # Security. The key signs sessions and CSRF tokens: it must be stable and secret
    # in production, so start-up refuses to run without it (see console.create_app).
    SECRET_KEY = os.environ.get("ISOKO_SECRET_KEY") or None
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = parse_boolean(os.environ.get("ISOKO_SECURE_COOKIES"), True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024  # largest accepted upload (imports)
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    AUTH_RATE_LIMITED = True
    RATELIMIT_ENABLED = True
    # Sign-in attempts per client address (Flask-Limiter syntax); counted in Redis when set.
    AUTH_RATE_LIMIT = os.environ.get("ISOKO_AUTH_RATE_LIMIT") or "10 per 5 minutes"
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    # Reverse proxies in front of gunicorn (deploy/nginx-isoko.conf: 1). Their
    # X-Forwarded-For gives each client its own address; without it every sign-in would
    # share the proxy's address, and so its rate limit.
    PROXY_COUNT = int_or_none(os.environ.get("ISOKO_PROXY_COUNT")) or 0
    # Redis down must not take sign-in down: count in memory meanwhile, never answer 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True

    # Flask-AppBuilder
    APP_NAME = "Isoko — Console de régulation"
    APP_THEME = ""
    AUTH_TYPE = 1  # AUTH_DB: local accounts managed by the administrator
    AUTH_USER_REGISTRATION = False
    FAB_ADD_SECURITY_VIEWS = True
    FAB_API_SWAGGER_UI = False
    # Alembic owns every table, FAB's ab_* included (see migrations/).
    FAB_CREATE_DB = False
    # Permissions are synced by `isoko init-roles` (run by run.py and at upgrade), never at
    # import time: the app must start against a database that is not migrated yet.
    FAB_UPDATE_PERMS = False
    FAB_SECURITY_MANAGER_CLASS = "console.security.manager.IsokoSecurityManager"
    FAB_INDEX_VIEW = "console.views.home.HomeView"
    FAB_BASE_TEMPLATE = "isoko/baselayout.html"

    # Language: French first; English and Kirundi selectable.
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Africa/Bujumbura"
    LANGUAGES = {
        "fr": {"flag": "fr", "name": "Français"},
        "en": {"flag": "gb", "name": "English"},
        "rn": {"flag": "bi", "name": "Ikirundi"},
    }
    DISPLAY_TIMEZONE = "Africa/Bujumbura"

    # Administrator created on first run (run.py); random and printed once when unset.
    ADMIN_PASSWORD = os.environ.get("ISOKO_ADMIN_PASSWORD") or None

    SLOW_QUERY_MS = int_or_none(os.environ.get("ISOKO_SLOW_QUERY_MS")) or 500

    # What the dashboards read: "aggregates" (the tables `isoko refresh-facts` fills), or
    # "records" (the same rows computed at each request: for checks and the benchmark).
    DASHBOARD_FACTS = "aggregates"


class DevelopmentConfig(Config):
    """Local first run: SQLite, demo data, plain-HTTP cookies, a generated key."""

    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = parse_boolean(os.environ.get("ISOKO_SECURE_COOKIES"), False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


def config_for_environment() -> type[Config]:
    """Pick the config class named by ISOKO_ENV (production unless told otherwise)."""
    env = os.environ.get("ISOKO_ENV", "production").lower()
    if env in {"development", "dev", "demo"} or parse_boolean(os.environ.get("ISOKO_DEMO")):
        return DevelopmentConfig
    return Config
