"""Aggregate tables behind the dashboards, rebuilt from the raw records by refresh_facts.

They hold no fact of their own: every row is a sum over order lines, payments or
listings (console/services/facts.py recomputes the rows a change touched). Dashboards
read only these, so a callback's cost follows the number of sellers, categories and
months, not the number of order lines.

Days, weeks and months are Bujumbura calendar periods (UTC+2, no daylight saving).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.extensions import Model

from .types import Money, Quantity, UTCDateTime, utcnow

# Sums of quantities outgrow a single line's Numeric(14, 3).
QuantityTotal = Numeric(18, 3, asdecimal=True)

# tax_kind of lines stamped without a tax rule (untaxed sellers, exempt produce).
NO_TAX_KIND = "none"


class SalesMeasures:
    """The additive measures every sales aggregate carries."""

    quantity: Mapped[Decimal] = mapped_column(QuantityTotal)
    net: Mapped[int] = mapped_column(Money)
    tax: Mapped[int] = mapped_column(Money)
    gross: Mapped[int] = mapped_column(Money)
    line_count: Mapped[int] = mapped_column(Integer)
    # Each order is counted once, in the cell of its first line, so counts add up.
    order_count: Mapped[int] = mapped_column(Integer)


class SalesDayFact(SalesMeasures, Model):
    """Sales of non-cancelled orders per day × seller × category × buyer type × tax kind."""

    __tablename__ = "fact_sales_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), primary_key=True)
    is_export: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    buyer_is_cooperative: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    tax_kind: Mapped[str] = mapped_column(String(32), primary_key=True)

    __table_args__ = (Index("ix_fact_sales_day_seller_day", "seller_id", "day"),)


class SalesMonthFact(SalesMeasures, Model):
    """The same sales per calendar month: what most dashboard charts read."""

    __tablename__ = "fact_sales_month"

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), primary_key=True)
    is_export: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    buyer_is_cooperative: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    tax_kind: Mapped[str] = mapped_column(String(32), primary_key=True)

    __table_args__ = (Index("ix_fact_sales_month_seller_month", "seller_id", "month"),)


class SalesWeekFact(SalesMeasures, Model):
    """Sales per week (cut at month ends) × seller's provinces × value chain.

    Without the seller this grain fills up at national scale, so weekly charts cost
    the same at a hundred thousand lines as at a million. The provinces are the
    seller's at refresh time (a full refresh follows a cooperative that moved).
    """

    __tablename__ = "fact_sales_week"

    week_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), primary_key=True)
    province_2025_id: Mapped[int] = mapped_column(ForeignKey("province.id"), primary_key=True)
    value_chain_id: Mapped[int] = mapped_column(ForeignKey("value_chain.id"), primary_key=True)


class PaymentMonthFact(Model):
    """Money and tax collected for non-cancelled orders, per month of the sale × seller.

    As in services.reconciliation, a payment counts in the month of the sale it pays
    for, so due − collected is the tax of the month's sales not yet received.
    """

    __tablename__ = "fact_payment_month"

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(Money)
    tax_amount: Mapped[int] = mapped_column(Money)
    payment_count: Mapped[int] = mapped_column(Integer)


class ListingFact(Model):
    """One row per listing: offered, sold (non-cancelled orders) and when."""

    __tablename__ = "fact_listing"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    seller_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    listed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    unit_price: Mapped[int] = mapped_column(Money)
    quantity_offered: Mapped[Decimal] = mapped_column(Quantity)
    quantity_sold: Mapped[Decimal] = mapped_column(QuantityTotal)
    gross_sold: Mapped[int] = mapped_column(Money)
    sale_count: Mapped[int] = mapped_column(Integer)
    first_sale_on: Mapped[dt.date | None] = mapped_column(Date)
    last_sale_on: Mapped[dt.date | None] = mapped_column(Date)


class ListingMonthFact(Model):
    """Listings per month listed × seller × category: offered, sold and still open."""

    __tablename__ = "fact_listing_month"

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), primary_key=True)
    listing_count: Mapped[int] = mapped_column(Integer)
    quantity_offered: Mapped[Decimal] = mapped_column(QuantityTotal)
    quantity_sold: Mapped[Decimal] = mapped_column(QuantityTotal)
    # Values at the listed price: sell-through across units (kg, litres, pieces) is
    # value sold over value offered.
    value_sold: Mapped[int] = mapped_column(Money)
    value_offered: Mapped[int] = mapped_column(Money)
    unsold_listing_count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_fact_listing_month_seller_month", "seller_id", "month"),)


class SellThroughMonthFact(Model):
    """The « taux d'écoulement »'s three terms per listing × Bujumbura month it was on offer.

    Written by refresh_facts with console.services.mevente.sell_through's own select, one
    month at a time: stock on offer at the month's start, offered and sold during it, in
    thousandths of a franc at the listed price. A period of whole months adds them up
    (the opening of its first month, the offered and sold of every month).
    """

    __tablename__ = "fact_sell_through_month"

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    seller_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    opening_value: Mapped[int] = mapped_column(BigInteger)
    offered_value: Mapped[int] = mapped_column(BigInteger)
    sold_value: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_fact_sell_through_month_seller_month", "seller_id", "month"),)


class LeakageFlagFact(Model):
    """A leakage flag of console.services.tax.leakage, computed at refresh time, nationally.

    The detectors read raw lines; storing their result keeps the tax dashboard fast. The
    flags reflect the deadlines as of ``computed_on`` (the refresh day).
    """

    __tablename__ = "fact_leakage_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), index=True)
    period_start: Mapped[dt.date] = mapped_column(Date, index=True)
    period_end: Mapped[dt.date] = mapped_column(Date)
    period_label: Mapped[str] = mapped_column(String(40))
    amount_at_stake: Mapped[int] = mapped_column(Money)
    explanation: Mapped[str] = mapped_column(Text)
    computed_on: Mapped[dt.date] = mapped_column(Date)


class FactRefresh(Model):
    """One run of refresh_facts; the latest id versions the dashboards' cache."""

    __tablename__ = "fact_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    since: Mapped[dt.date | None] = mapped_column(Date)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)


class FactPendingDay(Model):
    """A Bujumbura day whose sales changed since the aggregates were built (API writes).

    Written in the same transaction as the change; ``refresh_pending_facts`` refreshes
    from the earliest pending day and clears what it covered.
    """

    __tablename__ = "fact_pending_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
