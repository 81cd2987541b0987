"""Dashboard callbacks on the aggregates against the same figures computed from raw lines.

Every chart callback is POSTed to /dashboards/_dash-update-component as the Ministère
would (login, permission, scope, query, figure, JSON: the whole request), cache off.
Then the same callbacks are POSTed to a second app reading the "records" fact source:
the same rows computed from the raw order lines, listings and payments at query time
(and the leakage flags found live), and both answers are compared.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.dash_requests import charts_body, listed

from .common import Dataset, bench_config, logged_in_client, sample
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


def records_app(data: Dataset):
    """A second app on the same database whose dashboards compute every aggregate row from
    the records at each request (DASHBOARD_FACTS = "records", dashboards.data.sources)."""
    from console import create_app

    return create_app(bench_config(data.url, DASHBOARD_FACTS="records"))


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
    raw_app = records_app(data)
    raw_client = logged_in_client(raw_app, "bench.ministere", "Ministère")
    seller = top_seller(app)
    rows = [
        heading(
            "Dashboard callbacks (p50 / p95)",
            "Ministère, full HTTP request, cache off; baseline: the same callback with the "
            f"aggregates swapped for the same rows computed from raw lines (≤ {RAW_REPEAT} samples, no warm-up)",
        )
    ]
    for label, key, extra in cases():
        values = {**PERIOD, **{k: (seller if v == "TOP_SELLER" else v) for k, v in extra.items()}}
        post, answer = callback(client, key, values)
        facts_ms = sample(post, repeat)
        raw_post, raw_answer = callback(raw_client, key, values)
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
    with raw_app.app_context():
        from console.extensions import db

        db.session.remove()
        db.engine.dispose()
    return rows
