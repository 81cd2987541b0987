"""Query building blocks over the aggregate tables: scope, period and filters in one place.

Seller-level aggregates join the cooperative and go through
``console.security.scoping.apply_scope(…, Cooperative, scope)``; the weekly table has
no seller, so it is limited through ``scope_clause(Province, scope)`` on the seller's
provinces it carries, which selects the same cooperatives.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope, scope_clause
from console.services.periods import as_date

from ..filters import Filters


def province_column(filters: Filters):
    """The cooperative's province column on the map the user chose."""
    return (
        m.Cooperative.province_2025_id
        if filters.map_version == "2025"
        else m.Cooperative.province_id
    )


def narrowed(
    stmt: Select,
    fact,
    scope: ProvinceScope,
    filters: Filters,
    *,
    period_column=None,
    category: bool = True,
) -> Select:
    """Join the seller (and category), apply the scope, the period and the filters."""
    stmt = stmt.join(m.Cooperative, m.Cooperative.id == fact.seller_id)
    if category:
        stmt = stmt.join(m.Category, m.Category.id == fact.category_id)
    stmt = apply_scope(stmt, m.Cooperative, scope)
    if period_column is not None:
        stmt = stmt.where(period_column >= filters.start, period_column <= filters.end)
    if filters.province_id is not None:
        stmt = stmt.where(province_column(filters) == filters.province_id)
    if filters.value_chain_id is not None and category:
        stmt = stmt.where(m.Category.value_chain_id == filters.value_chain_id)
    if filters.cooperative_id is not None:
        stmt = stmt.where(fact.seller_id == filters.cooperative_id)
    return stmt


def area_narrowed(stmt: Select, W, scope: ProvinceScope, filters: Filters) -> Select:
    """Scope, period and filters on the weekly table ``W`` (no seller column)."""
    clause = scope_clause(m.Province, scope)
    if clause is not None:
        ids = select(m.Province.id).where(clause)
        stmt = stmt.where(or_(W.province_id.in_(ids), W.province_2025_id.in_(ids)))
    stmt = stmt.where(W.month >= filters.start, W.month <= filters.end)
    if filters.province_id is not None:
        column = W.province_2025_id if filters.map_version == "2025" else W.province_id
        stmt = stmt.where(column == filters.province_id)
    if filters.value_chain_id is not None:
        stmt = stmt.where(W.value_chain_id == filters.value_chain_id)
    return stmt


def frame(session: Session, stmt: Select, columns: list[str]) -> pd.DataFrame:
    """Run ``stmt`` into a DataFrame with the given column names."""
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)


def dates(series: pd.Series) -> pd.Series:
    return series.map(as_date)


def ints(frame_: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Sums come back as int, Decimal or None: make them plain ints (francs, counts)."""
    for column in columns:
        frame_[column] = frame_[column].fillna(0).map(int)
    return frame_


@dataclass(frozen=True)
class Names:
    """Names of reference rows and sellers, to label grouped ids."""

    provinces: dict[int, str]
    province_map: dict[int, str]
    value_chains: dict[int, str]
    categories: dict[int, str]
    sellers: dict[int, str]

    def province(self, pid) -> str:
        return self.provinces.get(int(pid), "—") if pid is not None and pid == pid else "—"


def names(session: Session, seller_ids=()) -> Names:
    """Reference names (read once per request), plus the names of the given sellers."""
    from flask import has_request_context, request

    memo = request.environ if has_request_context() else {}
    reference = memo.get("isoko.reference_names")
    if reference is None:
        provinces = session.execute(
            select(m.Province.id, m.Province.name, m.Province.map_version)
        ).all()
        reference = (
            {pid: name for pid, name, _ in provinces},
            {pid: version for pid, _, version in provinces},
            dict(session.execute(select(m.ValueChain.id, m.ValueChain.name)).all()),
            dict(session.execute(select(m.Category.id, m.Category.name)).all()),
        )
        memo["isoko.reference_names"] = reference
    ids = sorted({int(i) for i in seller_ids})
    sellers = (
        dict(
            session.execute(
                select(m.Cooperative.id, m.Cooperative.name).where(m.Cooperative.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return Names(*reference, sellers)
