"""Where the dashboards' figures are read from: a parameter of every chart's data function.

The console reads the aggregate tables that ``isoko refresh-facts`` keeps (AGGREGATES). The
same rows can be computed from the records at query time (``records()``), with the very
selects the refresh runs: the tests compare both, and the benchmark times the dashboards
against them. An app reads the source its DASHBOARD_FACTS setting names (config.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.orm import aliased

from console import models as m


@dataclass(frozen=True)
class FactSource:
    """The tables (or subqueries shaped like them) a chart reads, and how it gets leakage flags."""

    # Each table: the mapped aggregate class, or an alias of it over a select of the same rows.
    name: str
    sales_day: Any
    sales_week: Any
    sales_month: Any
    payment_month: Any
    listing: Any
    listing_month: Any
    # The « taux d'écoulement »'s terms per listing × month; None: the mévente service's
    # select over the records at query time.
    sell_through_month: Any
    # False: the flags stored by the last refresh; True: console.services.tax.leakage at query time.
    live_flags: bool = False


AGGREGATES = FactSource(
    "aggregates",
    sales_day=m.SalesDayFact,
    sales_week=m.SalesWeekFact,
    sales_month=m.SalesMonthFact,
    payment_month=m.PaymentMonthFact,
    listing=m.ListingFact,
    listing_month=m.ListingMonthFact,
    sell_through_month=m.SellThroughMonthFact,
)


@cache
def records() -> FactSource:
    """The aggregates' rows computed from order lines, payments and listings at query time."""
    from console.services import facts

    day = facts.sales_day_select().subquery("raw_day")
    listings = facts.listing_select().subquery("raw_listings")

    def alias(model, select):
        return aliased(model, select, adapt_on_names=True)

    return FactSource(
        "records",
        sales_day=alias(m.SalesDayFact, day),
        sales_week=alias(m.SalesWeekFact, facts.sales_week_select(day).subquery("raw_week")),
        sales_month=alias(m.SalesMonthFact, facts.sales_month_select(day).subquery("raw_month")),
        payment_month=alias(m.PaymentMonthFact, facts.payment_month_select().subquery("raw_pay")),
        listing=alias(m.ListingFact, listings),
        listing_month=alias(
            m.ListingMonthFact, facts.listing_month_select(listings).subquery("raw_listing_month")
        ),
        sell_through_month=None,
        live_flags=True,
    )


def source_named(name: str) -> FactSource:
    """The source a DASHBOARD_FACTS setting names: "aggregates" or "records"."""
    if name == AGGREGATES.name:
        return AGGREGATES
    if name == "records":
        return records()
    raise ValueError(f"DASHBOARD_FACTS inconnu : {name!r} (aggregates ou records)")
