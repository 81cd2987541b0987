"""The home page's key figures, limited to the user's province scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope

BUJUMBURA = ZoneInfo("Africa/Bujumbura")


@dataclass(frozen=True)
class KeyFigures:
    cooperatives: int
    pioneers: int
    devices_deployed: int
    devices_lost_or_in_repair: int
    sales_this_month: int
    tax_due_this_month: int
    orders_this_month: int
    month_start: dt.date


def month_bounds(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The current Bujumbura month as aware UTC bounds [start, end)."""
    start = dt.datetime(today.year, today.month, 1, tzinfo=BUJUMBURA)
    nxt = dt.datetime(today.year + (today.month == 12), today.month % 12 + 1, 1, tzinfo=BUJUMBURA)
    return start.astimezone(dt.UTC), nxt.astimezone(dt.UTC)


def key_figures(session: Session, scope: ProvinceScope, today: dt.date | None = None) -> KeyFigures:
    """Counts and this month's sales and tax for the home page."""
    today = today or dt.datetime.now(BUJUMBURA).date()
    start, end = month_bounds(today)

    def count(model, *where) -> int:
        stmt = apply_scope(select(func.count()).select_from(model).where(*where), model, scope)
        return session.scalar(stmt) or 0

    deployed = count(m.Device, m.Device.status == m.DeviceStatus.ASSIGNED)
    troubled = count(
        m.Device,
        m.Device.status.in_([m.DeviceStatus.LOST, m.DeviceStatus.STOLEN, m.DeviceStatus.IN_REPAIR]),
    )
    sales = apply_scope(
        select(
            func.coalesce(func.sum(m.OrderLine.gross), 0),
            func.coalesce(func.sum(m.OrderLine.tax), 0),
            func.count(func.distinct(m.Order.id)),
        )
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(
            m.Order.placed_at >= start,
            m.Order.placed_at < end,
            m.Order.status != m.OrderStatus.CANCELLED,
        ),
        m.Order,
        scope,
    )
    gross, tax, orders = session.execute(sales).one()
    return KeyFigures(
        cooperatives=count(m.Cooperative),
        pioneers=count(m.Cooperative, m.Cooperative.is_pioneer.is_(True)),
        devices_deployed=deployed,
        devices_lost_or_in_repair=troubled,
        sales_this_month=int(gross),
        tax_due_this_month=int(tax),
        orders_this_month=int(orders),
        month_start=start.astimezone(BUJUMBURA).date(),
    )
