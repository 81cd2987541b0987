"""Money is whole Burundi francs (int); rates are Decimal; one rounding rule.

BIF has no minor unit (ISO 4217 code 108). Every amount derived from a rate is rounded
**half-up to the whole franc, 0.5 away from zero** (so -4.5 → -5, like 4.5 → 5): a
return's tax is then exactly the negative of the sale's. The rule is written once, in
:func:`half_up_div`, over whole numbers; it serves every form of the arithmetic:

* the Decimal engine through :func:`round_franc` (Python ints, the reference);
* the numpy stamper (``where=numpy.where``, console.services.tax.vectorised);
* the SQL what-if and the aggregates (``where=sql_where``, console.services.tax.sql).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

# Rates as whole basis points (``Rate`` is Numeric(7, 4)): 0.18 is 1 800.
BPS = 10_000


def basis_points(rate: Decimal) -> int:
    """A rate as whole basis points (0.18 → 1800); ValueError beyond 4 decimals."""
    points = Decimal(rate) * BPS
    if points != points.to_integral_value():
        raise ValueError(f"Taux à 4 décimales au plus : {rate}")
    return int(points)


def _python_where(condition: bool, if_true: Any, if_false: Any) -> Any:
    return if_true if condition else if_false


def half_up_div(numerator: Any, denominator: Any, where: Callable = _python_where) -> Any:
    """numerator / denominator rounded half-up, 0.5 away from zero; whole numbers, denominator > 0.

    For a ≥ 0, half-up(a / b) = floor((2a + b) / 2b), computed on the magnitude and
    signed back. Floor and truncation agree on those non-negative operands, so the SQL
    integer division of SQLite and PostgreSQL gives the same answer as Python's ``//``.
    ``where(condition, if_true, if_false)`` is the element-wise choice of the form used:
    Python's conditional (default), ``numpy.where`` or :func:`console.services.tax.sql.sql_where`.
    """
    negative = numerator < 0
    magnitude = where(negative, -numerator, numerator)
    rounded = (2 * magnitude + denominator) // (2 * denominator)
    return where(negative, -rounded, rounded)


def round_franc(amount: Decimal | int) -> int:
    """Round an exact amount to whole francs, half-up away from zero. The only rounding in Isoko."""
    numerator, denominator = Decimal(amount).as_integer_ratio()
    return int(half_up_div(numerator, denominator))


def format_francs(amount: int | None) -> str:
    """French display of an amount: ``1 234 567 FBu`` (narrow no-break spaces)."""
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    digits = f"{abs(int(amount)):,}".replace(",", "\u202f")
    return f"{sign}{digits}\u00a0FBu"


def format_rate(rate: Decimal | None) -> str:
    """French display of a rate: ``18 %`` or ``10,5 %``."""
    if rate is None:
        return "—"
    percent = (Decimal(rate) * 100).normalize()
    text = f"{percent:f}".replace(".", ",")
    return f"{text}\u00a0%"
