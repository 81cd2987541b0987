"""One rounding: the Decimal engine is the reference; numpy and SQL agree with it, signs included.

Half-up to the whole franc, 0.5 away from zero (console.services.money.half_up_div), so
a return's negative line is exactly the negative of the sale's stamp: −25 F at 18 %
is −4.5 → −5 in the engine, the vectorised stamper and the SQL what-if alike.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Boolean, Numeric, literal, select

from console.services.money import half_up_div, round_franc
from console.services.tax import engine as te
from console.services.tax import sql as tax_sql
from console.services.tax.vectorised import apply_rate, line_amount

DAY = dt.date(2025, 3, 1)
RATES_BPS = st.sampled_from([0, 500, 1000, 1250, 1800, 2000, 525, 1])
PRICES = st.integers(-(10**7), 10**7)
QTY_MILLI = st.one_of(st.integers(-500, 500).map(lambda q: q * 1000), st.integers(-(10**7), 10**7))


def _rule(bps: int) -> te.RuleSpec:
    return te.RuleSpec(
        id=1,
        code="T",
        kind="vat",
        base="sale",
        rate=Decimal(bps).scaleb(-4),
        is_exemption=False,
        category_id=None,
        seller_condition="vat_registered",
        valid_from=dt.date(2020, 1, 1),
        valid_to=None,
    )


def _engine(price: int, qty_milli: int, bps: int, inclusive: bool) -> tuple[int, int, int]:
    """(amount, net, tax) of one line by the Decimal engine, the reference."""
    line = te.SaleLine(
        seller_vat_registered=True,
        category_id=1,
        sold_on=DAY,
        unit_price=price,
        quantity=Decimal(qty_milli).scaleb(-3),
        price_includes_tax=inclusive,
    )
    tax = te.compute_line(line, [_rule(bps)])
    return line.amount, tax.net, tax.tax


def _numpy(price: int, qty_milli: int, bps: int, inclusive: bool) -> tuple[int, int, int]:
    amount = line_amount(np.array([price]), np.array([qty_milli]))
    net, tax = apply_rate(amount, np.array([bps]), np.array([inclusive]))
    return int(amount[0]), int(net[0]), int(tax[0])


def _sql(session, price: int, qty_milli: int, bps: int, inclusive: bool) -> tuple[int, int, int]:
    """The what-if's SQL expressions, evaluated by the test database."""
    amount = tax_sql.line_amount(
        literal(price, BigInteger), literal(Decimal(qty_milli).scaleb(-3), Numeric(14, 3))
    )
    flag = literal(inclusive, Boolean)
    tax = tax_sql.line_tax(amount, flag, Decimal(bps).scaleb(-4))
    got_amount, got_tax = session.execute(select(amount, tax)).one()
    return (
        int(got_amount),
        int(got_amount) - int(got_tax) if inclusive else int(got_amount),
        int(got_tax),
    )


@given(st.integers(-(10**30), 10**30), st.integers(1, 10**12))
def test_the_integer_routine_is_decimal_half_up_away_from_zero(numerator, denominator):
    with localcontext() as context:
        context.prec = 80  # exact enough for any tie or near-tie at these sizes
        expected = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), ROUND_HALF_UP)
    assert half_up_div(numerator, denominator) == int(expected)
    assert half_up_div(-numerator, denominator) == -half_up_div(numerator, denominator)


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False))
def test_round_franc_is_the_stdlib_half_up(amount):
    assert round_franc(amount) == int(amount.quantize(Decimal(1), ROUND_HALF_UP))


def test_minus_25_francs_at_18_percent_is_minus_5_everywhere(db_session):
    # 25 × 18 % = 4.5 → 5, so the return of that line must carry −5, not −4.
    assert _engine(-25, 1000, 1800, False) == (-25, -25, -5)
    assert _numpy(-25, 1000, 1800, False) == (-25, -25, -5)
    assert _sql(db_session, -25, 1000, 1800, False) == (-25, -25, -5)
    assert _numpy(25, -1000, 1800, False) == (-25, -25, -5)


@settings(max_examples=150, deadline=None)
@given(PRICES, QTY_MILLI, RATES_BPS, st.booleans())
def test_the_numpy_stamper_agrees_with_the_engine_for_any_sign(price, qty_milli, bps, inclusive):
    assert _numpy(price, qty_milli, bps, inclusive) == _engine(price, qty_milli, bps, inclusive)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(PRICES, QTY_MILLI, RATES_BPS, st.booleans())
def test_the_sql_what_if_agrees_with_the_engine_for_any_sign(
    db_session, price, qty_milli, bps, inclusive
):
    assert _sql(db_session, price, qty_milli, bps, inclusive) == _engine(
        price, qty_milli, bps, inclusive
    )


@settings(max_examples=80, deadline=None)
@given(PRICES, QTY_MILLI, RATES_BPS, st.booleans())
def test_a_negated_line_is_stamped_as_the_exact_negative(price, qty_milli, bps, inclusive):
    amount, net, tax = _engine(price, qty_milli, bps, inclusive)
    assert _engine(price, -qty_milli, bps, inclusive) == (-amount, -net, -tax)


@pytest.mark.parametrize("values", [[-45000, -44999, -45001, 0, 45000], [-15, -5, 5, 15]])
def test_numpy_and_python_forms_of_the_routine_are_the_same(values):
    array = np.array(values, dtype=np.int64)
    assert half_up_div(array, 10, np.where).tolist() == [half_up_div(v, 10) for v in values]
