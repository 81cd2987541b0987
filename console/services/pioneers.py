"""« Pionnières actives »: the one definition the home page and the pilot dashboard share.

A pioneer cooperative is active when it sold something (a sale as console.services.sales
counts it) in the ``periods.ACTIVE_DAYS`` Bujumbura days ending on the reference day
(``periods.active_window``). Read from the orders, so both pages agree at once, whatever
the state of the dashboards' aggregates.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope
from console.services.periods import active_window, local_midnight_utc
from console.services.sales import counts_as_order

LABEL = "Pionnières actives"


def active_seller_ids(reference_day: dt.date) -> Select:
    """Distinct ids of the sellers with a sale in the active window ending on ``reference_day``."""
    first, last = active_window(reference_day)
    return (
        select(m.Order.seller_id)
        .where(
            counts_as_order(),  # a return of goods is not activity
            m.Order.placed_at >= local_midnight_utc(first),
            m.Order.placed_at < local_midnight_utc(last + dt.timedelta(days=1)),
        )
        .distinct()
    )


def pioneers(scope: ProvinceScope, *columns, active_on: dt.date | None = None) -> Select:
    """``select(*columns)`` over the scope's pioneer cooperatives; only the active ones
    (in the window ending on ``active_on``) when it is given."""
    C = m.Cooperative
    stmt = apply_scope(select(*columns).select_from(C).where(C.is_pioneer.is_(True)), C, scope)
    if active_on is not None:
        active = active_seller_ids(active_on).subquery("active_sellers")
        stmt = stmt.join(active, active.c.seller_id == C.id)
    return stmt


def count_active(session: Session, scope: ProvinceScope, reference_day: dt.date) -> int:
    """How many of the scope's pioneers are active on ``reference_day``."""
    return session.scalar(pioneers(scope, func.count(), active_on=reference_day)) or 0
