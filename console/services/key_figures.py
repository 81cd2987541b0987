"""The home page's key figures, limited to the user's province scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope
from console.services.areas import default_map
from console.services.inventory import DEPLOYED_STATUSES, TROUBLED_STATUSES
from console.services.periods import local_date, month_bounds, today_local
from console.services.pioneers import count_active, pioneers
from console.services.sales import is_sale, order_count


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
    pioneers_active_30_days: int = 0


def key_figures(session: Session, scope: ProvinceScope, today: dt.date | None = None) -> KeyFigures:
    """Counts and this month's sales and tax for the home page."""
    today = today or today_local()
    start, end = month_bounds(today)

    def count(model, *where) -> int:
        stmt = apply_scope(select(func.count()).select_from(model).where(*where), model, scope)
        return session.scalar(stmt) or 0

    deployed = count(m.Device, m.Device.status.in_(DEPLOYED_STATUSES))
    troubled = count(m.Device, m.Device.status.in_(TROUBLED_STATUSES))
    sales = apply_scope(
        select(
            func.coalesce(func.sum(m.OrderLine.gross), 0),
            func.coalesce(func.sum(m.OrderLine.tax), 0),
            order_count(),
        )
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(
            m.Order.placed_at >= start,
            m.Order.placed_at < end,
            is_sale(),
        ),
        m.Order,
        scope,
    )
    gross, tax, orders = session.execute(sales).one()
    return KeyFigures(
        cooperatives=count(m.Cooperative),
        pioneers=session.scalar(pioneers(scope, func.count())) or 0,
        devices_deployed=deployed,
        devices_lost_or_in_repair=troubled,
        sales_this_month=int(gross),
        tax_due_this_month=int(tax),
        orders_this_month=int(orders),
        month_start=local_date(start),
        pioneers_active_30_days=count_active(session, scope, today),
    )


@dataclass(frozen=True)
class WeekAlerts:
    """The active mévente alerts of the latest computed week, for the home page."""

    week: dt.date | None
    count: int
    shown: list[dict]


def week_alerts(session: Session, scope: ProvinceScope, limit: int = 5) -> WeekAlerts:
    """Active alerts whose last week is the newest one, on one map (each fact counted once)."""
    from console.services.mevente.alerts import alert_records

    records = alert_records(session, scope, map_version=default_map(session, scope))
    if not records:
        return WeekAlerts(None, 0, [])
    week = max(r["last_week"] for r in records)
    latest = [r for r in records if r["last_week"] == week]
    return WeekAlerts(week, len(latest), latest[:limit])
