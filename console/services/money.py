"""Money is whole Burundi francs (int); rates are Decimal; one rounding function.

BIF has no minor unit (ISO 4217 code 108). Every amount derived from a rate goes
through :func:`round_franc`: half-up (0.5 franc rounds away from zero), per line.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_ONE = Decimal(1)


def round_franc(amount: Decimal | int) -> int:
    """Round an exact amount to whole francs, half-up. The only rounding in Isoko."""
    return int(Decimal(amount).quantize(_ONE, rounding=ROUND_HALF_UP))


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
