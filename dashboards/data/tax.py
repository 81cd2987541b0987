"""Tax receipts with the definitions of console.services.tax.reconciliation, from aggregates.

Due: stamped tax of non-cancelled orders, by month of sale. Collected: the tax part of
the payments of those orders, in the month of the sale. Remitted: VAT remittances to
OBR whose declared period ends in the month. (tests/test_dashboards_tax.py checks the
totals against ``reconcile``.) Remittances are declared per seller, so the value-chain
filter does not narrow them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope
from console.services.ebms import status as ebms_status
from console.services.periods import local_day, local_midnight_utc, month_start
from console.services.tax.leakage import KIND_LABELS, leakage_flags
from console.services.tax.reconciliation import lines_for_seller, seller_in_scope

from ..filters import Filters
from .common import dates, frame, ints, names, province_column
from .sources import AGGREGATES, FactSource

# The data domains these figures read (dashboards.cache: a write to one refreshes them).
READS = ("ventes", "referentiel", "fiscalite")


def _seller_filters(stmt, seller_column, scope: ProvinceScope, filters: Filters):
    """Join the seller, then its scope, province and cooperative filters."""
    return _narrow_sellers(
        stmt.join(m.Cooperative, m.Cooperative.id == seller_column), scope, filters
    )


def _narrow_sellers(stmt, scope: ProvinceScope, filters: Filters):
    """Scope, province and cooperative filters on a statement over the Cooperative."""
    stmt = apply_scope(stmt, m.Cooperative, scope)
    if filters.province_id is not None:
        stmt = stmt.where(province_column(filters) == filters.province_id)
    if filters.cooperative_id is not None:
        stmt = stmt.where(m.Cooperative.id == filters.cooperative_id)
    return stmt


def _due(facts: FactSource, scope, filters, *keys):
    M = facts.sales_month
    stmt = (
        select(*keys, func.sum(M.tax), func.sum(M.net))
        .select_from(M)
        .where(M.month >= filters.start, M.month <= filters.end)
    )
    stmt = _seller_filters(stmt, M.seller_id, scope, filters)
    if filters.value_chain_id is not None:
        stmt = stmt.join(m.Category, m.Category.id == M.category_id).where(
            m.Category.value_chain_id == filters.value_chain_id
        )
    return stmt.group_by(*keys)


def _collected(facts: FactSource, scope, filters, *keys):
    P = facts.payment_month
    stmt = (
        select(*keys, func.sum(P.tax_amount))
        .select_from(P)
        .where(P.month >= filters.start, P.month <= filters.end)
    )
    return _seller_filters(stmt, P.seller_id, scope, filters).group_by(*keys)


def _remitted(scope, filters, *keys):
    R = m.TaxRemittance
    stmt = (
        select(*keys, func.sum(R.amount))
        .select_from(R)
        .where(
            R.tax_kind == m.TaxKind.VAT,
            R.period_end >= filters.start,
            R.period_end <= filters.last_day,
        )
    )
    return _seller_filters(stmt, R.cooperative_id, scope, filters).group_by(*keys)


def monthly(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Per month: tax due, collected, remitted, and the gaps (cumulated too)."""
    M, P = facts.sales_month, facts.payment_month
    due = frame(session, _due(facts, scope, filters, M.month), ["month", "due", "net"])
    collected = frame(session, _collected(facts, scope, filters, P.month), ["month", "collected"])
    remitted_month = month_start(m.TaxRemittance.period_end)
    remitted = frame(session, _remitted(scope, filters, remitted_month), ["month", "remitted"])
    result = pd.DataFrame({"month": filters.months})
    for part in (due, collected, remitted):
        part["month"] = dates(part["month"])
        result = result.merge(part, on="month", how="left")
    result = ints(result.drop(columns=["net"]), "due", "collected", "remitted")
    result["uncollected"] = result["due"] - result["collected"]
    result["unremitted"] = result["due"] - result["remitted"]
    result["unremitted_cumulated"] = result["unremitted"].cumsum()
    return _nothing_if_all_zero(result)


def _nothing_if_all_zero(result: pd.DataFrame) -> pd.DataFrame:
    """No rows when no tax is due, collected or remitted (the chart then says so)."""
    if not result[["due", "collected", "remitted"]].any().any():
        return result.iloc[0:0]
    return result


def by_tax_kind(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Tax due by kind stamped on the lines, and remittances by declared kind."""
    due = frame(
        session, _due(facts, scope, filters, facts.sales_month.tax_kind), ["kind", "due", "net"]
    ).drop(columns=["net"])
    remitted = frame(
        session, _remitted(scope, filters, m.TaxRemittance.tax_kind), ["kind", "remitted"]
    )
    remitted["kind"] = remitted["kind"].map(lambda k: getattr(k, "value", k))
    result = due.merge(remitted, on="kind", how="outer")
    result = ints(result, "due", "remitted")
    labels = {kind.value: kind.label for kind in m.TaxKind}
    labels["none"] = "Sans taxe (exonéré ou non assujetti)"
    result["label"] = result["kind"].map(lambda k: labels.get(k, str(k)))
    shown = result[(result["due"] != 0) | (result["remitted"] != 0)]
    return shown.sort_values(["due", "label"], ascending=[False, True]).reset_index(drop=True)


def by_province(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Due, collected, remitted and unremitted per province of the chosen map."""
    column = province_column(filters)
    due = frame(session, _due(facts, scope, filters, column), ["province_id", "due", "net"]).drop(
        columns=["net"]
    )
    collected = frame(
        session, _collected(facts, scope, filters, column), ["province_id", "collected"]
    )
    remitted = frame(session, _remitted(scope, filters, column), ["province_id", "remitted"])
    result = due.merge(collected, on="province_id", how="outer").merge(
        remitted, on="province_id", how="outer"
    )
    result = ints(result, "due", "collected", "remitted")
    result["unremitted"] = result["due"] - result["remitted"]
    result["province"] = result["province_id"].map(names(session).province)
    return (
        _nothing_if_all_zero(result)
        .sort_values(["due", "province"], ascending=[False, True])
        .reset_index(drop=True)
    )


def totals(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """One row: due, collected, remitted over the period."""
    result = monthly(session, scope, filters, facts)
    return pd.DataFrame([{key: int(result[key].sum()) for key in ("due", "collected", "remitted")}])


DRILL_LIMIT = 200


def seller_lines(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """The selected seller's stamped lines in the period (newest first, 200 at most)."""
    columns = [
        "placed_at",
        "order_reference",
        "product",
        "quantity",
        "net",
        "tax_rule_code",
        "tax_rate",
        "tax",
        "gross",
        "tax_note",
    ]
    if (
        filters.cooperative_id is None
        or seller_in_scope(session, scope, filters.cooperative_id) is None
    ):
        return pd.DataFrame(columns=columns)
    lines = lines_for_seller(
        session, scope, filters.cooperative_id, filters.start, filters.last_day, limit=DRILL_LIMIT
    )
    return pd.DataFrame([{c: getattr(line, c) for c in columns} for line in lines], columns=columns)


FLAG_COLUMNS = [
    "kind",
    "label",
    "seller_id",
    "seller",
    "province",
    "period",
    "period_start",
    "amount",
    "explanation",
    "computed_on",
]


FLAGS_SHOWN = 100  # rows on screen (charts.TABLE_ROWS); the export reads them all


def leakage(
    session: Session,
    scope: ProvinceScope,
    filters: Filters,
    facts: FactSource = AGGREGATES,
    limit: int | None = FLAGS_SHOWN,
) -> pd.DataFrame:
    """Leakage flags (stored by the last refresh) of periods ending in the period, largest first.

    The screen reads the first ``limit`` and the count: more sales bring more flags, and
    the callback's cost must not follow them.
    """
    if facts.live_flags:
        return _live_leakage(session, scope, filters, limit)
    F = m.LeakageFlagFact
    column = province_column(filters)
    in_period = [F.period_end >= filters.start, F.period_end <= filters.last_day]
    stmt = _seller_filters(
        select(
            F.kind,
            F.seller_id,
            m.Cooperative.name,
            column,
            F.period_label,
            F.period_start,
            F.amount_at_stake,
            F.explanation,
            F.computed_on,
        )
        .select_from(F)
        .where(*in_period),
        F.seller_id,
        scope,
        filters,
    ).order_by(F.amount_at_stake.desc(), F.period_start, F.id)
    total = session.scalar(
        _seller_filters(
            select(func.count()).select_from(F).where(*in_period), F.seller_id, scope, filters
        )
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    result = frame(
        session,
        stmt,
        [
            "kind",
            "seller_id",
            "seller",
            "province_id",
            "period",
            "period_start",
            "amount",
            "explanation",
            "computed_on",
        ],
    )
    result = ints(result, "amount")
    result["label"] = result["kind"].map(lambda k: KIND_LABELS.get(k, k))
    result["province"] = result["province_id"].map(names(session).province)
    result["period_start"] = dates(result["period_start"])
    result["total"] = int(total or 0)
    return result[[*FLAG_COLUMNS, "total"]]


def all_leakage(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Every flag of the period, for the export."""
    return leakage(session, scope, filters, facts, limit=None)


def _live_leakage(
    session: Session, scope: ProvinceScope, filters: Filters, limit: int | None
) -> pd.DataFrame:
    """The flags console.services.tax.leakage finds now in the period's records, largest first.

    The refresh judges every month with all the data at hand; here only the period's months
    are judged (sales drop, 12-month turnover), so the two lists may differ by design.
    """
    sellers = set(session.scalars(_narrow_sellers(select(m.Cooperative.id), scope, filters)))
    rows = [
        {
            "kind": flag.kind,
            "label": flag.label,
            "seller_id": flag.seller_id,
            "seller": flag.seller_name,
            "province": flag.province,
            "period": flag.period.label,
            "period_start": flag.period.start,
            "amount": int(flag.amount_at_stake),
            "explanation": flag.explanation,
            "computed_on": None,
        }
        for flag in leakage_flags(session, scope, filters.start, filters.last_day)
        if flag.seller_id in sellers
    ]
    result = pd.DataFrame(rows, columns=FLAG_COLUMNS).sort_values(
        ["amount", "period_start", "seller_id"], ascending=[False, True, True], kind="stable"
    )
    result["total"] = len(result)
    return (result if limit is None else result.head(limit)).reset_index(drop=True)


# -- OBR eBMS: where the sales' invoices stand (console.services.ebms.status) ---------------


def _obr_where(filters: Filters) -> list:
    """The page's province and cooperative filters (the value chain does not split an invoice)."""
    where = []
    if filters.province_id is not None:
        where.append(province_column(filters) == filters.province_id)
    if filters.cooperative_id is not None:
        where.append(m.Cooperative.id == filters.cooperative_id)
    return where


def _obr_window(filters: Filters):
    return local_midnight_utc(filters.start), local_midnight_utc(
        filters.last_day + dt.timedelta(days=1)
    )


OBR_COLUMNS = ["key", "status", "sales", "tax"]


def _obr_frame(session: Session, scope: ProvinceScope, filters: Filters, key) -> pd.DataFrame:
    """Sales and tax per ``key`` × status, one column per status (counts) plus the tax."""
    start, end = _obr_window(filters)
    rows = ebms_status.status_totals(session, scope, start, end, key, where=_obr_where(filters))
    raw = pd.DataFrame(rows, columns=OBR_COLUMNS)
    counts = raw.pivot_table(index="key", columns="status", values="sales", aggfunc="sum")
    taxes = raw.pivot_table(index="key", columns="status", values="tax", aggfunc="sum")
    result = pd.DataFrame(index=counts.index)
    for status in ebms_status.STATUSES:
        result[status] = counts[status] if status in counts else 0
        result[f"{status}_tax"] = taxes[status] if status in taxes else 0
    result = ints(result.fillna(0), *result.columns)
    result["stamped"] = result[list(ebms_status.STATUSES)].sum(axis=1)
    result["stamped_tax"] = result[[f"{s}_tax" for s in ebms_status.STATUSES]].sum(axis=1)
    return result.reset_index()


def obr_by_day(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Per Bujumbura day of sale: sales stamped, registered, pending, refused, not sent."""
    result = _obr_frame(session, scope, filters, local_day(m.Order.placed_at))
    result = result.rename(columns={"key": "day"})
    result["day"] = dates(result["day"])
    return result.sort_values("day").reset_index(drop=True)


def obr_by_province(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """The same per province of the chosen map, most sales first."""
    result = _obr_frame(session, scope, filters, province_column(filters))
    result = result.rename(columns={"key": "province_id"})
    result["province"] = result["province_id"].map(names(session).province)
    return result.sort_values(["stamped", "province"], ascending=[False, True]).reset_index(
        drop=True
    )


def obr_totals(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """One row: the period's counts by status and the transmission lag (p50, p95, seconds)."""
    days = obr_by_day(session, scope, filters, facts)
    columns = ["stamped", *ebms_status.STATUSES, "stamped_tax", "registered_tax"]
    row = {c: int(days[c].sum()) if len(days) else 0 for c in columns}
    start, end = _obr_window(filters)
    lag = ebms_status.lag_summary(
        ebms_status.transmission_lags(session, scope, start, end, where=_obr_where(filters))
    )
    row |= {"lag_count": lag.count, "lag_p50_s": lag.p50_s, "lag_p95_s": lag.p95_s}
    return pd.DataFrame([row])
