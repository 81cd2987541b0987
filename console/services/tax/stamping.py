"""Stamp order lines at sale time with the tax the engine computes; a stamp never changes.

One stamping function for every writer: :func:`console.services.tax.vectorised.stamp_lines`
(the engine's rule choice, the one half-up rounding of console.services.money), called
over whole arrays by the orders importer and the demo seeder, and through
:func:`stamp_order` for one order at a time (the integration API, the console, tests).

* :func:`load_rules` reads the ``tax_rule`` table as engine :class:`RuleSpec` values
  (load once per import batch and pass ``rules=`` to avoid re-reading).
* :func:`stamp_order` stamps the lines of an ``Order`` that carry no stamp yet. A line
  that is already stamped (stored in the database, or with its rate already set) is
  never touched, so a later rule change affects only later sales.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from console import models as m
from console.services import driver_sql
from console.services.periods import local_date
from console.services.tax.engine import RuleSpec
from console.services.tax.vectorised import epoch_day, stamp_lines

NOTE_LENGTH = m.OrderLine.__table__.c.tax_note.type.length
_MILLI = Decimal(1000)


def load_rules(session: Session) -> tuple[RuleSpec, ...]:
    """Every tax rule of the database, as engine specs (ordered by id): one plain select.

    Read at every call (a rule changed in the console applies to the next sale); only
    the specs of rows already seen are reused (:func:`_spec`).
    """
    return tuple(_spec(tuple(row)) for row in driver_sql.returning(session, _RULES, [{}]))


_RULE = m.TaxRule.__table__.c
_RULES = select(
    _RULE.id, _RULE.code, _RULE.kind, _RULE.base, _RULE.rate, _RULE.is_exemption, _RULE.category_id,
    _RULE.seller_condition, _RULE.valid_from, _RULE.valid_to, _RULE.legal_reference, _RULE.name,
).order_by(_RULE.id)  # fmt: skip


@functools.lru_cache(maxsize=1024)
def _spec(row: tuple) -> RuleSpec:
    """The spec of one row of :data:`_RULES`: built once per distinct row."""
    keys = (column.key for column in _RULES.selected_columns)
    return RuleSpec.from_record(SimpleNamespace(**dict(zip(keys, row, strict=True))))


def sale_day(placed_at: dt.datetime) -> dt.date:
    """The Bujumbura day of a sale, which decides the rule in force."""
    return local_date(placed_at)


def thousandths(quantity: Decimal) -> int:
    """A quantity as a whole count of thousandths (its stored scale); ValueError beyond."""
    milli = Decimal(quantity) * _MILLI
    if milli != milli.to_integral_value():
        raise ValueError(f"Quantité à 3 décimales au plus : {quantity}")
    return int(milli)


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
        unknown = {line.product_id for line in pending if line.product is None}
        categories = (
            dict(
                session.execute(
                    select(m.Product.id, m.Product.category_id).where(m.Product.id.in_(unknown))
                ).all()
            )
            if unknown
            else {}
        )
    line_categories = [
        line.product.category_id if line.product else categories[line.product_id]
        for line in pending
    ]
    category_ids = np.array(sorted(set(line_categories)), dtype=np.int64)
    n = len(pending)
    stamps = stamp_lines(
        rules,
        category_ids,
        np.searchsorted(category_ids, line_categories),
        np.full(n, epoch_day(sale_day(order.placed_at)), dtype=np.int64),
        np.full(n, bool(seller.vat_registered)),
        np.array([line.unit_price for line in pending], dtype=np.int64),
        np.array([thousandths(line.quantity) for line in pending], dtype=np.int64),
        np.full(n, bool(order.prices_include_tax)),
    )
    notes = stamps.note
    for i, line in enumerate(pending):
        line.net, line.tax, line.gross = (
            int(stamps.net[i]),
            int(stamps.tax[i]),
            int(stamps.gross[i]),
        )
        rule_id = int(stamps.rule_id[i])
        line.tax_rule_id = rule_id if rule_id >= 0 else None
        line.tax_rate = Decimal(int(stamps.rate_bps[i])).scaleb(-4)
        line.tax_note = notes[i][:NOTE_LENGTH] if notes[i] else None
    return n
