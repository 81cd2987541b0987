"""The tax engine's line stamps over whole numpy arrays, equal to compute_line exactly.

console.services.tax.engine is pure Python over Decimal: right for one sale, minutes
for a million lines. Here the *rule* is still the engine's own choice (select_rule,
asked once per category and per stretch of days between two rule boundaries, and only
for the pairs some line needs), and the arithmetic is the engine's rounding in whole
numbers: rates in basis points, quantities in thousandths, and the one half-up routine
(console.services.money.half_up_div, 0.5 away from zero, so negative return lines agree
too) applied with numpy.where. The Decimal division of the tax-inclusive case agrees:
its quotient's fractional part is a multiple of 1/(2b) with 2b ≤ 40 000, far coarser
than the 28 digits Decimal keeps.

Used by the demo seeder (console.demo.stamps) and the orders importer
(importers.orders_chunk); tests/test_tax_vectorised.py checks it against the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from console.services import money
from console.services.tax import engine as te

BPS = money.BPS
basis_points = money.basis_points
EPOCH = dt.date(1970, 1, 1)
# Beyond this the int64 products below could overflow: such lines go through Python ints.
_INT64_SAFE = 2**62


def epoch_day(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def half_up_div(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """Exact half-up of a / b, element-wise, for whole a and b > 0 (money.half_up_div)."""
    return money.half_up_div(a, b, np.where)


def _exact_product(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """a × b in int64, or in Python ints (object array) when int64 could overflow."""
    a = np.asarray(a, dtype=np.int64)
    top_a = int(np.abs(a).max()) if a.size else 0
    top_b = int(np.abs(np.asarray(b)).max()) if np.size(b) else 0
    if top_a * top_b * 4 < _INT64_SAFE:  # room for 2ab + b in half_up_div
        return a * b
    return a.astype(object) * (b.astype(object) if isinstance(b, np.ndarray) else b)


def _as_int64(values: np.ndarray) -> np.ndarray:
    return values if values.dtype == np.int64 else np.array(values.tolist(), dtype=np.int64)


def line_amount(unit_price: np.ndarray, qty_milli: np.ndarray) -> np.ndarray:
    """round_franc(unit_price × quantity), the quantity given in thousandths."""
    return _as_int64(half_up_div(_exact_product(unit_price, np.asarray(qty_milli, np.int64)), 1000))


def apply_rate(
    amount: np.ndarray, bps: np.ndarray, inclusive: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Net and tax of each amount at a rate in basis points, rounded as compute_line rounds."""
    bps = np.asarray(bps, dtype=np.int64)
    net_incl = _as_int64(half_up_div(_exact_product(amount, BPS), BPS + bps))
    tax_excl = _as_int64(half_up_div(_exact_product(amount, bps), BPS))
    net = np.where(inclusive, net_incl, amount)
    tax = np.where(inclusive, amount - net_incl, tax_excl)
    return net, tax


@dataclass
class LineStamps:
    """The engine's stamp of every line, as arrays."""

    amount: np.ndarray  # round_franc(unit_price × quantity)
    net: np.ndarray
    tax: np.ndarray
    gross: np.ndarray
    rule_id: np.ndarray  # -1 when no rule
    rate_bps: np.ndarray  # the rate stamped (0 when the line owes no tax)
    taxable: np.ndarray  # True where a rate applies (not exempt, registered, a rule in force)
    note_code: np.ndarray  # index into notes
    notes: list[str | None]  # notes[0] is None (taxed), then the engine's French notes

    @property
    def note(self) -> np.ndarray:
        """The engine's note of each line (object array: None or text)."""
        return np.asarray(self.notes, dtype=object)[self.note_code]


def _segments(rules: Sequence[te.RuleSpec], first: int, last: int) -> np.ndarray:
    """First days (epoch days) of the stretches in [first, last] over which no rule starts or ends."""
    bounds = {first}
    for rule in rules:
        for day in (
            rule.valid_from,
            rule.valid_to + dt.timedelta(days=1) if rule.valid_to else None,
        ):
            if day is not None and first < epoch_day(day) <= last:
                bounds.add(epoch_day(day))
    return np.array(sorted(bounds), dtype=np.int64)


def stamp_lines(
    rules: Sequence[te.RuleSpec],
    category_ids: np.ndarray,
    line_category: np.ndarray,
    line_epoch_day: np.ndarray,
    seller_vat: np.ndarray,
    unit_price: np.ndarray,
    qty_milli: np.ndarray,
    inclusive: np.ndarray,
) -> LineStamps:
    """Stamp every line as compute_line would; `line_category` indexes `category_ids`.

    Days are Bujumbura days since 1970-01-01. select_rule is asked only for the
    (stretch of days, category) pairs that a VAT-registered line needs, so a rule
    conflict elsewhere raises nothing, as with the engine line by line.
    """
    n = len(line_category)
    amount = line_amount(unit_price, qty_milli)
    notes: list[str | None] = [None, te.NOTE_NOT_REGISTERED, te.NOTE_NO_RULE]
    rule_id = np.full(n, -1, dtype=np.int64)
    bps = np.zeros(n, dtype=np.int64)
    note_code = np.ones(n, dtype=np.int64)  # not registered
    vat = np.flatnonzero(np.asarray(seller_vat, dtype=bool))
    if vat.size:
        days = np.asarray(line_epoch_day, dtype=np.int64)[vat]
        starts = _segments(rules, int(days.min()), int(days.max()))
        segment = np.searchsorted(starts, days, side="right") - 1
        category = np.asarray(line_category, dtype=np.int64)[vat]
        pair = segment * len(category_ids) + category
        needed, inverse = np.unique(pair, return_inverse=True)
        p_rule = np.full(len(needed), -1, dtype=np.int64)
        p_bps = np.zeros(len(needed), dtype=np.int64)
        p_note = np.full(len(needed), 2, dtype=np.int64)  # no rule in force
        for k, code in enumerate(needed.tolist()):
            s, c = divmod(code, len(category_ids))
            rule = te.select_rule(
                rules,
                kind=te.KIND_VAT,
                base=te.BASE_SALE,
                category_id=int(category_ids[c]),
                on=EPOCH + dt.timedelta(days=int(starts[s])),
                seller_vat_registered=True,
            )
            if rule is None:
                continue
            p_rule[k] = rule.id
            if rule.is_exemption:
                note = te.NOTE_EXEMPT_PREFIX + (rule.legal_reference or rule.label)
                if note not in notes:
                    notes.append(note)
                p_note[k] = notes.index(note)
            else:
                p_bps[k], p_note[k] = basis_points(rule.rate), 0
        rule_id[vat], bps[vat], note_code[vat] = p_rule[inverse], p_bps[inverse], p_note[inverse]
    taxable = note_code == 0
    rate_bps = np.where(taxable, bps, 0)
    net, tax = apply_rate(amount, rate_bps, np.asarray(inclusive, dtype=bool))
    return LineStamps(amount, net, tax, net + tax, rule_id, rate_bps, taxable, note_code, notes)


def rate_text(rate_bps: np.ndarray) -> np.ndarray:
    """Basis points → the Numeric(7,4) text of the rate ('0.1800')."""
    values, inverse = np.unique(rate_bps, return_inverse=True)
    texts = np.array(
        [str(Decimal(int(v)).scaleb(-4).quantize(Decimal("0.0001"))) for v in values], dtype=object
    )
    return texts[inverse]
