"""The load test's accounts and its plan: who logs in, and which values they search and filter.

The plan is a JSON file the locustfile reads: it keeps the load generator free of the
app's imports (pandas, Dash, the models) and makes every simulated action reproducible.
"""

from __future__ import annotations

import json
import math
import random
import warnings
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench.common import PASSWORD, add_user, bench_config
from tests.dash_requests import listed

SEED = 8


@dataclass(frozen=True)
class Role:
    """A simulated population: the FAB role, its share of the users, its account prefix."""

    key: str
    name: str
    weight: int


ROLES = (
    Role("ministere", "Ministère", 3),
    Role("pnud", "PNUD", 2),
    Role("coordinateur", "Coordinateur provincial", 3),
    Role("auditeur", "Auditeur fiscal", 2),
)
DRILL_ACCOUNT = "load.drill"  # the fault drill's own auditor: its reports are counted apart
PROBE_ACCOUNT = "load.sonde"  # the drill's Ministère account that reads pages during the outage
COORDINATOR_PROVINCES = 3
# Whole Bujumbura months with data (the demo runs to June 2026): a few views per user,
# so the dashboard cache sees hits and misses as with real people.
PERIODS = (
    ("2025-07", "2026-06"),
    ("2026-01", "2026-06"),
    ("2025-01", "2025-12"),
    ("2026-04", "2026-06"),
)
REPORT_PERIOD = "2026-05"
DRILL_LINES = 20_000


def accounts_per_role(users: int) -> dict[str, int]:
    """How many accounts each role needs for ``users`` simulated users (one each, plus spare)."""
    total = sum(role.weight for role in ROLES)
    return {role.key: math.ceil(users * role.weight / total) + 2 for role in ROLES}


def _visible_charts(role: str) -> dict[str, list[dict]]:
    """Per dashboard the role may open, the charts it may see (the page shows no others)."""
    from console.security.policy import allows
    from dashboards.catalogue import DASHBOARDS, PERMISSION
    from dashboards.charts import charts_of

    visible = {}
    for dashboard in DASHBOARDS:
        if not allows(role, PERMISSION, dashboard.resource):
            continue
        visible[dashboard.slug] = [
            listed(c)
            for c in charts_of(dashboard.slug)
            if c.extra_permission is None or allows(role, *c.extra_permission)
        ]
    return visible


def _samples(conn, sql: str, count: int, rng: random.Random) -> list:
    rows = [row[0] for row in conn.execute(sa.text(sql))]
    return rng.sample(rows, min(count, len(rows)))


def _search_values(conn, rng: random.Random) -> dict[str, list[str]]:
    """Words people type in the list filters, taken from the data itself."""
    names = _samples(conn, "SELECT name FROM cooperative", 40, rng)
    words = sorted({w.strip("«» ") for n in names for w in n.split() if len(w.strip("«» ")) >= 6})
    references = _samples(
        conn, "SELECT reference FROM sale_order ORDER BY id DESC LIMIT 5000", 20, rng
    )
    tags = _samples(conn, "SELECT asset_tag FROM device", 20, rng)
    return {
        "cooperative_words": words[:30],
        # A reference typed up to its serial's first digits: a few hundred orders match.
        "order_prefixes": sorted({r[:-3] for r in references}),
        "device_prefixes": sorted({t.rsplit("-", 1)[0] for t in tags}),
    }


def drill_period(conn) -> str:
    """The shortest period of 2025 (month, quarter, year) with DRILL_LINES order lines or
    more: the drill's workbook then takes seconds at any scale, long enough to be caught."""

    def lines(start: str, end: str) -> int:
        return conn.scalar(
            sa.text(
                "SELECT count(*) FROM order_line l JOIN sale_order o ON o.id = l.order_id "
                "WHERE o.placed_at >= :s AND o.placed_at < :e"
            ),
            {"s": start, "e": end},
        )

    for period, start, end in (
        ("2025-11", "2025-11-01", "2025-12-01"),
        ("2025-T4", "2025-10-01", "2026-01-01"),
    ):
        if lines(start, end) >= DRILL_LINES:
            return period
    return "2025"


def create_accounts(app, conn, users: int) -> dict[str, list[str]]:
    """Create (or reuse) the load-test accounts; coordinators get one busy province each."""
    provinces = [
        row[0]
        for row in conn.execute(
            sa.text(
                "SELECT p.code FROM province p JOIN cooperative c ON c.province_id = p.id "
                "WHERE p.map_version = '2015' GROUP BY p.code ORDER BY count(*) DESC, p.code LIMIT :n"
            ),
            {"n": COORDINATOR_PROVINCES},
        )
    ]
    existing = {row[0] for row in conn.execute(sa.text("SELECT username FROM ab_user"))}
    accounts: dict[str, list[str]] = {}
    for role in ROLES:
        names = [
            f"load.{role.key}.{i:02d}" for i in range(1, accounts_per_role(users)[role.key] + 1)
        ]
        for index, name in enumerate(names):
            if name in existing:
                continue
            province = provinces[index % len(provinces)] if role.key == "coordinateur" else None
            add_user(app, name, role.name, province)
        accounts[role.key] = names
    if DRILL_ACCOUNT not in existing:
        add_user(app, DRILL_ACCOUNT, "Auditeur fiscal")
    if PROBE_ACCOUNT not in existing:
        add_user(app, PROBE_ACCOUNT, "Ministère")
    return accounts


def write_plan(database_url: str, users: int, path: Path) -> dict:
    """Create the accounts and write the plan JSON for the locustfile; return the plan."""
    from console import create_app
    from console.extensions import db
    from dashboards.charts import FILTER_KEYS
    from dashboards.shell import FILTER_IDS

    with warnings.catch_warnings():  # bench_config turns the dashboards' cache off, knowingly
        warnings.simplefilter("ignore", UserWarning)
        app = create_app(bench_config(database_url))
    rng = random.Random(SEED)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            accounts = create_accounts(app, conn, users)
            provinces = [
                row[0]
                for row in conn.execute(
                    sa.text("SELECT id FROM province WHERE map_version = '2015' ORDER BY id")
                )
            ]
            coordinator_provinces = dict(
                conn.execute(
                    sa.text(
                        "SELECT u.username, min(p.code) FROM ab_user u "
                        "JOIN user_province up ON up.user_id = u.id JOIN province p ON p.id = up.province_id "
                        "WHERE u.username LIKE 'load.coordinateur.%' GROUP BY u.username"
                    )
                ).all()
            )
            searches = _search_values(conn, rng)
            period = drill_period(conn)
        with app.app_context():
            charts = {role.key: _visible_charts(role.name) for role in ROLES}
            db.session.remove()
            db.engine.dispose()
    finally:
        engine.dispose()
    plan = {
        "password": PASSWORD,
        "accounts": accounts,
        "weights": {role.key: role.weight for role in ROLES},
        "provinces": provinces,
        "coordinator_provinces": coordinator_provinces,
        "periods": [list(p) for p in PERIODS],
        "report_period": REPORT_PERIOD,
        "drill_period": period,
        "filter_keys": list(FILTER_KEYS),
        "filter_ids": list(FILTER_IDS),
        "charts": charts,
        **searches,
    }
    path.write_text(json.dumps(plan, ensure_ascii=False, indent=1), encoding="utf-8")
    return plan
