"""One year of tax reconciliation against a plain GROUP BY month over the same lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from .common import Dataset, percentile, sample
from .table import Row, heading, number, timing_row

YEAR = 2025  # the one full calendar year of the demo data (July 2024 – June 2026)
START, END = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
# The year's bounds in UTC: Bujumbura is UTC+2, as the services count it.
UTC_BOUNDS = {"start": dt.datetime(YEAR - 1, 12, 31, 22), "end": dt.datetime(YEAR, 12, 31, 22)}
GROUP_BY = sa.text(
    "SELECT date_trunc('month', o.placed_at) AS month, sum(l.tax) FROM order_line l "
    "JOIN sale_order o ON o.id = l.order_id "
    "WHERE o.placed_at >= :start AND o.placed_at < :end GROUP BY 1"
)


def measure(app, data: Dataset, repeat: int) -> list[Row]:
    """Reconciliation by month and by quarter, leakage flags and a what-if, each vs the GROUP BY."""
    from console.extensions import db
    from console.security.scoping import NATIONAL
    from console.services.tax.leakage import leakage_flags
    from console.services.tax.reconciliation import reconcile
    from console.services.tax.stamping import load_rules
    from console.services.tax.what_if import draft_with_rate, what_if_period

    with app.app_context():
        session = db.session
        lines = session.scalar(
            sa.text(
                "SELECT count(*) FROM order_line l JOIN sale_order o ON o.id = l.order_id "
                "WHERE o.placed_at >= :start AND o.placed_at < :end"
            ),
            UTC_BOUNDS,
        )
        rules = load_rules(session)
        standard = next(rule for rule in rules if rule.code == "TVA-18")
        draft = draft_with_rate(rules, standard.id, Decimal("0.20"))
        as_of = END + dt.timedelta(days=45)
        base = sample(lambda: session.execute(GROUP_BY, UTC_BOUNDS).all(), repeat)
        measures = [
            ("tax reconciliation, by month", lambda: reconcile(session, NATIONAL, START, END)),
            (
                "tax reconciliation, by quarter",
                lambda: reconcile(session, NATIONAL, START, END, "quarter"),
            ),
            (
                "leakage flags (every kind)",
                lambda: leakage_flags(session, NATIONAL, START, END, as_of=as_of),
            ),
            (
                "what-if, VAT 18 % → 20 %",
                lambda: what_if_period(session, NATIONAL, START, END, draft, current_rules=rules),
            ),
        ]
        rows = [
            heading(
                f"Tax reconciliation, year {YEAR}, national (p50 / p95)",
                f"{number(lines)} order lines in the year; baseline: plain `SELECT month, sum(tax) "
                f"… GROUP BY month` over the same lines ({number(percentile(base, 50), 1)} ms)",
            )
        ]
        for label, function in measures:
            rows.append(timing_row(label, sample(function, repeat), base))
        session.rollback()
    return rows
