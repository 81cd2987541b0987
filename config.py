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
    # Failed sign-ins only (console.security.login_throttle), counted in Redis when set:
    # per account, and per client address (an office behind one NAT address shares it).
    AUTH_RATE_LIMITED = True
    RATELIMIT_ENABLED = True
    AUTH_RATE_LIMIT = os.environ.get("ISOKO_AUTH_RATE_LIMIT") or "10 per 15 minutes"
    AUTH_ADDRESS_RATE_LIMIT = os.environ.get("ISOKO_AUTH_ADDRESS_RATE_LIMIT") or "50 per 15 minutes"
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    # Reverse proxies in front of gunicorn (deploy/nginx-isoko.conf: 1). Their
    # X-Forwarded-For gives each client its own address; without it every sign-in would
    # share the proxy's address, and so its count of failures.
    PROXY_COUNT = int_or_none(os.environ.get("ISOKO_PROXY_COUNT")) or 0
    # /health says up/down to anyone; the detail of each check (database, Redis, with the
    # error's kind) goes to a signed-in Admin or a monitor sending X-Health-Token.
    HEALTH_TOKEN = os.environ.get("ISOKO_HEALTH_TOKEN") or None
    # Redis down must not take sign-in down: count in memory meanwhile, never answer 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True

    # Flask-AppBuilder
    APP_NAME = "Isoko — Console de régulation"
    APP_THEME = ""
    AUTH_TYPE = 1  # AUTH_DB: local accounts managed by the administrator
    AUTH_USER_REGISTRATION = False
    FAB_ADD_SECURITY_VIEWS = True
    # The OpenAPI document (/api/v1/_openapi) and its Swagger UI (/swagger/v1) describe the
    # integration API to the storefront's and the tablets' developers.
    FAB_API_SWAGGER_UI = True
    # Integration API: the largest JSON body accepted, and calls per client (Flask-Limiter
    # syntax, counted in Redis when set, keyed by the client's public key id).
    API_MAX_BODY_BYTES = int_or_none(os.environ.get("ISOKO_API_MAX_BODY_BYTES")) or 64 * 1024
    API_RATE_LIMIT = os.environ.get("ISOKO_API_RATE_LIMIT") or "1200 per minute"
    # Seconds between an API write and the incremental refresh of the dashboards'
    # aggregates (batched per process; the dashboards promise to show writes within 60 s:
    # at most two delays and a refresh). Each refresh costs the database the touched
    # days' rebuild: 15 s rather than 5 cut the CPU per ingested order by about 15 %.
    FACTS_REFRESH_DELAY_S = float(os.environ.get("ISOKO_FACTS_REFRESH_DELAY_S") or 15)
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
    BABEL_DEFAULT_TIMEZONE = "Africa/Bujumbura"  # the zone console.services.periods.BUJUMBURA names
    LANGUAGES = {
        "fr": {"flag": "fr", "name": "Français"},
        "en": {"flag": "gb", "name": "English"},
        "rn": {"flag": "bi", "name": "Ikirundi"},
    }

    # Administrator created on first run (run.py); random and printed once when unset.
    ADMIN_PASSWORD = os.environ.get("ISOKO_ADMIN_PASSWORD") or None

    SLOW_QUERY_MS = int_or_none(os.environ.get("ISOKO_SLOW_QUERY_MS")) or 500

    # Reports. Archived files live on disk (see console.models.reports.ReportArchive for why).
    REPORTS_DIR = os.environ.get("ISOKO_REPORTS_DIR") or str(INSTANCE_DIR / "reports")
    REPORTS_QUEUE = os.environ.get("ISOKO_REPORTS_QUEUE") or "isoko-reports"
    # How long a request waits for a worker to render a small report before pointing the
    # user to « Mes rapports » (reports.queue.generate_while_waiting).
    REPORTS_WAIT_S = int(os.environ.get("ISOKO_REPORTS_WAIT_S") or 30)
    # Base URL printed in the QR code (e.g. https://isoko.example.bi); the code alone otherwise.
    REPORTS_PUBLIC_URL = os.environ.get("ISOKO_PUBLIC_URL") or None

    # E-mail of subscribed reports (reports/subscriptions.py). Without a host no e-mail is
    # sent: subscribed reports are filed in « Mes rapports » only, and the console says so.
    # SMTP_TLS: "starttls" (port 587, the default), "ssl" (implicit TLS, port 465) or "none".
    SMTP_HOST = os.environ.get("ISOKO_SMTP_HOST") or None
    SMTP_PORT = int_or_none(os.environ.get("ISOKO_SMTP_PORT")) or None
    SMTP_TLS = (os.environ.get("ISOKO_SMTP_TLS") or "starttls").lower()
    SMTP_USER = os.environ.get("ISOKO_SMTP_USER") or None
    SMTP_PASSWORD = os.environ.get("ISOKO_SMTP_PASSWORD") or None
    SMTP_SENDER = os.environ.get("ISOKO_SMTP_SENDER") or None
    SMTP_TIMEOUT_S = float(os.environ.get("ISOKO_SMTP_TIMEOUT_S") or 30)
    # Attachments above this size are not mailed (the e-mail links to « Mes rapports »).
    SMTP_MAX_ATTACHMENT_BYTES = int_or_none(os.environ.get("ISOKO_SMTP_MAX_ATTACHMENT_BYTES")) or (
        10 * 1024 * 1024
    )
    # Retries of an e-mail refused for a transient reason: BASE·2^n seconds, capped, n times.
    SMTP_RETRY_BASE_S = float(os.environ.get("ISOKO_SMTP_RETRY_BASE_S") or 60)
    SMTP_RETRY_MAX_S = float(os.environ.get("ISOKO_SMTP_RETRY_MAX_S") or 6 * 3600)
    SMTP_MAX_ATTEMPTS = int_or_none(os.environ.get("ISOKO_SMTP_MAX_ATTEMPTS")) or 6
    # The schedule `isoko worker` keeps (console/services/schedule.py): a period is due this
    # many hours after its last Bujumbura midnight (subscriptions, the nightly checks, the
    # weekly mévente refresh). ISOKO_SCHEDULE=off stops it (another host keeps it).
    SCHEDULE_HOUR = int(os.environ.get("ISOKO_SCHEDULE_HOUR") or 5)
    SCHEDULE_ENABLED = parse_boolean(os.environ.get("ISOKO_SCHEDULE"), True)

    # OBR eBMS (electronic invoicing, console/ebms/). Without a base URL, username and
    # password, transmission is off: invoices wait in the outbox and the console says so.
    # Credentials are issued by OBR per taxpayer system; the username is the system id.
    EBMS_BASE_URL = os.environ.get("ISOKO_EBMS_BASE_URL") or None
    EBMS_USERNAME = os.environ.get("ISOKO_EBMS_USERNAME") or None
    EBMS_PASSWORD = os.environ.get("ISOKO_EBMS_PASSWORD") or None
    EBMS_PARALLELISM = int_or_none(os.environ.get("ISOKO_EBMS_PARALLELISM")) or 8
    EBMS_TIMEOUT_S = float(os.environ.get("ISOKO_EBMS_TIMEOUT_S") or 15)
    EBMS_CONNECT_TIMEOUT_S = float(os.environ.get("ISOKO_EBMS_CONNECT_TIMEOUT_S") or 5)
    # Which sellers transmit: "nif" (every seller with a NIF) or "vat" (VAT-registered only);
    # an administrator may override it per seller (Cooperative.ebms_transmit).
    EBMS_TRANSMIT_SELLERS = (os.environ.get("ISOKO_EBMS_TRANSMIT_SELLERS") or "nif").lower()
    # Retries of transient failures: exponential from BASE, capped at MAX, with full jitter.
    EBMS_RETRY_BASE_S = float(os.environ.get("ISOKO_EBMS_RETRY_BASE_S") or 2)
    EBMS_RETRY_MAX_S = float(os.environ.get("ISOKO_EBMS_RETRY_MAX_S") or 600)
    # How long a claimed message stays one worker's (its lease). A worker killed mid-send
    # leaves its messages to the next claim after this delay, which asks OBR (getInvoice)
    # before sending again. Keep it well above a send's worst case (3 × ISOKO_EBMS_TIMEOUT_S).
    EBMS_LEASE_S = float(os.environ.get("ISOKO_EBMS_LEASE_S") or 120)
    EBMS_QUEUE = os.environ.get("ISOKO_EBMS_QUEUE") or "isoko-ebms"

    # What the dashboards read: "aggregates" (the tables `isoko refresh-facts` fills), or
    # "records" (the same rows computed at each request: for checks and the benchmark).
    DASHBOARD_FACTS = "aggregates"


class DevelopmentConfig(Config):
    """Local first run: SQLite, demo data, plain-HTTP cookies, a generated key."""

    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = parse_boolean(os.environ.get("ISOKO_SECURE_COOKIES"), False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


class DemoConfig(DevelopmentConfig):
    """``run.py --demo``: a first run on a laptop with demonstration data."""

    DEMO_MODE = True


def config_for_environment(demo: bool = False) -> type[Config]:
    """Pick the config class named by ISOKO_ENV (production unless told otherwise); ``demo``: run.py --demo."""
    if demo:
        return DemoConfig
    env = os.environ.get("ISOKO_ENV", "production").lower()
    if env in {"development", "dev", "demo"} or parse_boolean(os.environ.get("ISOKO_DEMO")):
        return DevelopmentConfig
    return Config
