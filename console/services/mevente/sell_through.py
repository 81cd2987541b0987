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

from sqlalchemy import BigInteger, case, cast, func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope
from console.services.money import round_franc
from console.services.periods import local_midnight_utc
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

    ``province_id`` narrows to a province of ``map_version``; the scope always applies.
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
    keys = [GROUPS[name] for name in group_by]
    stmt = (
        select(
            *keys,
            func.sum(opening * listing.unit_price),
            func.sum(offered * listing.unit_price),
            func.sum(sold_milli * listing.unit_price),
            func.count(),
            func.sum(case((sold_milli > 0, 0), else_=1)),
        )
        .select_from(listing)
        .join(m.Product, m.Product.id == listing.product_id)
        .join(m.Category, m.Category.id == m.Product.category_id)
        .join(m.Cooperative, m.Cooperative.id == listing.cooperative_id)
        .outerjoin(sold, sold.c.listing_id == listing.id)
        .where(*on_offer)
        .group_by(*keys)
    )
    if province_id is not None:
        stmt = stmt.where(GROUPS[f"province_{map_version}"] == province_id)
    if value_chain_id is not None:
        stmt = stmt.where(m.Category.value_chain_id == value_chain_id)
    if cooperative_id is not None:
        stmt = stmt.where(listing.cooperative_id == cooperative_id)
    stmt = apply_scope(stmt, listing, scope)
    result = {}
    for row in session.execute(stmt).all():
        key = tuple(row[: len(keys)])
        result[key] = SupplyAndSales(*(int(value or 0) for value in row[len(keys) :]))
    return result


def sell_through(
    session: Session, scope: ProvinceScope, start: dt.date, end: dt.date, **narrowing
) -> SupplyAndSales:
    """The rate's terms for the Bujumbura days [start, end], all groups together."""
    return sell_through_by(session, scope, start, end, **narrowing).get((), SupplyAndSales())
