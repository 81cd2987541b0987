"""The vectorised stamps (console.services.tax.vectorised) equal the tax engine line for line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.services.tax import engine as te
from console.services.tax.vectorised import epoch_day, rate_text, stamp_lines

CATEGORIES = np.array([10, 20, 30, 40, 50])


def _rule(
    rid,
    code,
    rate,
    category=None,
    start=dt.date(2024, 1, 1),
    end=None,
    exempt=False,
    condition="vat_registered",
    legal=None,
):
    return te.RuleSpec(
        id=rid,
        code=code,
        kind="vat",
        base="sale",
        rate=Decimal(rate),
        is_exemption=exempt,
        category_id=category,
        seller_condition=condition,
        valid_from=start,
        valid_to=end,
        legal_reference=legal,
    )


# Rate changes, a category rate, an exemption, a rule starting later, an "any" seller rule,
# and category 50 with no rule before mid-2024.
RULES = [
    _rule(1, "STD-18", "0.18", end=dt.date(2025, 6, 30)),
    _rule(2, "STD-20", "0.20", start=dt.date(2025, 7, 1)),
    _rule(3, "RED-10", "0.10", category=20),
    _rule(4, "EXO-30", "0", category=30, exempt=True, legal="Loi n° 1/12 art. 4"),
    _rule(5, "RED-125", "0.125", category=40, start=dt.date(2024, 6, 1)),
    _rule(6, "ANY-05", "0.0525", category=50, start=dt.date(2024, 7, 1), condition="any"),
]
FIRST, LAST = dt.date(2023, 10, 1), dt.date(2026, 3, 1)

LINES = st.lists(
    st.tuples(
        st.integers(0, len(CATEGORIES) - 1),
        st.integers(epoch_day(FIRST), epoch_day(LAST)),
        st.booleans(),
        st.one_of(st.integers(0, 60_000), st.integers(0, 10**9)),
        st.one_of(st.integers(1, 500).map(lambda q: q * 1000), st.integers(1, 10**9)),
        st.booleans(),
    ),
    min_size=1,
    max_size=60,
)


def _engine(category, day, vat, price, qty_milli, inclusive):
    return te.compute_line(
        te.SaleLine(
            seller_vat_registered=vat,
            category_id=int(CATEGORIES[category]),
            sold_on=dt.date(1970, 1, 1) + dt.timedelta(days=day),
            unit_price=price,
            quantity=Decimal(qty_milli).scaleb(-3),
            price_includes_tax=inclusive,
        ),
        RULES,
    )


def _stamped(lines):
    columns = list(zip(*lines, strict=True))
    return stamp_lines(RULES, CATEGORIES, *(np.array(c) for c in columns))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINES)
def test_vectorised_stamps_equal_compute_line_on_generated_lines(lines):
    stamps = _stamped(lines)
    rates = rate_text(stamps.rate_bps)
    for i, line in enumerate(lines):
        expected = _engine(*line)
        got = (
            int(stamps.net[i]),
            int(stamps.tax[i]),
            int(stamps.gross[i]),
            None if stamps.rule_id[i] < 0 else int(stamps.rule_id[i]),
            Decimal(rates[i]),
            stamps.note[i],
        )
        assert got == (
            expected.net,
            expected.tax,
            expected.gross,
            expected.rule_id,
            expected.rate,
            expected.note,
        )


def test_amounts_beyond_int64_products_are_still_exact():
    # 10^9 FBu × 10^6 kg: the inclusive net needs amount × 10 000, beyond int64.
    lines = [
        (0, epoch_day(dt.date(2024, 3, 1)), True, 10**9, 10**9, inclusive)
        for inclusive in (True, False)
    ]
    stamps = _stamped(lines)
    for i, line in enumerate(lines):
        expected = _engine(*line)
        assert (int(stamps.net[i]), int(stamps.tax[i]), int(stamps.gross[i])) == (
            expected.net,
            expected.tax,
            expected.gross,
        )


def test_a_rule_conflict_raises_only_for_the_lines_that_meet_it():
    clashing = [*RULES, _rule(7, "RED-11", "0.11", category=20)]  # same tier as RED-10
    day = epoch_day(dt.date(2024, 3, 1))
    stamps = stamp_lines(
        clashing,
        CATEGORIES,
        np.array([0]),
        np.array([day]),
        np.array([True]),
        np.array([1000]),
        np.array([1000]),
        np.array([True]),
    )
    assert int(stamps.rule_id[0]) == 1
    with pytest.raises(te.RuleConflictError):
        stamp_lines(
            clashing,
            CATEGORIES,
            np.array([1]),
            np.array([day]),
            np.array([True]),
            np.array([1000]),
            np.array([1000]),
            np.array([True]),
        )
