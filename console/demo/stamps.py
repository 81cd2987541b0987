"""Demo tax stamps: the engine's vectorised stamps, plus the deliberate anomalies.

The stamping itself (rule choice by the engine, integer half-up arithmetic equal to
compute_line) is console.services.tax.vectorised, shared with the orders importer;
this module only adds the anomalies the leakage flags must find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from console.services.tax import engine as te
from console.services.tax.vectorised import BPS, apply_rate, half_up_div, line_amount, rate_text
from console.services.tax.vectorised import stamp_lines as engine_stamps

__all__ = ["BPS", "Stamps", "half_up_div", "line_amount", "rate_text", "stamp_lines"]

# Deliberate anomalies for the leakage flags: ~0.2 % of taxable lines are stamped
# with no tax (the rule is still recorded) or with an outdated rate, two points lower.
ANOMALY_SHARE = 0.002
OUTDATED_RATE_DROP_BPS = 200


@dataclass
class Stamps:
    """The stamp of every line, as arrays."""

    net: np.ndarray
    tax: np.ndarray
    gross: np.ndarray
    rule_id: np.ndarray  # -1 when no rule
    rate_bps: np.ndarray
    note: np.ndarray  # object array: None or the engine's French note
    anomaly: np.ndarray  # True where a deliberate anomaly was stamped


def stamp_lines(
    rng: np.random.Generator,
    rules: list[te.RuleSpec],
    category_ids: np.ndarray,
    line_category: np.ndarray,
    line_epoch_day: np.ndarray,
    seller_vat: np.ndarray,
    unit_price: np.ndarray,
    qty_milli: np.ndarray,
    inclusive: np.ndarray,
    anomalies: bool = True,
) -> Stamps:
    """Stamp every line; `line_category` indexes `category_ids`; days are Bujumbura days."""
    n = len(line_category)
    base = engine_stamps(
        rules,
        category_ids,
        line_category,
        line_epoch_day,
        seller_vat,
        unit_price,
        qty_milli,
        inclusive,
    )
    anomaly = np.zeros(n, dtype=bool)
    if anomalies:
        # Only lines that owe tax: a zero-tax stamp must differ from the correct one.
        anomaly = base.taxable & (base.tax > 0) & (rng.random(n) < ANOMALY_SHARE)
    zero_tax = anomaly & (rng.random(n) < 0.5)
    outdated = anomaly & ~zero_tax
    wrong_bps = np.where(outdated, np.maximum(base.rate_bps - OUTDATED_RATE_DROP_BPS, 0), 0)
    wrong_net, wrong_tax = apply_rate(base.amount, wrong_bps, inclusive)
    net = np.where(anomaly, wrong_net, base.net)
    tax = np.where(anomaly, wrong_tax, base.tax)
    # The zero-tax anomaly still records the rule's rate; the outdated one its own.
    rate_bps = np.where(outdated, wrong_bps, base.rate_bps)
    return Stamps(net, tax, net + tax, base.rule_id, rate_bps, base.note, anomaly)
