"""Rebuild the dashboards' aggregate tables (console/models/facts.py) from the raw records.

``refresh_facts(session)`` rebuilds everything; ``refresh_facts(session, since=day)``
recomputes only what records dated from ``day`` on can change: the days from ``day``,
the months and weeks from the first of its month, and the listings listed, closed or
sold from ``day``. Callers pass the earliest Bujumbura day they changed: an import's
first order date, a seeding's window start; for a payment or a status change, the day
of the order it belongs to (payments count in the month of the sale they pay for). Every step is one set-based INSERT … SELECT that reads
the same on SQLite and PostgreSQL; the caller's transaction is flushed, not committed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import (
    String,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from console import models as m
from console.models.facts import NO_TAX_KIND
from console.services.periods import (
    add_months,
    as_date,
    local_date,
    local_day,
    local_midnight_utc,
    month_start,
    today_local,
    week_start,
)
from console.services.sales import counts_as_order, is_sale
from console.services.tax.sql import line_amount

log = logging.getLogger(__name__)


def value_at_price(quantity, unit_price):
    """quantity × unit price in whole francs, half-up, exactly on both databases.

    SQLite keeps NUMERIC quantities as floating point, where 2.5 × 3 may come out as
    7.4999…: the quantity is first made an exact count of thousandths (its scale), then
    the product is rounded by the one half-up routine (console.services.tax.sql).
    """
    return line_amount(unit_price, quantity)


# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did: from which day, and how many aggregate rows it wrote."""

    refresh_id: int
    since: dt.date | None
    rows_written: int


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _rollup_measures(source):
    c = source.c
    return [
        func.sum(c.quantity).label("quantity"),
        func.sum(c.net).label("net"),
        func.sum(c.tax).label("tax"),
        func.sum(c.gross).label("gross"),
        func.sum(c.line_count).label("line_count"),
        func.sum(c.order_count).label("order_count"),
    ]


_MEASURES = ["quantity", "net", "tax", "gross", "line_count", "order_count"]
_SALES_KEYS = ["seller_id", "category_id", "is_export", "buyer_is_cooperative", "tax_kind"]


def sales_day_select(since: dt.date | None = None):
    """Order lines of non-cancelled orders summed per day × seller × category × buyer × tax kind.

    Each order counts once, on the category of its first line; a return's lines
    (negative) are summed with the sales of their day, its order is not counted
    (console.services.sales.counts_as_order). The first line is found by a window over
    the lines read, not by a join: right after live writes the planner's statistics
    do not know the new day yet, and a join planned for two rows became quadratic.
    """
    line, order = m.OrderLine, m.Order
    live_orders = [is_sale(order)]
    if since:
        live_orders.append(order.placed_at >= local_midnight_utc(since))
    first_no = func.min(line.line_no).over(partition_by=line.order_id)
    lines = (
        select(
            order.placed_at,
            order.seller_id,
            order.is_export,
            order.buyer_id,
            line.product_id,
            line.tax_rule_id,
            line.quantity,
            line.net,
            line.tax,
            line.gross,
            case((and_(line.line_no == first_no, counts_as_order(order)), 1), else_=0).label(
                "counted"
            ),
        )
        .join(order, order.id == line.order_id)
        .where(*live_orders)
        .subquery("sale_lines")
    )
    c = lines.c
    day = local_day(c.placed_at)
    buyer_is_coop = m.Buyer.kind == m.BuyerKind.COOPERATIVE
    # The stored value ("vat"…), as text: lines without a rule get "none".
    tax_kind = func.coalesce(type_coerce(m.TaxRule.kind, String(32)), literal(NO_TAX_KIND))
    keys = [day, c.seller_id, m.Product.category_id, c.is_export, buyer_is_coop, tax_kind]
    names = ["day", *_SALES_KEYS]
    measures = [
        func.sum(c.quantity),
        func.sum(c.net),
        func.sum(c.tax),
        func.sum(c.gross),
        func.count(),
        func.sum(c.counted),
    ]
    return (
        select(
            *(key.label(name) for key, name in zip(keys, names, strict=True)),
            *(expr.label(name) for expr, name in zip(measures, _MEASURES, strict=True)),
        )
        .select_from(lines)
        .join(m.Product, m.Product.id == c.product_id)
        .join(m.Buyer, m.Buyer.id == c.buyer_id)
        .outerjoin(m.TaxRule, m.TaxRule.id == c.tax_rule_id)
        .group_by(*keys)
    )


def sales_month_select(days, since_month: dt.date | None = None):
    """Day-grain sales (the day table, or sales_day_select as a subquery) summed per month."""
    c = days.c
    keys = [month_start(c.day).label("month"), *(c[name] for name in _SALES_KEYS)]
    source = select(*keys, *_rollup_measures(days)).group_by(*keys)
    return source.where(c.day >= since_month) if since_month else source


def sales_week_select(days, since_month: dt.date | None = None):
    """Day-grain sales summed per week (cut at month ends) × seller's provinces × value chain."""
    c, coop, cat = days.c, m.Cooperative, m.Category
    keys = [
        week_start(c.day).label("week_start"),
        month_start(c.day).label("month"),
        coop.province_id.label("province_id"),
        coop.province_2025_id.label("province_2025_id"),
        cat.value_chain_id.label("value_chain_id"),
    ]
    source = (
        select(*keys, *_rollup_measures(days))
        .select_from(days)
        .join(coop, coop.id == c.seller_id)
        .join(cat, cat.id == c.category_id)
        .group_by(*keys)
    )
    return source.where(c.day >= since_month) if since_month else source


def payment_month_select(since_month: dt.date | None = None):
    """Payments of non-cancelled orders per month of the sale × seller."""
    pay, order = m.Payment, m.Order
    month = month_start(local_day(order.placed_at))
    source = (
        select(
            month.label("month"),
            order.seller_id.label("seller_id"),
            func.sum(pay.amount).label("amount"),
            func.sum(pay.tax_amount).label("tax_amount"),
            func.count().label("payment_count"),
        )
        .join(order, order.id == pay.order_id)
        .where(is_sale(order))
        .group_by(month, order.seller_id)
    )
    if since_month:
        source = source.where(order.placed_at >= local_midnight_utc(since_month))
    return source


def _insert(session: Session, model, source) -> int:
    columns = [column.name for column in source.selected_columns]
    return session.execute(insert(model).from_select(columns, source)).rowcount or 0


def _refresh_sales_days(session: Session, since: dt.date | None) -> int:
    D = m.SalesDayFact
    session.execute(delete(D).where(D.day >= since) if since else delete(D))
    return _insert(session, D, sales_day_select(since))


def _refresh_sales_months(session: Session, since_month: dt.date | None) -> int:
    M = m.SalesMonthFact
    session.execute(delete(M).where(M.month >= since_month) if since_month else delete(M))
    return _insert(session, M, sales_month_select(m.SalesDayFact.__table__, since_month))


def _refresh_sales_weeks(session: Session, since_month: dt.date | None) -> int:
    W = m.SalesWeekFact
    session.execute(delete(W).where(W.month >= since_month) if since_month else delete(W))
    return _insert(session, W, sales_week_select(m.SalesDayFact.__table__, since_month))


def _refresh_payments(session: Session, since_month: dt.date | None) -> int:
    """Payments per month of the sale they pay for (as in services.reconciliation)."""
    P = m.PaymentMonthFact
    session.execute(delete(P).where(P.month >= since_month) if since_month else delete(P))
    return _insert(session, P, payment_month_select(since_month))


def _touched_listings(since: dt.date):
    """Ids of listings listed, closed or sold (any order status) from ``since``."""
    start = local_midnight_utc(since)
    listing, line, order = m.Listing, m.OrderLine, m.Order
    sold = (
        select(line.listing_id)
        .join(order, order.id == line.order_id)
        .where(order.placed_at >= start, line.listing_id.is_not(None))
    )
    return select(listing.id).where(
        or_(listing.listed_at >= start, listing.closed_at >= start, listing.id.in_(sold))
    )


def listing_select(touched=None):
    """One row per listing (or per touched listing): offered, sold by non-cancelled orders."""
    listing, line, order = m.Listing, m.OrderLine, m.Order
    sold_day = local_day(order.placed_at)
    sales = (
        select(
            line.listing_id.label("listing_id"),
            func.sum(line.quantity).label("quantity"),
            func.sum(line.gross).label("gross"),
            # Sales of the listing and their days: its returns net the quantity and gross only.
            func.count(case((counts_as_order(order), 1))).label("sales"),
            func.min(case((counts_as_order(order), sold_day))).label("first_on"),
            func.max(case((counts_as_order(order), sold_day))).label("last_on"),
        )
        .join(order, order.id == line.order_id)
        .where(is_sale(order), line.listing_id.is_not(None))
        .group_by(line.listing_id)
    )
    if touched is not None:
        sales = sales.where(line.listing_id.in_(touched))
    sales = sales.subquery("listing_sales")
    source = (
        select(
            listing.id.label("listing_id"),
            listing.cooperative_id.label("seller_id"),
            m.Product.category_id.label("category_id"),
            local_day(listing.listed_at).label("listed_on"),
            case((listing.closed_at.is_(None), None), else_=local_day(listing.closed_at)).label(
                "closed_on"
            ),
            listing.unit_price.label("unit_price"),
            listing.quantity_offered.label("quantity_offered"),
            func.coalesce(sales.c.quantity, 0).label("quantity_sold"),
            func.coalesce(sales.c.gross, 0).label("gross_sold"),
            func.coalesce(sales.c.sales, 0).label("sale_count"),
            sales.c.first_on.label("first_sale_on"),
            sales.c.last_on.label("last_sale_on"),
        )
        .join(m.Product, m.Product.id == listing.product_id)
        .outerjoin(sales, sales.c.listing_id == listing.id)
    )
    return source.where(listing.id.in_(touched)) if touched is not None else source


def listing_month_select(listings, months: list[dt.date] | None = None):
    """Listing rows (the table, or listing_select as a subquery) summed per month listed."""
    c = listings.c
    month = month_start(c.listed_on)
    keys = [month.label("month"), c.seller_id, c.category_id]
    source = select(
        *keys,
        func.count().label("listing_count"),
        func.sum(c.quantity_offered).label("quantity_offered"),
        func.sum(c.quantity_sold).label("quantity_sold"),
        func.sum(value_at_price(c.quantity_sold, c.unit_price)).label("value_sold"),
        func.sum(value_at_price(c.quantity_offered, c.unit_price)).label("value_offered"),
        func.sum(case((c.sale_count == 0, 1), else_=0)).label("unsold_listing_count"),
    ).group_by(*keys)
    return source.where(month.in_(months)) if months is not None else source


def _refresh_listings(session: Session, since: dt.date | None) -> tuple[int, list[dt.date] | None]:
    """Rewrite touched listings; return rows written and the listing months to roll up."""
    F, listing = m.ListingFact, m.Listing
    touched = _touched_listings(since) if since else None
    months = None
    if touched is not None:
        # Months whose rollup changes: where touched listings were, and where they are now.
        before = select(month_start(F.listed_on)).where(F.listing_id.in_(touched))
        now = select(month_start(local_day(listing.listed_at))).where(listing.id.in_(touched))
        months = sorted({as_date(d) for d in session.scalars(before.union(now))})
        session.execute(delete(F).where(F.listing_id.in_(touched)))
    else:
        session.execute(delete(F))
    return _insert(session, F, listing_select(touched)), months


def _refresh_listing_months(session: Session, months: list[dt.date] | None) -> int:
    LM = m.ListingMonthFact
    if months is not None and not months:
        return 0
    session.execute(delete(LM) if months is None else delete(LM).where(LM.month.in_(months)))
    return _insert(session, LM, listing_month_select(m.ListingFact.__table__, months))


def _refresh_sell_through(session: Session, since_month: dt.date | None) -> int:
    """The sell-through terms per listing × month from ``since_month`` (every month when None).

    One insert per month from the mévente service's own select, from the first month a
    listing was on offer to the current month (or the last sale's, if later).
    """
    from console.services.mevente.sell_through import month_terms_select

    F = m.SellThroughMonthFact
    session.execute(delete(F).where(F.month >= since_month) if since_month else delete(F))
    first_listed, last_listed = session.execute(
        select(func.min(m.Listing.listed_at), func.max(m.Listing.listed_at))
    ).one()
    if first_listed is None:
        return 0
    last_sold = session.scalar(select(func.max(m.Order.placed_at)))
    moments = [moment for moment in (last_listed, last_sold) if moment is not None]
    last = max([today_local(), *(local_date(moment) for moment in moments)])
    month = _first_of_month(local_date(first_listed))
    if since_month is not None:
        month = max(month, since_month)
    written = 0
    while month <= last:
        written += _insert(session, F, month_terms_select(month))
        month = add_months(month, 1)
    return written


def _refresh_leakage_flags(session: Session, since_month: dt.date | None) -> int:
    """Store the leakage flags of the months from ``since_month`` (all months when None).

    The rows kept (periods ending before ``since_month``) and the rows written are together
    those of a full rebuild on the same day: the periods the day alone may have changed
    since the stored flags were judged (deadlines, grace, the drop's months:
    leakage.settling_days) are judged again, and a kind raised once per seller
    (flags.ONCE_PER_SELLER) is not raised again for a seller that keeps an earlier flag.
    """
    from console.security.scoping import NATIONAL
    from console.services.tax.engine import RuleConflictError
    from console.services.tax.flags import ONCE_PER_SELLER
    from console.services.tax.leakage import leakage_flags, settling_days

    F = m.LeakageFlagFact
    today = today_local()
    judged = session.scalar(select(func.max(F.computed_on))) if since_month else None
    if judged is not None:
        unsettled = as_date(judged) - dt.timedelta(days=settling_days(session, today))
        since_month = min(since_month, _first_of_month(unsettled))
    session.execute(delete(F).where(F.period_end >= since_month) if since_month else delete(F))
    already = set()
    if since_month:
        already = set(
            session.execute(
                select(F.kind, F.seller_id).where(F.kind.in_(sorted(ONCE_PER_SELLER)))
            ).all()
        )
    first = session.scalar(select(func.min(m.SalesMonthFact.month)))
    if first is None:
        return 0
    start = max(since_month, as_date(first)) if since_month else as_date(first)
    if start > today:
        return 0
    try:
        flags = leakage_flags(session, NATIONAL, start, today, as_of=today)
    except RuleConflictError:
        # Conflicting rules make the detectors meaningless; the tax pages say so.
        log.warning("signalements non calculés : règles fiscales en conflit")
        return 0
    rows = [
        {
            "kind": flag.kind,
            "seller_id": flag.seller_id,
            "period_start": flag.period.start,
            "period_end": flag.period.end,
            "period_label": flag.period.label,
            "amount_at_stake": int(flag.amount_at_stake),
            "explanation": flag.explanation,
            "computed_on": today,
        }
        for flag in flags
        if (since_month is None or flag.period.end >= since_month)
        and (flag.kind, flag.seller_id) not in already
    ]
    if rows:
        session.execute(insert(F), rows)
    return len(rows)


def refresh_facts(session: Session, since: dt.date | None = None) -> RefreshResult:
    """Recompute the aggregates touched from ``since`` (everything when None); flushes only."""
    started = dt.datetime.now(dt.UTC)
    since_month = _first_of_month(since) if since else None
    written = _refresh_sales_days(session, since)
    written += _refresh_sales_months(session, since_month)
    written += _refresh_sales_weeks(session, since_month)
    written += _refresh_payments(session, since_month)
    listings, months = _refresh_listings(session, since)
    written += listings
    written += _refresh_listing_months(session, months)
    written += _refresh_sell_through(session, since_month)
    written += _refresh_leakage_flags(session, since_month)
    run = m.FactRefresh(
        since=since, started_at=started, finished_at=dt.datetime.now(dt.UTC), rows_written=written
    )
    session.add(run)
    session.flush()
    return RefreshResult(run.id, since, written)


def latest_refresh(session: Session) -> m.FactRefresh | None:
    """The last refresh run, or None when the aggregates were never built."""
    return session.scalars(select(m.FactRefresh).order_by(m.FactRefresh.id.desc()).limit(1)).first()


__all__ = [
    "RefreshResult",
    "latest_refresh",
    "listing_month_select",
    "listing_select",
    "payment_month_select",
    "refresh_facts",
    "sales_day_select",
    "sales_month_select",
    "sales_week_select",
    "value_at_price",
]
