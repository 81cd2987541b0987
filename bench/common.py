"""What every benchmark needs: a scratch PostgreSQL database, seeded by `isoko seed-demo`.

The dataset is built with the same commands an operator runs (migrations, reference data,
roles, seed, aggregates, mévente), each timed, so the benchmarks measure the real path.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from tests import databases as scratch

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "ISOKO_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
UNTIL = dt.date(2026, 6, 30)
SEED = 2023
PASSWORD = "Isoko-Bench-2026!"
SCALES = {"20k": 20_000, "100k": 100_000, "1m": 1_000_000}


def parse_scale(text: str) -> int:
    """'1m', '100k', '20k' or a number of order lines."""
    key = text.strip().lower()
    if key in SCALES:
        return SCALES[key]
    try:
        return int(key.replace("_", ""))
    except ValueError as error:
        raise SystemExit(f"échelle inconnue : {text} (1m, 100k, 20k ou un nombre)") from error


def create_database(tag: str) -> str:
    """Create an empty, uniquely named scratch database; return its SQLAlchemy URL."""
    return scratch.create_database(tag, PG_ADMIN_URL, prefix="isoko_bench")


def drop_database(url: str) -> None:
    """Drop a scratch database, closing whatever still holds it."""
    scratch.drop_database(url, PG_ADMIN_URL)


HEALTH_TOKEN = "bench-health-token"


def cli_environment(url: str, **extra: str) -> dict[str, str]:
    """The environment the `isoko` command needs to work on ``url``."""
    env = dict(os.environ)
    env.update(
        ISOKO_ENV="production",
        # Production refuses a key under 32 bytes (console.security.hardening).
        ISOKO_SECRET_KEY="bench-only-not-a-secret-" + "k" * 40,
        # /health gives its details (database, Redis) to a caller sending this token.
        ISOKO_HEALTH_TOKEN=HEALTH_TOKEN,
        ISOKO_DATABASE_URL=url,
        ISOKO_ADMIN_PASSWORD=PASSWORD,
    )
    env.pop("ISOKO_REDIS_URL", None)
    env.update(extra)
    return env


def isoko_output(url: str, *args: str, **extra_env: str) -> tuple[float, str]:
    """Run one `isoko` command against ``url``; return its wall time in seconds and its output."""
    command = [str(Path(sys.executable).with_name("isoko")), *args]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=cli_environment(url, **extra_env), capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"isoko {' '.join(args)} a échoué :\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def isoko(url: str, *args: str, **extra_env: str) -> float:
    """Run one `isoko` command against ``url``; return its wall time in seconds."""
    return isoko_output(url, *args, **extra_env)[0]


def table_rows(url: str) -> dict[str, int]:
    """Exact row count of every table of the public schema."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        tables = conn.scalars(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ).all()
        counts = {t: conn.scalar(sa.text(f'SELECT count(*) FROM "{t}"')) for t in tables}
    engine.dispose()
    return counts


@dataclass
class Dataset:
    """A seeded scratch database and what building it cost."""

    url: str
    order_lines: int
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    seeded: dict[str, int] = field(default_factory=dict)  # rows `isoko seed-demo` added, by table
    seed_output: str = ""


def build_dataset(order_lines: int, tag: str = "run", mevente: bool = True) -> Dataset:
    """Create a database and fill it exactly as an operator would, timing each step.

    Without ``mevente`` the mévente tables stay empty (their dashboard charts show no data).
    """
    url = create_database(tag)
    data = Dataset(url, order_lines)
    try:
        data.timings["migrate_s"] = isoko(url, "db", "upgrade", "heads")
        data.timings["reference_s"] = isoko(url, "load-reference")
        data.timings["roles_s"] = isoko(url, "init-roles")
        before = table_rows(url)
        data.timings["seed_s"], data.seed_output = isoko_output(
            url,
            "seed-demo",
            "--orders",
            str(order_lines),
            "--seed",
            str(SEED),
            "--until",
            UNTIL.isoformat(),
        )
        data.seeded = {
            table: rows - before.get(table, 0)
            for table, rows in table_rows(url).items()
            if rows > before.get(table, 0)
        }
        data.timings["facts_s"] = isoko(url, "refresh-facts")
        if mevente:
            data.timings["mevente_s"] = isoko(url, "mevente-refresh")
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
            for table in ("order_line", "sale_order", "payment", "listing", "cooperative"):
                data.counts[table] = conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
        engine.dispose()
    except BaseException:
        drop_database(url)  # nobody else knows its name yet
        raise
    return data


def bench_config(url: str, **overrides):
    """A production-like config on ``url`` with CSRF, rate limits and the cache off."""
    from config import Config

    attributes = {
        "ENV_NAME": "testing",
        "SECRET_KEY": "bench-only",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "AUTH_RATE_LIMITED": False,
        "SESSION_COOKIE_SECURE": False,
        "REDIS_URL": None,
        "DASHBOARD_CACHE": False,  # measure the work, not the cache
        "SLOW_QUERY_MS": 10**9,
    } | overrides
    return type("BenchConfig", (Config,), attributes)


def add_user(app, username: str, role: str, province_code: str | None = None) -> None:
    """A bench account with PASSWORD (and a province for coordinators)."""
    from console.extensions import db

    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(
            username,
            "Bench",
            role,
            f"{username}@isoko.test",
            sm.find_role(role),
            password=PASSWORD,
        )
        if province_code is not None:
            from console.models import Province

            province = db.session.scalar(sa.select(Province).filter_by(code=province_code))
            user.provinces = [province]  # scoping reads the user's provinces
        db.session.commit()


def logged_in_client(app, username: str, role: str, province_code: str | None = None):
    """A test client signed in as ``username`` (created with ``role`` on first use)."""
    with app.app_context():
        exists = app.appbuilder.sm.find_user(username=username) is not None
    if not exists:
        add_user(app, username, role, province_code)
    client = app.test_client()
    client.post("/login/", data={"username": username, "password": PASSWORD})
    with client.session_transaction() as session:
        if "_user_id" not in session:  # Flask-Login's mark of a signed-in session
            raise RuntimeError(f"connexion impossible pour {username} ({role})")
    return client


def sample(call, repeat: int, budget_s: float = 30.0, warm_up: bool = True) -> list[float]:
    """Milliseconds of ``repeat`` calls (after a warm-up one), fewer when over ``budget_s``.

    A warm-up slower than the whole budget is the only sample: some pages take many
    seconds at 1M lines and would otherwise stall the run.
    """
    samples: list[float] = []
    spent = 0.0
    if warm_up:
        started = time.perf_counter()
        call()
        spent = time.perf_counter() - started
        if spent > budget_s:
            return [spent * 1000]
    while len(samples) < repeat and (not samples or spent < budget_s):
        started = time.perf_counter()
        call()
        elapsed = time.perf_counter() - started
        samples.append(elapsed * 1000)
        spent += elapsed
    return samples


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0–100) of ``samples``, by nearest rank."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
