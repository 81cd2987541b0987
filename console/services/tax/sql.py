"""The tax engine's per-line arithmetic as SQL expressions, exact in whole numbers.

For set-based recomputation (the what-if) over a million lines: the engine
(console.services.tax.engine) chooses the *rate* once per group of lines, and these
expressions apply it to every line in the database, with the engine's rounding:

* amount = round_franc(unit_price × quantity), with the quantity in thousandths;
* tax-exclusive: tax = round_franc(amount × rate);
* tax-inclusive: net = round_franc(amount / (1 + rate)), tax = amount − net.

Half-up is the one routine, console.services.money.half_up_div (0.5 away from zero,
so a return's negative line rounds as the engine rounds it), with :func:`sql_where`
as its element-wise choice; it divides only non-negative operands, which SQLite and
PostgreSQL truncate exactly as Python floors them. Rates are whole basis points
(``Rate`` is Numeric(7, 4)). tests/test_tax_rounding.py checks the results against the
engine, negative amounts included.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, case, cast, func, literal

from console.services.money import BPS, basis_points, half_up_div


def sql_where(condition, if_true, if_false):
    """The element-wise choice of money.half_up_div, as a SQL CASE."""
    return case((condition, if_true), else_=if_false)


def _half_up_div(numerator, denominator):
    """round half-up (away from zero) of numerator / denominator, whole, denominator > 0."""
    return half_up_div(numerator, denominator, sql_where)


def line_amount(unit_price, quantity):
    """round_franc(unit_price × quantity) as a BIGINT expression."""
    thousandths = cast(func.round(quantity * 1000), BigInteger)
    return _half_up_div(cast(unit_price, BigInteger) * thousandths, literal(1000, BigInteger))


def line_tax(amount, inclusive, rate: Decimal):
    """The VAT of a line of this amount at this rate, as the engine computes it."""
    points = basis_points(rate)
    if points == 0:
        return literal(0, BigInteger)
    exclusive_tax = _half_up_div(amount * points, literal(BPS, BigInteger))
    inclusive_net = _half_up_div(amount * BPS, literal(BPS + points, BigInteger))
    return case((inclusive, amount - inclusive_net), else_=exclusive_tax)
