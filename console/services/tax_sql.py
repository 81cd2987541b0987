"""The tax engine's per-line arithmetic as SQL expressions, exact in whole numbers.

For set-based recomputation (the what-if) over a million lines: the engine
(console.services.tax_engine) chooses the *rate* once per group of lines, and these
expressions apply it to every line in the database, with the engine's rounding:

* amount = round_franc(unit_price × quantity), with the quantity in thousandths;
* tax-exclusive: tax = round_franc(amount × rate);
* tax-inclusive: net = round_franc(amount / (1 + rate)), tax = amount − net.

Half-up of a / b for whole a ≥ 0 and b > 0 is (2a + b) div b div 2, i.e.
floor((2a + b) / 2b), computed with integer division, which SQLite and PostgreSQL
both truncate (the same as floor for non-negative operands). Rates are whole basis
points (``Rate`` is Numeric(7, 4)). tests/test_reconciliation.py checks the results
against the engine line by line.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, case, cast, func, literal

BPS = 10_000


def basis_points(rate: Decimal) -> int:
    """A rate as whole basis points (0.18 → 1800); ValueError beyond 4 decimals."""
    points = Decimal(rate) * BPS
    if points != points.to_integral_value():
        raise ValueError(f"Taux à 4 décimales au plus : {rate}")
    return int(points)


def _half_up_div(numerator, denominator):
    """round half-up of numerator / denominator, both whole and non-negative."""
    return (2 * numerator + denominator) // (2 * denominator)


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
