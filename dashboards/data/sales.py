"""Sales figures for the Ventes and Programme pilote dashboards, from the sales aggregates.

Sales are non-cancelled orders; amounts are TTC (``gross``) unless named ``net``.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope
from console.services.money import round_franc
from console.services.periods import week_start

from ..filters import Filters
from .common import area_narrowed, dates, frame, ints, names, narrowed, province_column
from .sources import AGGREGATES, FactSource

# The data domains these figures read (dashboards.cache: a write to one refreshes them).
READS = ("ventes", "referentiel")


def _month_query(M, scope: ProvinceScope, filters: Filters, *columns):
    """Columns of the monthly sales ``M``, narrowed to the scope, period and filters."""
    return narrowed(select(*columns).select_from(M), M, scope, filters, period_column=M.month)


def totals(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """One row: TTC, HT, tax, orders and active sellers over the period."""
    M = facts.sales_month
    stmt = _month_query(
        M,
        scope,
        filters,
        func.sum(M.gross),
        func.sum(M.net),
        func.sum(M.tax),
        func.sum(M.order_count),
        func.count(func.distinct(M.seller_id)),
    )
    result = frame(session, stmt, ["gross", "net", "tax", "orders", "sellers"])
    return ints(result, "gross", "net", "tax", "orders", "sellers")


def over_time(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """TTC and orders per month or per week (weeks cut at the period's month ends)."""
    M, D, W = facts.sales_month, facts.sales_day, facts.sales_week
    if filters.grain == "semaine" and filters.cooperative_id is None:
        stmt = area_narrowed(
            select(W.week_start, func.sum(W.gross), func.sum(W.order_count), func.sum(W.net))
            .group_by(W.week_start)
            .order_by(W.week_start),
            W,
            scope,
            filters,
        )
    elif filters.grain == "semaine":
        # One cooperative: its daily rows are few, whatever the national volume.
        week = week_start(D.day)
        stmt = narrowed(
            select(week, func.sum(D.gross), func.sum(D.order_count), func.sum(D.net))
            .select_from(D)
            .where(D.day >= filters.start, D.day <= filters.last_day)
            .group_by(week)
            .order_by(week),
            D,
            scope,
            filters,
        )
    else:
        stmt = (
            _month_query(
                M,
                scope,
                filters,
                M.month,
                func.sum(M.gross),
                func.sum(M.order_count),
                func.sum(M.net),
            )
            .group_by(M.month)
            .order_by(M.month)
        )
    result = frame(session, stmt, ["period", "gross", "orders", "net"])
    result["period"] = dates(result["period"])
    return ints(result, "gross", "orders", "net")


def by_province(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """TTC and orders per province of the chosen map, largest first."""
    M = facts.sales_month
    column = province_column(filters)
    stmt = _month_query(
        M, scope, filters, column, func.sum(M.gross), func.sum(M.order_count)
    ).group_by(column)
    result = ints(frame(session, stmt, ["province_id", "gross", "orders"]), "gross", "orders")
    labels = names(session)
    result["province"] = result["province_id"].map(labels.province)
    return result.sort_values(
        ["gross", "province"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def by_value_chain(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """TTC, tax and orders per value chain, largest first."""
    M = facts.sales_month
    chain = m.Category.value_chain_id
    stmt = _month_query(
        M, scope, filters, chain, func.sum(M.gross), func.sum(M.tax), func.sum(M.order_count)
    ).group_by(chain)
    result = ints(
        frame(session, stmt, ["value_chain_id", "gross", "tax", "orders"]), "gross", "tax", "orders"
    )
    chains = names(session).value_chains
    result["value_chain"] = result["value_chain_id"].map(lambda i: chains.get(int(i), "—"))
    return result.sort_values(
        ["gross", "value_chain"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


TOP_N = 15


def top_sellers(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """The sellers with the largest TTC over the period (ties broken by id)."""
    M = facts.sales_month
    gross = func.sum(M.gross)
    stmt = (
        _month_query(
            M,
            scope,
            filters,
            M.seller_id,
            gross,
            func.sum(M.order_count),
            m.Cooperative.province_id,
            m.Cooperative.province_2025_id,
            m.Cooperative.is_pioneer,
        )
        .group_by(
            M.seller_id,
            m.Cooperative.province_id,
            m.Cooperative.province_2025_id,
            m.Cooperative.is_pioneer,
        )
        .order_by(gross.desc(), M.seller_id)
        .limit(TOP_N)
    )
    columns = ["seller_id", "gross", "orders", "province_id", "province_2025_id", "is_pioneer"]
    result = ints(frame(session, stmt, columns), "gross", "orders")
    labels = names(session, result["seller_id"])
    result["seller"] = result["seller_id"].map(lambda i: labels.sellers.get(int(i), "—"))
    key = "province_2025_id" if filters.map_version == "2025" else "province_id"
    result["province"] = result[key].map(labels.province)
    return result


def local_vs_export(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """TTC per month, local and export sales apart."""
    M = facts.sales_month
    stmt = _month_query(M, scope, filters, M.month, M.is_export, func.sum(M.gross)).group_by(
        M.month, M.is_export
    )
    result = ints(frame(session, stmt, ["month", "is_export", "gross"]), "gross")
    result["month"] = dates(result["month"])
    result["is_export"] = result["is_export"].map(bool)
    return result.sort_values(["month", "is_export"]).reset_index(drop=True)


def raw_material_purchases(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Raw materials bought by cooperatives from cooperatives: TTC per month × value chain."""
    M = facts.sales_month
    chain = m.Category.value_chain_id
    stmt = (
        _month_query(M, scope, filters, M.month, chain, func.sum(M.gross), func.sum(M.order_count))
        .where(M.buyer_is_cooperative.is_(True), m.Category.is_raw_material.is_(True))
        .group_by(M.month, chain)
    )
    result = ints(
        frame(session, stmt, ["month", "value_chain_id", "gross", "orders"]), "gross", "orders"
    )
    result["month"] = dates(result["month"])
    chains = names(session).value_chains
    result["value_chain"] = result["value_chain_id"].map(lambda i: chains.get(int(i), "—"))
    return result.sort_values(["month", "value_chain"]).reset_index(drop=True)


def pioneers_vs_others(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Per month: TTC, selling cooperatives and average per seller, pioneers and others.

    Only cooperatives are compared (individual entrepreneurs are not in the programme).
    """
    M = facts.sales_month
    stmt = (
        _month_query(
            M,
            scope,
            filters,
            M.month,
            m.Cooperative.is_pioneer,
            func.sum(M.gross),
            func.count(func.distinct(M.seller_id)),
        )
        .where(m.Cooperative.seller_kind == m.SellerKind.COOPERATIVE)
        .group_by(M.month, m.Cooperative.is_pioneer)
    )
    result = ints(
        frame(session, stmt, ["month", "is_pioneer", "gross", "sellers"]), "gross", "sellers"
    )
    result["month"] = dates(result["month"])
    result["is_pioneer"] = result["is_pioneer"].map(bool)
    result["average"] = [
        round_franc(Decimal(gross) / sellers) if sellers else 0
        for gross, sellers in zip(result["gross"], result["sellers"], strict=True)
    ]
    return result.sort_values(["month", "is_pioneer"]).reset_index(drop=True)
