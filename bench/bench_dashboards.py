"""Dashboard callbacks at national scale: aggregates against raw order lines, on PostgreSQL.

For each scale (order lines) it creates a scratch database, seeds the demo data
(console.demo.seed.seed_demo), builds the aggregates (refresh_facts), then posts every
chart callback to /dashboards/_dash-update-component as the Ministère would (login,
permission, scope, query, figure, JSON: the whole request), with the cache off. Then it
runs the same callbacks with the aggregate tables swapped for subqueries that compute
the same rows from the raw order lines, listings and payments at query time, and
checks both answers are identical. It prints each callback's median and p95, the
growth from the smallest to the largest scale, and raw / aggregates.

    python bench/bench_dashboards.py                      # 100 000 and 1 000 000 lines
    python bench/bench_dashboards.py --scales 20000 --repeat 5 --raw-repeat 3

Needs PostgreSQL (ISOKO_BENCH_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
Scratch databases are dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import statistics
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_ADMIN_URL = os.environ.get(
    "ISOKO_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
UNTIL = dt.date(2026, 6, 30)
PERIOD = {"du": "2025-07", "au": "2026-06", "carte": "2015", "grain": "mois", "jours": 90}
PASSWORD = "Isoko-Bench-2026!"
TARGET_MS = 150.0
MAX_GROWTH = 1.5


def create_database(tag: str) -> str:
    name = f"isoko_bench_{tag}_{uuid.uuid4().hex[:6]}"
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL)


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def bench_config(url: str):
    from config import Config

    class BenchConfig(Config):
        ENV_NAME = "testing"
        SECRET_KEY = "bench-only"
        SQLALCHEMY_DATABASE_URI = url
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        AUTH_RATE_LIMITED = False
        SESSION_COOKIE_SECURE = False
        REDIS_URL = None
        DASHBOARD_CACHE = False  # measure the work, not the cache
        SLOW_QUERY_MS = 10**9

    return BenchConfig


def prepare(url: str, order_lines: int):
    """Migrate, seed and aggregate a scratch database; return the app and timings."""
    from flask_migrate import upgrade

    from console import create_app
    from console.demo.seed import seed_demo
    from console.extensions import db
    from console.reference.loader import load_reference
    from console.security.roles import sync_roles
    from console.services.facts import refresh_facts

    app = create_app(bench_config(url))
    timings = {}
    with app.app_context():
        upgrade(revision="heads")
        load_reference(db.session)
        db.session.commit()
        sync_roles(app.appbuilder)
        started = time.perf_counter()
        seed_demo(db, order_lines=order_lines, seed=2023, until=UNTIL)
        timings["seed_s"] = time.perf_counter() - started
        started = time.perf_counter()
        refresh_facts(db.session)
        db.session.commit()
        timings["refresh_s"] = time.perf_counter() - started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        sm = app.appbuilder.sm
        sm.add_user(
            "bench.ministere",
            "Bench",
            "Ministère",
            "bench@isoko.test",
            sm.find_role("Ministère"),
            password=PASSWORD,
        )
        timings["lines"] = db.session.scalar(sa.text("SELECT count(*) FROM order_line"))
        timings["fact_rows"] = {
            table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in (
                "fact_sales_day",
                "fact_sales_month",
                "fact_sales_week",
                "fact_payment_month",
                "fact_listing",
                "fact_listing_month",
                "fact_leakage_flag",
            )
        }
    return app, timings


def cases():
    """(label, chart key, extra filter values): every chart callback, plus the drill-down."""
    from dashboards.charts import CHARTS

    found = [(key, key, {}) for key in CHARTS if key != "recettes-lignes"]
    found.append(("ventes-evolution (semaine)", "ventes-evolution", {"grain": "semaine"}))
    found.append(("recettes-lignes (un vendeur)", "recettes-lignes", {"cooperative": "TOP_SELLER"}))
    return found


def payload(chart, values: dict) -> dict:
    from dashboards.charts import FILTER_KEYS
    from dashboards.shell import FILTER_IDS

    inputs = [
        {"id": fid, "property": "value", "value": values.get(key)}
        for key, fid in zip(FILTER_KEYS, FILTER_IDS, strict=True)
    ]
    inputs += [
        {"id": {"name": n, "type": "reglage"}, "property": "value", "value": values.get(n)}
        for n in chart.controls
    ]
    if chart.kind == "graph":
        output, outputs = f"{chart.key}.figure", {"id": chart.key, "property": "figure"}
    else:
        output = f"..{chart.key}.children...{chart.key}-message.children.."
        outputs = [
            {"id": chart.key, "property": "children"},
            {"id": f"{chart.key}-message", "property": "children"},
        ]
    return {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "changedPropIds": [],
        "state": [],
    }


def top_seller(app) -> int:
    from console.extensions import db

    with app.app_context():
        return db.session.scalar(
            sa.text(
                "SELECT seller_id FROM fact_sales_month GROUP BY seller_id ORDER BY sum(gross) DESC LIMIT 1"
            )
        )


@contextmanager
def raw_lines():
    """Swap every aggregate the dashboards read for a subquery over the raw records."""
    from sqlalchemy.orm import aliased

    from console import models as m
    from console.security.scoping import NATIONAL  # noqa: F401
    from console.services import facts
    from dashboards import charts
    from dashboards.data import mevente, pilot, sales, tax

    day = facts.sales_day_select().subquery("raw_day")
    month = facts.sales_month_select(day).subquery("raw_month")
    week = facts.sales_week_select(day).subquery("raw_week")
    payments = facts.payment_month_select().subquery("raw_payments")
    listings = facts.listing_select().subquery("raw_listings")
    listing_months = facts.listing_month_select(listings).subquery("raw_listing_months")

    def alias(model, subquery):
        return aliased(model, subquery, adapt_on_names=True)

    swaps = [
        (sales, "M", alias(m.SalesMonthFact, month)),
        (sales, "D", alias(m.SalesDayFact, day)),
        (sales, "W", alias(m.SalesWeekFact, week)),
        (pilot, "D", alias(m.SalesDayFact, day)),
        (mevente, "LM", alias(m.ListingMonthFact, listing_months)),
        (mevente, "LF", alias(m.ListingFact, listings)),
        (tax, "M", alias(m.SalesMonthFact, month)),
        (tax, "P", alias(m.PaymentMonthFact, payments)),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in swaps]
    flags_chart = charts.CHARTS["recettes-alertes"]
    for module, name, value in swaps:
        setattr(module, name, value)
    # The flags table is filled by the leakage service at refresh: raw means running it.
    charts.CHARTS["recettes-alertes"] = dataclasses.replace(flags_chart, load=live_flags)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)
        charts.CHARTS["recettes-alertes"] = flags_chart


def live_flags(session, scope, filters):
    """The leakage flags computed from the raw records for the period (as the service does)."""
    import pandas as pd

    from console.services.leakage import leakage_flags
    from dashboards.data.tax import FLAG_COLUMNS

    flags = leakage_flags(session, scope, filters.start, filters.last_day)
    rows = [
        {
            "kind": f.kind,
            "label": f.label,
            "seller_id": f.seller_id,
            "seller": f.seller_name,
            "province": f.province,
            "period": f.period.label,
            "period_start": f.period.start,
            "amount": int(f.amount_at_stake),
            "explanation": f.explanation,
            "computed_on": None,
        }
        for f in flags
    ]
    return pd.DataFrame(rows, columns=FLAG_COLUMNS).sort_values("amount", ascending=False)


def measure(client, chart, values, repeat: int, warm_up: bool = True) -> tuple[list[float], bytes]:
    body = payload(chart, values)
    samples = []
    for run in range(repeat + int(warm_up)):
        started = time.perf_counter()
        response = client.post("/dashboards/_dash-update-component", json=body)
        answer = response.get_data()
        if response.status_code != 200:
            raise RuntimeError(f"{chart.key}: HTTP {response.status_code} {answer[:300]!r}")
        if run or not warm_up:
            samples.append((time.perf_counter() - started) * 1000)
    return samples, answer


def run_scale(order_lines: int, repeat: int, raw_repeat: int, keep: bool) -> dict:
    from dashboards.charts import CHARTS

    url = create_database(str(order_lines))
    print(
        f"\n== {order_lines:,} lignes : base {url.rsplit('/', 1)[1]}".replace(",", " "), flush=True
    )
    try:
        app, timings = prepare(url, order_lines)
        print(
            f"   démo {timings['seed_s']:.0f} s, agrégats {timings['refresh_s']:.0f} s, "
            f"{timings['lines']} lignes ; tables agrégées : {timings['fact_rows']}",
            flush=True,
        )
        client = app.test_client()
        client.post("/login/", data={"username": "bench.ministere", "password": PASSWORD})
        seller = top_seller(app)
        results = {"timings": timings, "callbacks": {}}
        for label, key, extra in cases():
            chart = CHARTS[key]
            values = {
                **PERIOD,
                **{k: (seller if v == "TOP_SELLER" else v) for k, v in extra.items()},
            }
            facts_ms, facts_body = measure(client, chart, values, repeat)
            with raw_lines():
                raw_ms, raw_body = measure(client, CHARTS[key], values, raw_repeat, warm_up=False)
            # Stored leakage flags are judged over all the data at refresh; live ones over
            # the period only (sales drop, 12-month turnover): they may differ by design.
            same = facts_body == raw_body or key == "recettes-alertes"
            results["callbacks"][label] = {"facts": facts_ms, "raw": raw_ms, "same_answer": same}
            print(
                f"   {label:<32} agrégats {statistics.median(facts_ms):7.1f} ms   "
                f"lignes brutes {statistics.median(raw_ms):8.1f} ms   {'identiques' if same else 'DIFFÉRENTS'}",
                flush=True,
            )
        with app.app_context():
            from console.extensions import db

            db.session.remove()
            db.engine.dispose()
        return results
    finally:
        if not keep:
            drop_database(url)


def p95(samples: list[float]) -> float:
    return float(np.percentile(samples, 95))


def report(results: dict[int, dict]) -> bool:
    scales = sorted(results)
    low, high = scales[0], scales[-1]
    labels = list(results[high]["callbacks"])
    print("\nMédiane et p95 en ms (requête complète : droits, périmètre, requête, figure, JSON)")
    header = f"{'rappel':<32}"
    for scale in scales:
        header += f" | agrégats {scale // 1000:>5}k méd/p95 | brut {scale // 1000:>5}k méd"
    if len(scales) > 1:
        header += " | croissance agrégats | croissance brut"
    header += " | brut/agrégats"
    print(header)
    ok = True
    for label in labels:
        line = f"{label:<32}"
        for scale in scales:
            cb = results[scale]["callbacks"][label]
            line += (
                f" | {statistics.median(cb['facts']):8.1f} / {p95(cb['facts']):7.1f}     "
                f" | {statistics.median(cb['raw']):10.1f}"
            )
        top = results[high]["callbacks"][label]
        if len(scales) > 1:
            base = results[low]["callbacks"][label]
            growth = statistics.median(top["facts"]) / statistics.median(base["facts"])
            raw_growth = statistics.median(top["raw"]) / statistics.median(base["raw"])
            line += f" | {growth:17.2f}× | {raw_growth:13.2f}×"
            ok &= growth <= MAX_GROWTH
        ratio = statistics.median(top["raw"]) / statistics.median(top["facts"])
        line += f" | {ratio:10.1f}×"
        ok &= statistics.median(top["facts"]) < TARGET_MS and top["same_answer"]
        print(line)
    worst = max(statistics.median(results[high]["callbacks"][lb]["facts"]) for lb in labels)
    print(
        f"\nPire médiane à {high:,} lignes : {worst:.1f} ms (objectif < {TARGET_MS:.0f} ms, croissance ≤ "
        f"{MAX_GROWTH}×) : {'atteint' if ok else 'NON atteint'}".replace(",", " ")
    )
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scales", default="100000,1000000", help="lignes de commande, séparées par des virgules"
    )
    parser.add_argument(
        "--repeat", type=int, default=15, help="mesures par rappel sur les agrégats"
    )
    parser.add_argument(
        "--raw-repeat", type=int, default=3, help="mesures par rappel sur les lignes brutes"
    )
    parser.add_argument("--keep", action="store_true", help="garder les bases de travail")
    parser.add_argument("--json", type=Path, help="écrire les mesures brutes dans ce fichier")
    args = parser.parse_args(argv)
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]
    results = {scale: run_scale(scale, args.repeat, args.raw_repeat, args.keep) for scale in scales}
    if args.json:
        args.json.write_text(
            json.dumps({str(k): v for k, v in results.items()}, indent=1, default=str)
        )
    return 0 if report(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
