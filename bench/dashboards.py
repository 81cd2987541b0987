"""Dashboard callbacks on the aggregates against the same figures computed from raw lines.

Every chart callback is POSTed to /dashboards/_dash-update-component as the Ministère
would (login, permission, scope, query, figure, JSON: the whole request), cache off.
Then the same callbacks run with the aggregate tables swapped for subqueries computing
the same rows from the raw order lines, listings and payments at query time, and both
answers are compared.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager

import sqlalchemy as sa

from tests.dash_requests import charts_body, listed

from .common import Dataset, logged_in_client, sample
from .table import Row, heading, timing_row

PERIOD = {"du": "2025-07", "au": "2026-06", "carte": "2015", "grain": "mois", "jours": 90}
RAW_REPEAT = 3  # raw-line callbacks take seconds at 1M lines: a few samples say enough


def cases() -> list[tuple[str, str, dict]]:
    """(label, chart key, extra filter values): every chart callback, plus the drill-down."""
    from dashboards.charts import CHARTS

    found = [(key, key, {}) for key in CHARTS if key != "recettes-lignes"]
    found.append(("ventes-evolution (semaine)", "ventes-evolution", {"grain": "semaine"}))
    found.append(("recettes-lignes (un vendeur)", "recettes-lignes", {"cooperative": "TOP_SELLER"}))
    return found


def payload(key: str, values: dict) -> dict:
    """The JSON Dash's front end posts for a page showing chart ``key`` alone."""
    from dashboards.charts import CHARTS, FILTER_KEYS
    from dashboards.shell import FILTER_IDS

    return charts_body([listed(CHARTS[key])], values, list(FILTER_KEYS), list(FILTER_IDS))


def top_seller(app) -> int:
    """The seller with the largest sales (the heaviest one-seller drill-down)."""
    from console.extensions import db

    with app.app_context():
        return db.session.scalar(
            sa.text(
                "SELECT seller_id FROM fact_sales_month GROUP BY seller_id "
                "ORDER BY sum(gross) DESC LIMIT 1"
            )
        )


@contextmanager
def raw_lines():
    """Swap every aggregate the dashboards read for a subquery over the raw records."""
    from sqlalchemy.orm import aliased

    from console import models as m
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


def callback(client, key: str, values: dict) -> tuple:
    """A function posting the chart's callback, and the list that keeps its last answer."""
    body = payload(key, values)
    answers: list[bytes] = []

    def post() -> None:
        response = client.post("/dashboards/_dash-update-component", json=body)
        answer = response.get_data()
        if response.status_code != 200:
            raise RuntimeError(f"{key} : HTTP {response.status_code} {answer[:300]!r}")
        answers[:] = [answer]

    return post, answers


def measure(app, data: Dataset, repeat: int) -> list[Row]:
    """One row per chart callback: aggregates against raw lines."""
    client = logged_in_client(app, "bench.ministere", "Ministère")
    seller = top_seller(app)
    rows = [heading(
        "Dashboard callbacks (p50 / p95)",
        "Ministère, full HTTP request, cache off; baseline: the same callback with the "
        f"aggregates swapped for the same rows computed from raw lines (≤ {RAW_REPEAT} samples, no warm-up)",
    )]
    for label, key, extra in cases():
        values = {**PERIOD, **{k: (seller if v == "TOP_SELLER" else v) for k, v in extra.items()}}
        post, answer = callback(client, key, values)
        facts_ms = sample(post, repeat)
        with raw_lines():
            raw_post, raw_answer = callback(client, key, values)
            raw_ms = sample(raw_post, min(repeat, RAW_REPEAT), warm_up=False)
        # Stored leakage flags are judged over all the data at refresh; live ones over the
        # period only (sales drop, 12-month turnover): they may differ by design.
        if key == "recettes-alertes":
            same = "flags over the period only: may differ by design"
        else:
            same = "same answer" if answer == raw_answer else "**answers differ**"
        if len(facts_ms) < repeat:
            same += f"; {len(facts_ms)} samples (time budget)"
        rows.append(timing_row(f"dashboard `{label}`", facts_ms, raw_ms, same))
        print(f"   {rows[-1].figure:<48} {rows[-1].isoko:>22} {rows[-1].baseline:>24}", flush=True)
    return rows
