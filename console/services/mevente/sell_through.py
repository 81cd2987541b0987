"""« Taux d'écoulement » (sell-through): the one definition the mévente service owns.

Over a period: what sold from the offers during the period ÷ (the stock left on them at
its start + what was offered during it). Quantities of different units cannot be added,
so each is valued at its offer's listed price. Sales are order lines sold from an offer
(orders not cancelled), each offer's sales capped at what it had left. Values are
counted in thousandths of a franc with integer arithmetic in SQL (SQLite keeps NUMERIC
as floating point), so the rate is an exact Decimal on both databases.

The monthly sales report, the mévente dashboard and the weekly indicators all call
this module; the label and the one-line definition under every chart and table showing
the rate come from here too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import BigInteger, Date, case, cast, distinct, func, literal, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope
from console.services.money import round_franc
from console.services.periods import as_date, local_midnight_utc, month_end
from console.services.sales import is_sale

LABEL = "Taux d'écoulement"
DEFINITION = (
    "Taux d'écoulement : valeur vendue pendant la période ÷ (stock en ligne au début de la "
    "période + valeur offerte pendant la période), au prix de l'offre."
)
MILLI = 1000  # quantities have three decimals: counted as integer thousandths

# Groupings a caller may ask for: the value chain, or the province on either map.
GROUPS = {
    "value_chain": m.Category.value_chain_id,
    "province_2015": m.Cooperative.province_id,
    "province_2025": m.Cooperative.province_2025_id,
}


def sell_through_rate(sold, opening, offered) -> Decimal | None:
    """sold ÷ (opening + offered), exact, at most 1; None when nothing was on offer."""
    supply = Decimal(opening) + Decimal(offered)
    if supply <= 0:
        return None
    return min(Decimal(sold) / supply, Decimal(1))


@dataclass(frozen=True)
class SupplyAndSales:
    """The three terms of the rate for one group, in thousandths of a franc."""

    opening_milli: int = 0
    offered_milli: int = 0
    sold_milli: int = 0
    listings: int = 0  # offers on sale during the period
    unsold: int = 0  # of which nothing sold during the period

    def __add__(self, other: SupplyAndSales) -> SupplyAndSales:
        return SupplyAndSales(*(a + b for a, b in zip(_terms(self), _terms(other), strict=True)))

    @property
    def rate(self) -> Decimal | None:
        """The « taux d'écoulement », exact (None when nothing was on offer)."""
        return sell_through_rate(self.sold_milli, self.opening_milli, self.offered_milli)

    @property
    def opening(self) -> int:
        """Stock on offer at the start of the period, whole francs."""
        return _francs(self.opening_milli)

    @property
    def offered(self) -> int:
        """Offered during the period, whole francs."""
        return _francs(self.offered_milli)

    @property
    def sold(self) -> int:
        """Sold from the offers during the period, whole francs."""
        return _francs(self.sold_milli)


def _terms(figures: SupplyAndSales) -> tuple[int, ...]:
    return (
        figures.opening_milli,
        figures.offered_milli,
        figures.sold_milli,
        figures.listings,
        figures.unsold,
    )


def total(figures) -> SupplyAndSales:
    """The terms of several groups added up (the rate of the whole, not a mean of rates)."""
    return sum(figures, SupplyAndSales())


def _francs(milli: int) -> int:
    return round_franc(Decimal(milli) / MILLI)


def _milli(quantity):
    return cast(func.round(quantity * MILLI), BigInteger)


def _positive(expression):
    return case((expression > 0, expression), else_=0)


def _smaller(a, b):
    return case((a < b, a), else_=b)


def _on_offer_terms(start: dt.date, end: dt.date):
    """The listings on offer during the Bujumbura days [start, end] and their three terms.

    Returns a select from the listing (joined to its product, category and cooperative)
    without columns, and the opening, offered and sold values of each listing, in
    thousandths of a franc at the listed price.
    """
    start_utc, end_utc = local_midnight_utc(start), local_midnight_utc(end + dt.timedelta(days=1))
    listing = m.Listing
    on_offer = [
        listing.listed_at < end_utc,
        (listing.closed_at.is_(None)) | (listing.closed_at >= start_utc),
    ]
    line_milli = _milli(m.OrderLine.quantity)
    sold = (
        select(
            m.OrderLine.listing_id.label("listing_id"),
            func.sum(case((m.Order.placed_at < start_utc, line_milli), else_=0)).label("before"),
            func.sum(case((m.Order.placed_at >= start_utc, line_milli), else_=0)).label("during"),
        )
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .join(listing, listing.id == m.OrderLine.listing_id)
        .where(is_sale(), m.Order.placed_at < end_utc, *on_offer)
        .group_by(m.OrderLine.listing_id)
        .subquery("sold")
    )
    offered_milli = _milli(listing.quantity_offered)
    before = func.coalesce(sold.c.before, 0)
    during = func.coalesce(sold.c.during, 0)
    listed_before = listing.listed_at < start_utc
    opening = case((listed_before, _positive(offered_milli - before)), else_=0)
    offered = case((listed_before, 0), else_=offered_milli)
    sold_milli = _smaller(during, opening + offered)
    base = (
        select()
        .select_from(listing)
        .join(m.Product, m.Product.id == listing.product_id)
        .join(m.Category, m.Category.id == m.Product.category_id)
        .join(m.Cooperative, m.Cooperative.id == listing.cooperative_id)
        .outerjoin(sold, sold.c.listing_id == listing.id)
        .where(*on_offer)
    )
    price = listing.unit_price
    return base, (opening * price, offered * price, sold_milli * price)


def month_terms_select(month: dt.date):
    """One row per listing on offer during ``month``: the rows of SellThroughMonthFact."""
    base, (opening, offered, sold) = _on_offer_terms(month, month_end(month))
    return base.add_columns(
        literal(month, Date).label("month"),
        m.Listing.id.label("listing_id"),
        m.Listing.cooperative_id.label("seller_id"),
        m.Product.category_id.label("category_id"),
        opening.label("opening_value"),
        offered.label("offered_value"),
        sold.label("sold_value"),
    )


def _narrowed(
    stmt,
    model,
    seller_column,
    scope: ProvinceScope,
    province_id: int | None,
    map_version: str,
    value_chain_id: int | None,
    cooperative_id: int | None,
):
    """The scope (through ``model``'s rule) and the optional province, chain and seller."""
    if province_id is not None:
        stmt = stmt.where(GROUPS[f"province_{map_version}"] == province_id)
    if value_chain_id is not None:
        stmt = stmt.where(m.Category.value_chain_id == value_chain_id)
    if cooperative_id is not None:
        stmt = stmt.where(seller_column == cooperative_id)
    return apply_scope(stmt, model, scope)


def _figures(session: Session, stmt, keys: int) -> dict[tuple, SupplyAndSales]:
    return {
        tuple(row[:keys]): SupplyAndSales(*(int(value or 0) for value in row[keys:]))
        for row in session.execute(stmt).all()
    }


def sell_through_by(
    session: Session,
    scope: ProvinceScope,
    start: dt.date,
    end: dt.date,
    *,
    group_by: tuple[str, ...] = (),
    province_id: int | None = None,
    map_version: str = "2025",
    value_chain_id: int | None = None,
    cooperative_id: int | None = None,
) -> dict[tuple, SupplyAndSales]:
    """The rate's terms for the Bujumbura days [start, end], per group (keys in GROUPS order).

    Read from the records. ``province_id`` narrows to a province of ``map_version``; the
    scope always applies.
    """
    base, (opening, offered, sold) = _on_offer_terms(start, end)
    keys = [GROUPS[name] for name in group_by]
    stmt = base.add_columns(
        *keys,
        func.sum(opening),
        func.sum(offered),
        func.sum(sold),
        func.count(),
        func.sum(case((sold > 0, 0), else_=1)),
    ).group_by(*keys)
    stmt = _narrowed(
        stmt,
        m.Listing,
        m.Listing.cooperative_id,
        scope,
        province_id,
        map_version,
        value_chain_id,
        cooperative_id,
    )
    return _figures(session, stmt, len(keys))


def stored_sell_through_by(
    session: Session,
    scope: ProvinceScope,
    first_month: dt.date,
    last_month: dt.date,
    *,
    group_by: tuple[str, ...] = (),
    per_month: bool = False,
    province_id: int | None = None,
    map_version: str = "2025",
    value_chain_id: int | None = None,
    cooperative_id: int | None = None,
) -> dict[tuple, SupplyAndSales]:
    """The same terms as ``sell_through_by`` for the whole months [first_month, last_month],
    read from SellThroughMonthFact (as fresh as the last refresh_facts).

    Over several months: the stock at the start of the first, what was offered and sold in
    each (a listing's monthly sales are capped so that they add up to its capped sales over
    the period), each listing counted once. ``per_month`` puts the month first in each key
    and gives each month's own figures.
    """
    F = m.SellThroughMonthFact
    keys = [GROUPS[name] for name in group_by]
    if per_month:
        keys = [F.month, *keys]
        opening = func.sum(F.opening_value)
        listings = func.count()
        selling = func.sum(case((F.sold_value > 0, 1), else_=0))
    else:
        opening = func.sum(case((F.month == first_month, F.opening_value), else_=0))
        listings = func.count(distinct(F.listing_id))
        selling = func.count(distinct(case((F.sold_value > 0, F.listing_id), else_=None)))
    stmt = (
        select(
            *keys,
            opening,
            func.sum(F.offered_value),
            func.sum(F.sold_value),
            listings,
            listings - selling,
        )
        .select_from(F)
        .join(m.Category, m.Category.id == F.category_id)
        .join(m.Cooperative, m.Cooperative.id == F.seller_id)
        .where(F.month >= first_month, F.month <= last_month)
        .group_by(*keys)
    )
    stmt = _narrowed(
        stmt, F, F.seller_id, scope, province_id, map_version, value_chain_id, cooperative_id
    )
    found = _figures(session, stmt, len(keys))
    if per_month:
        found = {(as_date(key[0]), *key[1:]): figures for key, figures in found.items()}
    return found


def sell_through(
    session: Session, scope: ProvinceScope, start: dt.date, end: dt.date, **narrowing
) -> SupplyAndSales:
    """The rate's terms for the Bujumbura days [start, end], all groups together."""
    return sell_through_by(session, scope, start, end, **narrowing).get((), SupplyAndSales())
