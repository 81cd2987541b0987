"""Find order lines whose stamped VAT differs from what the rule in force that day gives.

Set-based, in one pass over the lines: the engine decides the expected rate once per
(rule segment, category) for a VAT-registered seller (:mod:`console.services.tax.rule_segments`;
an unregistered seller's expected rate is 0), and those few answers become a CASE
expression, so the database returns only the lines whose stamped rate differs from the
expected one, or that carry no tax although the expected rate is positive. The engine
then recomputes each returned line to confirm (a tiny line can legitimately round to
0 franc of tax); only those lines ever reach Python.

The seller's VAT status is the one recorded today (``cooperative.vat_registered``):
the database keeps no history of it, so a seller registered since the sale shows its
older untaxed lines as suspect; the flag's explanation says which status was used.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Numeric, and_, case, literal, or_, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope
from console.services.periods import RANGE, Period, local_date
from console.services.tax.engine import RuleSpec, SaleLine, compute_line
from console.services.tax.reconciliation import period_index, sale_filters
from console.services.tax.rule_segments import rate_in_force, rule_segments

_ZERO = Decimal(0)


@dataclass(frozen=True)
class MisstampedLine:
    """A line whose stamp disagrees with the engine: the evidence of a tax flag."""

    line_id: int
    order_id: int
    seller_id: int
    placed_at: dt.datetime
    category_id: int
    seller_vat_registered: bool
    stamped_rate: Decimal
    stamped_tax: int
    expected_rate: Decimal
    expected_tax: int
    expected_rule: str | None

    @property
    def shortfall(self) -> int:
        """Tax the stamp misses (negative when the line was over-taxed)."""
        return self.expected_tax - self.stamped_tax


def _rate_by_category(rules, categories: Sequence[int], day: dt.date):
    """CASE on the category giving the expected rate for a registered seller on ``day``."""
    by_rate: dict[Decimal, list[int]] = defaultdict(list)
    for category_id in categories:
        by_rate[rate_in_force(rules, category_id, day, True)].append(category_id)
    # The most common rate is the ELSE branch: the CASE stays as short as the exceptions.
    common = max(by_rate, key=lambda rate: len(by_rate[rate]))
    whens = [
        (m.Product.category_id.in_(ids), literal(rate, Numeric(7, 4)))
        for rate, ids in sorted(by_rate.items())
        if rate != common
    ]
    default = literal(common, Numeric(7, 4))
    return case(*whens, else_=default) if whens else default


def expected_rate_expression(rules: Sequence[RuleSpec], window: Period, categories: Sequence[int]):
    """SQL giving, per line, the VAT rate the engine would apply (0 for unregistered sellers)."""
    segments = rule_segments([window], rules)
    per_segment = [_rate_by_category(rules, categories, segment.start) for segment in segments]
    if len(per_segment) == 1:
        registered = per_segment[0]
    else:
        index = period_index(m.Order.placed_at, segments)
        registered = case(*((index == i, rate) for i, rate in enumerate(per_segment)))
    return case(
        (m.Cooperative.vat_registered.is_(False), literal(_ZERO, Numeric(7, 4))),
        else_=registered,
    )


def misstamped_lines(
    session: Session,
    scope: ProvinceScope,
    periods: Sequence[Period],
    rules: Sequence[RuleSpec],
    *,
    province_id: int | None = None,
) -> list[MisstampedLine]:
    """Lines of non-cancelled sales in the periods whose stamped VAT is not the engine's."""
    vat_rules = [rule for rule in rules if rule.kind == "vat"]
    categories = list(session.scalars(select(m.Category.id)))
    window = Period(periods[0].start, periods[-1].end, RANGE)
    expected = expected_rate_expression(vat_rules, window, categories)
    stmt = (
        select(
            m.OrderLine.id,
            m.OrderLine.order_id,
            m.Order.seller_id,
            m.Order.placed_at,
            m.Order.prices_include_tax,
            m.Product.category_id,
            m.Cooperative.vat_registered,
            m.OrderLine.unit_price,
            m.OrderLine.quantity,
            m.OrderLine.tax_rate,
            m.OrderLine.tax,
        )
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .join(m.Product, m.Product.id == m.OrderLine.product_id)
        .join(m.Cooperative, m.Cooperative.id == m.Order.seller_id)
        .where(
            *sale_filters(periods, scope, province_id),
            or_(m.OrderLine.tax_rate != expected, and_(m.OrderLine.tax == 0, expected > 0)),
        )
    )
    found = []
    for row in session.execute(stmt):
        (
            line_id,
            order_id,
            seller_id,
            placed_at,
            inclusive,
            category_id,
            registered,
            unit_price,
            quantity,
            rate,
            tax,
        ) = row
        computed = compute_line(
            SaleLine(
                bool(registered),
                category_id,
                local_date(placed_at),
                unit_price,
                Decimal(quantity),
                bool(inclusive),
            ),
            vat_rules,
        )
        if computed.rate != Decimal(rate) or computed.tax != tax:
            found.append(
                MisstampedLine(
                    line_id=line_id,
                    order_id=order_id,
                    seller_id=seller_id,
                    placed_at=placed_at,
                    category_id=category_id,
                    seller_vat_registered=bool(registered),
                    stamped_rate=Decimal(rate),
                    stamped_tax=tax,
                    expected_rate=computed.rate,
                    expected_tax=computed.tax,
                    expected_rule=computed.rule_code,
                )
            )
    found.sort(key=lambda line: (line.placed_at, line.line_id))
    return found
