"""Scoped query building blocks shared by the report definitions.

Every query here goes through console.security.scoping.apply_scope with the report's
data scope; nothing re-implements province filtering.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope
from console.services.periods import Period
from console.services.sales import is_sale


def in_period(period: Period) -> tuple:
    """Orders placed during the period (Bujumbura calendar)."""
    return (m.Order.placed_at >= period.utc_start, m.Order.placed_at < period.utc_end)


def sales_select(scope: ProvinceScope, period: Period, *columns):
    """SELECT ``columns`` FROM order lines of non-cancelled orders of the period, in scope."""
    stmt = (
        select(*columns)
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .join(m.Cooperative, m.Cooperative.id == m.Order.seller_id)
        .where(*in_period(period), is_sale())
    )
    return apply_scope(stmt, m.Order, scope)


def province_column(map_version: str):
    """The cooperative's province under the chosen map."""
    return m.Cooperative.province_id if map_version == "2015" else m.Cooperative.province_2025_id


def provinces_of_map(
    session: Session, scope: ProvinceScope, map_version: str
) -> dict[int, m.Province]:
    """The provinces of a map visible in the scope, by id, in name order."""
    stmt = apply_scope(
        select(m.Province).where(m.Province.map_version == map_version), m.Province, scope
    )
    return {p.id: p for p in session.scalars(stmt.order_by(m.Province.name))}
