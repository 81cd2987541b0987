"""Stamp order lines at sale time with the tax the engine computes; a stamp never changes.

Importers and the console call this when a sale is recorded:

* :func:`load_rules` reads the ``tax_rule`` table as engine :class:`RuleSpec` values
  (load once per import batch and pass ``rules=`` to avoid re-reading).
* :func:`stamp_sale` is the pure step: seller VAT status, Bujumbura sale day, whether
  prices include tax, and the lines (category, unit price, quantity) → one
  :class:`LineStamp` (net, tax, gross, tax_rule_id, tax_rate, tax_note) per line.
* :func:`stamp_order` stamps the lines of an ``Order`` that carry no stamp yet. A line
  that is already stamped (stored in the database, or with its rate already set) is
  never touched, so a later rule change affects only later sales.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from console import models as m
from console.services.periods import local_date
from console.services.tax_engine import RuleSpec, SaleLine, order_tax

NOTE_LENGTH = m.OrderLine.__table__.c.tax_note.type.length


@dataclass(frozen=True)
class LineInput:
    """What the seller entered on one line."""

    category_id: int
    unit_price: int  # whole francs
    quantity: Decimal


@dataclass(frozen=True)
class LineStamp:
    """The stamp written on an order line, column for column."""

    net: int
    tax: int
    gross: int
    tax_rule_id: int | None
    tax_rate: Decimal
    tax_note: str | None


def load_rules(session: Session) -> tuple[RuleSpec, ...]:
    """Every tax rule of the database, as engine specs (ordered by id)."""
    return tuple(
        RuleSpec.from_record(rule) for rule in session.scalars(select(m.TaxRule).order_by(m.TaxRule.id))
    )


def sale_day(placed_at: dt.datetime) -> dt.date:
    """The Bujumbura day of a sale, which decides the rule in force."""
    return local_date(placed_at)


def stamp_sale(
    rules: Iterable[RuleSpec],
    *,
    seller_vat_registered: bool,
    sold_on: dt.date,
    prices_include_tax: bool,
    lines: Sequence[LineInput],
) -> list[LineStamp]:
    """The stamp of each line of one sale, computed by the tax engine (pure)."""
    sale_lines = [
        SaleLine(
            seller_vat_registered=seller_vat_registered,
            category_id=line.category_id,
            sold_on=sold_on,
            unit_price=line.unit_price,
            quantity=line.quantity,
            price_includes_tax=prices_include_tax,
        )
        for line in lines
    ]
    computed = order_tax(sale_lines, tuple(rules))
    return [
        LineStamp(
            net=tax.net,
            tax=tax.tax,
            gross=tax.gross,
            tax_rule_id=tax.rule_id,
            tax_rate=tax.rate,
            tax_note=tax.note[:NOTE_LENGTH] if tax.note else None,
        )
        for tax in computed.lines
    ]


def is_stamped(line: m.OrderLine) -> bool:
    """True once a line is stored or carries a rate: its stamp must then never change."""
    state = inspect(line)
    return state.persistent or state.detached or line.tax_rate is not None


def stamp_order(session: Session, order: m.Order, rules: Iterable[RuleSpec] | None = None) -> int:
    """Stamp the order's unstamped lines in place; return how many were stamped. Does not commit."""
    pending = [line for line in order.lines if not is_stamped(line)]
    if not pending:
        return 0
    # The order may already be in the session with its lines unstamped: reading the
    # rules, seller and products must not flush it (the stamp columns are NOT NULL).
    with session.no_autoflush:
        rules = tuple(rules) if rules is not None else load_rules(session)
        seller = order.seller or session.get(m.Cooperative, order.seller_id)
        product_ids = {line.product.id if line.product else line.product_id for line in pending}
        categories = dict(
            session.execute(
                select(m.Product.id, m.Product.category_id).where(m.Product.id.in_(product_ids))
            ).all()
        )
    stamps = stamp_sale(
        rules,
        seller_vat_registered=bool(seller.vat_registered),
        sold_on=sale_day(order.placed_at),
        prices_include_tax=bool(order.prices_include_tax),
        lines=[
            LineInput(
                category_id=line.product.category_id if line.product else categories[line.product_id],
                unit_price=line.unit_price,
                quantity=line.quantity,
            )
            for line in pending
        ],
    )
    for line, stamp in zip(pending, stamps, strict=True):
        line.net, line.tax, line.gross = stamp.net, stamp.tax, stamp.gross
        line.tax_rule_id, line.tax_rate, line.tax_note = stamp.tax_rule_id, stamp.tax_rate, stamp.tax_note
    return len(pending)
