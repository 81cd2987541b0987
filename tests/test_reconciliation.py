"""Reconciliation, leakage flags, what-if and their pages, on data known by hand.

The data set is described in tests/tax_data.py; every expected figure below is computed
there by hand, and the reconciliation is also checked against a naive Python sum over
the ORM rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from console import models as m
from console.models.tax_settings import TaxSetting
from console.reference import tax_settings as ref
from console.security.scoping import NATIONAL, ProvinceScope
from console.services.money import format_francs
from console.services.periods import local_date, period_of
from console.services.tax import leakage as lk
from console.services.tax.engine import SaleLine, what_if
from console.services.tax.reconciliation import (
    lines_for_seller,
    reconcile,
    reconciliation_totals,
    rows_frame,
    seller_in_scope,
)
from console.services.tax.stamping import load_rules
from console.services.tax.what_if import (
    DraftError,
    draft_with_new_rule,
    draft_with_rate,
    what_if_period,
)

from . import tax_data
from .conftest import create_user, login

JAN, APR = dt.date(2024, 1, 1), dt.date(2024, 4, 30)
AS_OF = dt.date(2024, 6, 30)  # every deadline of January–April has passed


@pytest.fixture(scope="module")
def data(app):
    from console.extensions import db

    with app.app_context():
        ns = tax_data.build(db.session)
        db.session.commit()
        return ns


def _figures(rows):
    """(seller id, period key) → (due, collected, remitted)."""
    return {(r.seller_id, r.period.key): (r.tax_due, r.tax_collected, r.tax_remitted) for r in rows}


# ---------------------------------------------------------------------------
# Reconciliation
# ---------------------------------------------------------------------------


def test_monthly_due_collected_and_remitted_per_seller_equal_the_hand_sums(db_session, data):
    rows = reconcile(db_session, NATIONAL, JAN, APR, "month")
    a, b, c, d, e = data.a, data.b, data.c, data.d, data.e
    assert _figures(rows) == {
        # A: o1 540 + 580 and o2 90; remitted on time
        (a, "2024-01"): (1210, 1210, 1210),
        # A: o3 (00:30 on 1 Feb in Bujumbura) 180; o4 cancelled is never due
        (a, "2024-02"): (180, 180, 180),
        # A: o5 delivered, never paid, never remitted
        (a, "2024-03"): (360, 0, 0),
        # A: o6, remitted short
        (a, "2024-04"): (180, 180, 100),
        # B: the quarterly remittance counts in March, where its declared period ends
        (b, "2024-01"): (1000, 1000, 0),
        (b, "2024-02"): (0, 0, 0),
        (b, "2024-03"): (160, 160, 1160),
        (c, "2024-01"): (0, 0, 0),
        (d, "2024-01"): (0, 0, 0),
        (d, "2024-02"): (0, 0, 0),
        (d, "2024-03"): (0, 0, 0),
        (e, "2024-01"): (180, 180, 180),
        (e, "2024-02"): (180, 180, 180),
        (e, "2024-03"): (180, 180, 180),
    }
    row = next(r for r in rows if (r.seller_id, r.period.key) == (a, "2024-03"))
    assert (row.uncollected, row.unremitted, row.collected_not_remitted) == (360, 360, 0)
    assert row.remittance_deadline == dt.date(2024, 4, 15)
    assert (row.sales_net, row.sales_gross, row.lines) == (2000, 2360, 1)


def test_quarterly_figures_equal_the_hand_sums(db_session, data):
    rows = reconcile(db_session, NATIONAL, JAN, APR, "quarter")
    a, b, c, d, e = data.a, data.b, data.c, data.d, data.e
    assert _figures(rows) == {
        (a, "2024-T1"): (1210 + 180 + 360, 1210 + 180, 1210 + 180),
        (a, "2024-T2"): (180, 180, 100),
        (b, "2024-T1"): (1160, 1160, 1160),
        (c, "2024-T1"): (0, 0, 0),
        (d, "2024-T1"): (0, 0, 0),
        (e, "2024-T1"): (540, 540, 540),
    }
    assert [r.period.label for r in rows][:1] == ["1er trimestre 2024"]


def _naive(session, grain: str, first: dt.date, last: dt.date):
    """The same figures by walking every ORM row in Python (the slow, obvious way)."""
    sums = defaultdict(lambda: [0, 0, 0])

    def key(order):
        day = local_date(order.placed_at)
        if order.status == m.OrderStatus.CANCELLED or not first <= day <= last:
            return None
        return order.seller_id, period_of(day, grain).key

    for line in session.scalars(select(m.OrderLine)):
        if (k := key(line.order)) is not None:
            sums[k][0] += line.tax
    for payment in session.scalars(select(m.Payment)):
        if (k := key(payment.order)) is not None:
            sums[k][1] += payment.tax_amount
    for remittance in session.scalars(select(m.TaxRemittance)):
        if first <= remittance.period_end <= last and remittance.tax_kind == m.TaxKind.VAT:
            k = (remittance.cooperative_id, period_of(remittance.period_end, grain).key)
            sums[k][2] += remittance.amount
    return {k: tuple(v) for k, v in sums.items()}


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_reconciliation_equals_a_naive_sum_over_the_orm_rows(db_session, data, grain):
    first, last = dt.date(2023, 1, 1), dt.date(2024, 6, 30)
    rows = reconcile(db_session, NATIONAL, first, last, grain)
    assert _figures(rows) == _naive(db_session, grain, first, last)


def test_totals_and_data_frame_add_up_to_the_rows(db_session, data):
    rows = reconcile(db_session, NATIONAL, JAN, APR)
    totals = reconciliation_totals(rows)
    # 1210 + 180 + 360 + 180 (A) + 1000 + 0 + 160 (B) + 3 × 180 (E)
    assert totals.tax_due == 3630
    # collected: A 1210 + 180 + 0 + 180, B 1000 + 0 + 160, E 540; remitted: A 1210 + 180 + 100
    assert (totals.tax_collected, totals.tax_remitted) == (1570 + 1160 + 540, 1490 + 1160 + 540)
    frame = rows_frame(rows)
    assert len(frame) == len(rows)
    assert int(frame["tax_due"].sum()) == totals.tax_due
    assert int(frame["unremitted"].sum()) == totals.unremitted
    assert list(frame["period"][:1]) == ["2024-01"]


def test_a_coordinator_scope_sees_only_its_province_and_national_sees_all(db_session, data):
    gitega = ProvinceScope(False, frozenset({data.provinces["gitega_2025"]}))
    sellers = {r.seller_id for r in reconcile(db_session, gitega, JAN, APR)}
    assert sellers == {data.a, data.c}
    national = {r.seller_id for r in reconcile(db_session, NATIONAL, JAN, APR)}
    assert national == {data.a, data.b, data.c, data.d, data.e}
    # A 2015-map coordinator for Ngozi sees B (Ngozi) but not D (Kirundo, same 2025 province).
    ngozi = ProvinceScope(False, frozenset({data.provinces["ngozi_2015"]}))
    assert {r.seller_id for r in reconcile(db_session, ngozi, JAN, APR)} == {data.b}
    assert reconcile(db_session, ProvinceScope(False), JAN, APR) == []


def test_the_province_filter_narrows_within_the_scope(db_session, data):
    rows = reconcile(db_session, NATIONAL, JAN, APR, province_id=data.provinces["butanyerera_2025"])
    assert {r.seller_id for r in rows} == {data.b, data.d}
    gitega = ProvinceScope(False, frozenset({data.provinces["gitega_2025"]}))
    # A coordinator filtering on another province gets nothing, not that province.
    assert reconcile(db_session, gitega, JAN, APR, province_id=data.provinces["burunga_2025"]) == []


def test_drill_down_lists_the_lines_with_their_stamped_rule_and_rate(db_session, data):
    lines = lines_for_seller(db_session, NATIONAL, data.b, JAN, APR)
    assert [line.line_id for line in lines] == [data.b_lines[3], data.b_lines[2], data.b_lines[1]]
    march = lines[0]
    assert (march.tax_rule_code, march.tax_rate, march.tax) == ("TVA-18", Decimal("0.16"), 160)
    assert lines[2].tax_rule_code == "TVA-10-haricot-sec" and lines[2].tax_rate == Decimal("0.10")
    # The lines of a month add up to that month's due.
    a_lines = lines_for_seller(
        db_session, NATIONAL, data.a, dt.date(2024, 2, 1), dt.date(2024, 2, 29)
    )
    assert sum(line.tax for line in a_lines) == 180
    assert (
        len(lines_for_seller(db_session, NATIONAL, data.a, JAN, APR, include_cancelled=True)) == 7
    )


def test_drill_down_of_another_provinces_seller_is_not_found_for_a_coordinator(db_session, data):
    burunga = ProvinceScope(False, frozenset({data.provinces["burunga_2025"]}))
    assert seller_in_scope(db_session, burunga, data.a) is None
    assert lines_for_seller(db_session, burunga, data.a, JAN, APR) == []
    assert seller_in_scope(db_session, burunga, data.e).id == data.e


# ---------------------------------------------------------------------------
# Leakage flags
# ---------------------------------------------------------------------------


def _flags(session, kind, scope=NATIONAL, as_of=AS_OF, **kwargs):
    return lk.leakage_flags(session, scope, JAN, APR, as_of=as_of, kinds=[kind], **kwargs)


def test_taxable_lines_with_no_tax_or_a_wrong_rate_are_flagged_with_their_lines(db_session, data):
    flags = _flags(db_session, lk.LINE_TAX)
    assert [(f.seller_id, f.period.key) for f in flags] == [
        (data.b, "2024-02"),
        (data.b, "2024-03"),
    ]
    february, march = flags
    assert february.line_ids == (data.b_lines[2],) and february.order_ids == (data.b_orders[2],)
    assert (february.figure("stamped_tax"), february.figure("expected_tax")) == (0, 180)
    assert february.figure("zero_tax_lines") == 1
    assert march.line_ids == (data.b_lines[3],)
    assert (
        march.figure("stamped_tax"),
        march.figure("expected_tax"),
        march.figure("shortfall"),
    ) == (160, 180, 20)
    assert "16\u00a0%" in march.explanation and "règle en vigueur" in march.explanation


def test_a_line_stamped_with_the_rate_of_a_rule_that_had_ended_is_flagged(db_session, data):
    # Invented for the test: the standard rate becomes 20 % on 01/03/2024.
    standard = db_session.scalars(select(m.TaxRule).where(m.TaxRule.code == "TVA-18")).one()
    standard.valid_to = dt.date(2024, 2, 29)
    db_session.add(
        m.TaxRule(
            code="TVA-20-T",
            name="TVA 20 % (test)",
            kind=m.TaxKind.VAT,
            base=m.TaxBase.SALE,
            rate=Decimal("0.20"),
            is_exemption=False,
            seller_condition=m.SellerCondition.VAT_REGISTERED,
            valid_from=dt.date(2024, 3, 1),
        )
    )
    db_session.flush()
    buyer = db_session.scalars(select(m.Buyer)).first()
    h = tax_data.make_seller(db_session, "H", "BI-BM", vat=True)  # alone in Bujumbura
    soap = [("savon", 1000, "1")]
    tax_data.make_order(db_session, buyer, h, tax_data.local(2024, 2, 20), soap)  # 18 %: right
    tax_data.make_order(db_session, buyer, h, tax_data.local(2024, 3, 10), soap)  # 20 %: right
    outdated = tax_data.make_order(
        db_session,
        buyer,
        h,
        tax_data.local(2024, 3, 11),
        soap,
        stamps={1: (1000, 180, 1180, Decimal("0.18"))},
    )
    bujumbura = db_session.scalars(select(m.Province.id).where(m.Province.code == "BI25-BJ")).one()
    [flag] = _flags(db_session, lk.LINE_TAX, province_id=bujumbura)
    assert flag.line_ids == (outdated.lines[0].id,)
    assert (flag.figure("stamped_tax"), flag.figure("expected_tax")) == (180, 200)


def test_delivered_orders_never_paid_are_flagged_after_the_grace_period(db_session, data):
    [flag] = _flags(db_session, lk.UNPAID_DELIVERY)
    assert (flag.seller_id, flag.period.key, flag.order_ids) == (
        data.a,
        "2024-03",
        (data.orders[5],),
    )
    assert (flag.figure("gross"), flag.figure("tax")) == (2360, 360)
    # 20 days after the order, within the 30-day grace: not yet a flag.
    assert _flags(db_session, lk.UNPAID_DELIVERY, as_of=dt.date(2024, 3, 25)) == []


def test_missing_late_and_short_remittances_are_flagged_with_their_evidence(db_session, data):
    flags = lk.leakage_flags(
        db_session,
        NATIONAL,
        JAN,
        APR,
        as_of=AS_OF,
        kinds=[lk.REMITTANCE_MISSING, lk.REMITTANCE_LATE, lk.REMITTANCE_SHORT],
    )
    found = {(f.kind, f.seller_id, f.period.key) for f in flags}
    assert found == {
        (lk.REMITTANCE_MISSING, data.a, "2024-03"),
        (lk.REMITTANCE_LATE, data.a, "2024-02"),
        (lk.REMITTANCE_SHORT, data.a, "2024-04"),
    }
    by_kind = {f.kind: f for f in flags}
    missing = by_kind[lk.REMITTANCE_MISSING]
    assert missing.figure("tax_due") == 360 and missing.figure("deadline") == dt.date(2024, 4, 15)
    assert missing.order_ids == (data.orders[5],)
    late = by_kind[lk.REMITTANCE_LATE]
    assert late.remittance_ids == (data.remittances["a_feb"],)
    assert (late.figure("deadline"), late.figure("days_late")) == (dt.date(2024, 3, 15), 10)
    short = by_kind[lk.REMITTANCE_SHORT]
    assert short.remittance_ids == (data.remittances["a_apr"],)
    assert (short.figure("tax_due"), short.figure("tax_remitted"), short.figure("shortfall")) == (
        180,
        100,
        80,
    )
    assert short.order_ids == (data.orders[6],)


def test_a_remittance_not_yet_due_is_not_missing_nor_short(db_session, data):
    # On 10/04/2024 March's deadline (15/04) has not passed yet.
    flags = lk.leakage_flags(
        db_session,
        NATIONAL,
        JAN,
        dt.date(2024, 3, 31),
        as_of=dt.date(2024, 4, 10),
        kinds=[lk.REMITTANCE_MISSING, lk.REMITTANCE_SHORT],
    )
    assert flags == []


def test_the_remittance_tolerance_is_an_editable_setting(db_session, data):
    db_session.add(
        TaxSetting(key=ref.REMITTANCE_TOLERANCE, value=Decimal(100), valid_from=dt.date(2024, 1, 1))
    )
    db_session.flush()
    assert _flags(db_session, lk.REMITTANCE_SHORT) == []  # 80 francs short is tolerated


def test_an_unregistered_seller_above_the_threshold_is_flagged_and_the_threshold_is_data(
    db_session, data
):
    # D's 12 months to January 2024: 11 × 1 000 000 + 100 000 = 11 100 000, far below 100 million.
    assert _flags(db_session, lk.UNREGISTERED_ABOVE_THRESHOLD) == []
    db_session.add(
        TaxSetting(key=ref.VAT_THRESHOLD, value=Decimal(10_000_000), valid_from=dt.date(2023, 1, 1))
    )
    db_session.flush()
    [flag] = _flags(db_session, lk.UNREGISTERED_ABOVE_THRESHOLD)
    assert flag.seller_id == data.d
    assert (flag.figure("turnover"), flag.figure("threshold")) == (11_100_000, 10_000_000)
    assert flag.figure("month") == dt.date(2024, 1, 31)
    assert flag.period.start == dt.date(2023, 2, 1)


def _one_sale_a_month_is_enough(session) -> None:
    """D sells one line a month: lower the activity floor (a dated setting) to examine it."""
    session.add(
        TaxSetting(key=ref.DROP_MIN_MONTHLY_LINES, value=Decimal(1), valid_from=dt.date(2020, 1, 1))
    )
    session.flush()


def test_a_seller_with_too_few_sales_a_month_is_not_examined_for_a_drop(db_session, data):
    # Default floor: 5 lines a month on average; D has 1, so three quiet months prove nothing.
    assert _flags(db_session, lk.SALES_DROP) == []


def test_a_sudden_drop_against_the_sellers_own_history_is_flagged(db_session, data):
    _one_sale_a_month_is_enough(db_session)
    [flag] = _flags(db_session, lk.SALES_DROP)
    assert flag.seller_id == data.d
    # Recent: February–April 2024 = (100 000 + 100 000 + 0) / 3 → 66 667;
    # history: February 2023–January 2024 = (11 × 1 000 000 + 100 000) / 12 = 925 000.
    assert (flag.figure("recent_average"), flag.figure("history_average")) == (66_667, 925_000)
    assert flag.figure("ratio") == Decimal("0.0721")
    assert (flag.period.start, flag.period.end) == (dt.date(2024, 2, 1), dt.date(2024, 4, 30))


def test_a_drop_shared_by_the_other_sellers_of_the_same_products_is_not_flagged(db_session, data):
    # F sells the same soap in the same 2025 province (Butanyerera) and drops like D:
    # a mévente, not a seller hiding its sales.
    buyer = db_session.scalars(select(m.Buyer)).first()
    _one_sale_a_month_is_enough(db_session)
    f = tax_data.make_seller(db_session, "F", "BI-KY", vat=False)
    for month in range(1, 13):
        tax_data.make_order(
            db_session, buyer, f, tax_data.local(2023, month, 14), [("savon", 900_000, "1")]
        )
    for month in range(1, 4):
        tax_data.make_order(
            db_session, buyer, f, tax_data.local(2024, month, 14), [("savon", 90_000, "1")]
        )
    assert _flags(db_session, lk.SALES_DROP) == []


def test_the_drop_is_measured_over_the_three_months_before_the_examination_day(db_session, data):
    # On 01/04/2024: recent = 01/01–31/03/2024 (3 × 100 000), history = the whole of 2023
    # (12 × 1 000 000), whatever the window asked for.
    _one_sale_a_month_is_enough(db_session)
    [flag] = _flags(db_session, lk.SALES_DROP, as_of=dt.date(2024, 4, 1))
    assert (flag.figure("recent_average"), flag.figure("history_average")) == (100_000, 1_000_000)
    assert (flag.period.start, flag.period.end) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert flag.figure("history_since") == dt.date(2023, 1, 1)


def test_a_clean_seller_raises_no_flag(db_session, data):
    # E (alone in Burunga) sold, was paid and remitted in full and on time.
    flags = lk.leakage_flags(
        db_session, NATIONAL, JAN, APR, as_of=AS_OF, province_id=data.provinces["burunga_2025"]
    )
    assert flags == []


def test_flags_stay_within_the_scope(db_session, data):
    burunga = ProvinceScope(False, frozenset({data.provinces["burunga_2025"]}))
    assert lk.leakage_flags(db_session, burunga, JAN, APR, as_of=AS_OF) == []
    gitega = ProvinceScope(False, frozenset({data.provinces["gitega_2025"]}))
    assert {f.seller_id for f in lk.leakage_flags(db_session, gitega, JAN, APR, as_of=AS_OF)} == {
        data.a
    }
    _one_sale_a_month_is_enough(db_session)
    national = {f.seller_id for f in lk.leakage_flags(db_session, NATIONAL, JAN, APR, as_of=AS_OF)}
    assert national == {data.a, data.b, data.d}


def _stored_flags(session) -> list[tuple]:
    """The stored flags (refresh_facts), comparable across refreshes: every column but the id."""
    F = m.LeakageFlagFact
    columns = [c for c in F.__table__.columns if c.name != "id"]
    return sorted(tuple(row) for row in session.execute(select(*columns)))


@pytest.mark.parametrize(
    "since",
    [dt.date(2023, 6, 15), dt.date(2023, 11, 15), dt.date(2024, 2, 10), dt.date(2024, 4, 20)],
)
def test_stored_flags_refreshed_from_a_day_equal_a_full_rebuild(
    db_session, data, monkeypatch, since
):
    """refresh_facts(since=…) keeps the flags of periods ended before the month of ``since``
    and recomputes the others: together they must be the flags of a full rebuild (kind,
    seller, period, amount, explanation). With a 10 million threshold, D reaches it at the
    end of October 2023 (10 × 1 000 000) and stays above it to the end of February 2024
    (10 200 000): flagged once, on the first 12 months that reach it, however refreshed."""
    from console.services import facts

    monkeypatch.setattr(facts, "today_local", lambda: AS_OF)
    db_session.add(
        TaxSetting(key=ref.VAT_THRESHOLD, value=Decimal(10_000_000), valid_from=dt.date(2023, 1, 1))
    )
    _one_sale_a_month_is_enough(db_session)
    facts.refresh_facts(db_session)
    full = _stored_flags(db_session)
    kinds = {row[0] for row in full}
    assert {lk.LINE_TAX, lk.REMITTANCE_MISSING, lk.UNREGISTERED_ABOVE_THRESHOLD} <= kinds
    threshold = [row for row in full if row[0] == lk.UNREGISTERED_ABOVE_THRESHOLD]
    assert [row[1:4] for row in threshold] == [
        (data.d, dt.date(2022, 11, 1), dt.date(2023, 10, 31))
    ]
    assert threshold[0][5] == 10_000_000  # amount at stake: the 12 months' turnover

    facts.refresh_facts(db_session, since=since)
    assert _stored_flags(db_session) == full


def test_stored_flags_refreshed_from_a_day_on_a_later_day_equal_a_full_rebuild_that_day(
    db_session, data, monkeypatch
):
    """Flags also change with the day alone: A's March VAT (deadline 15/04) is missing only
    once the deadline has passed, and the sales drop is measured over the months before the
    day. A refresh from 15/04 on 01/05, after a full one on 01/04, must store what a full
    rebuild on 01/05 stores: March missing, and one sales drop (not 01/04's as well)."""
    from console.services import facts

    _one_sale_a_month_is_enough(db_session)
    monkeypatch.setattr(facts, "today_local", lambda: dt.date(2024, 4, 1))
    facts.refresh_facts(db_session)
    monkeypatch.setattr(facts, "today_local", lambda: dt.date(2024, 5, 1))
    facts.refresh_facts(db_session, since=dt.date(2024, 4, 15))
    partial = [row[:-1] for row in _stored_flags(db_session)]  # all but computed_on
    facts.refresh_facts(db_session)
    full = [row[:-1] for row in _stored_flags(db_session)]
    assert (lk.REMITTANCE_MISSING, data.a, dt.date(2024, 3, 1)) in [row[:3] for row in full]
    assert [row[1] for row in full if row[0] == lk.SALES_DROP] == [data.d]
    assert partial == full


# ---------------------------------------------------------------------------
# What-if
# ---------------------------------------------------------------------------


def _checksum(session) -> str:
    """A digest of every row that a simulation could touch."""
    digest = hashlib.sha256()
    for model in (m.TaxRule, m.OrderLine, m.Order, m.Payment, m.TaxRemittance, TaxSetting):
        table = model.__table__
        for row in session.execute(select(table).order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_what_if_gives_the_hand_computed_difference_per_category_and_province(db_session, data):
    rules = load_rules(db_session)
    standard = next(r for r in rules if r.code == "TVA-18")
    # Draft: the standard rate rises to 20 % from 01/03/2024.
    draft = draft_with_rate(rules, standard.id, Decimal("0.20"), dt.date(2024, 3, 1))
    before = _checksum(db_session)
    result = what_if_period(db_session, NATIONAL, JAN, APR, draft)
    assert _checksum(db_session) == before
    # Soap sold from March by registered sellers: A o5 2000 (360 → 400) and o6 1000
    # (180 → 200), B p3 1000 (180 → 200), E March 1000 (180 → 200): +40 +20 +20 +20.
    assert result.total.difference == 100
    by_category = {row.label: row.difference for row in result.by_category}
    assert by_category == {"Savon de ménage": 100, "Haricot sec": 0}
    assert {row.key: row.difference for row in result.by_province_2025} == {
        data.provinces["gitega_2025"]: 60,
        data.provinces["butanyerera_2025"]: 20,
        data.provinces["burunga_2025"]: 20,
    }
    assert {row.key: row.difference for row in result.by_province_2015} == {
        data.provinces["gitega_2015"]: 60,
        data.provinces["ngozi_2015"]: 20,
        data.provinces["bururi_2015"]: 20,
        db_session.scalars(select(m.Province.id).where(m.Province.code == "BI-KI")).one(): 0,
    }
    # Recorded stamps differ from today's rules where B's lines were misstamped (0 and 160).
    assert result.total.recorded_tax == 3630
    assert result.total.current_tax == 3630 + 180 + 20
    assert result.total.lines == 6 + 3 + 1 + 3 + 3  # A (o4 is cancelled), B, C, D, E


def test_what_if_sql_arithmetic_equals_the_engine_line_by_line(db_session, data):
    # Lines chosen for their rounding: half francs, fractional quantities, inclusive prices.
    buyer = db_session.scalars(select(m.Buyer)).first()
    g = tax_data.make_seller(db_session, "G", "BI-MU", vat=True)
    tricky = [
        ("savon", 25, "1"),
        ("savon", 1001, "0.5"),
        ("savon", 3, "0.333"),
        ("haricot-sec", 15, "1"),
        ("haricot-sec", 2999, "7.125"),
    ]
    for day, inclusive in ((10, False), (20, True)):
        tax_data.make_order(
            db_session, buyer, g, tax_data.local(2024, 2, day), tricky, inclusive=inclusive
        )
    tax_data.make_order(
        db_session,
        buyer,
        g,
        tax_data.local(2024, 2, 21),
        [("savon", 9, "1"), ("savon", 100, "1")],
        inclusive=True,
    )
    rules = load_rules(db_session)
    standard = next(r for r in rules if r.code == "TVA-18")
    draft = draft_with_rate(rules, standard.id, Decimal("0.20"), dt.date(2024, 2, 15))
    result = what_if_period(db_session, NATIONAL, JAN, APR, draft)
    # The oracle: the pure engine's what_if over every line, read one by one through the ORM.
    keyed = []
    for line in db_session.scalars(select(m.OrderLine)):
        order = line.order
        day = local_date(order.placed_at)
        if order.status != m.OrderStatus.CANCELLED and JAN <= day <= APR:
            keyed.append(
                (
                    line.product.category_id,
                    SaleLine(
                        order.seller.vat_registered,
                        line.product.category_id,
                        day,
                        line.unit_price,
                        line.quantity,
                        order.prices_include_tax,
                    ),
                )
            )
    expected = what_if(keyed, rules, draft)
    assert {row.key: (row.current_tax, row.draft_tax, row.lines) for row in result.by_category} == {
        key: (delta.current_tax, delta.draft_tax, delta.lines) for key, delta in expected.items()
    }


def test_what_if_adding_an_exemption_for_a_category_removes_its_tax(db_session, data):
    rules = load_rules(db_session)
    beans = db_session.scalars(select(m.Category.id).where(m.Category.code == "haricot-sec")).one()
    reduced = next(r for r in rules if r.category_id == beans)
    with pytest.raises(DraftError, match="chevauche"):
        draft_with_new_rule(rules, replace(reduced, id=None, code="X"))
    # Invented for the test: the reduced rate ends with 2023 and beans are exempt from 2024.
    closed = [r for r in rules if r.id != reduced.id] + [
        replace(reduced, valid_to=dt.date(2023, 12, 31))
    ]
    exemption = replace(
        reduced,
        id=None,
        code="EXO-HARICOT",
        rate=Decimal(0),
        is_exemption=True,
        valid_from=dt.date(2024, 1, 1),
        valid_to=None,
    )
    draft = draft_with_new_rule(closed, exemption)
    result = what_if_period(db_session, NATIONAL, JAN, APR, draft)
    # Beans: A o1 580 and B p1 1000 disappear.
    assert {row.label: row.difference for row in result.by_category} == {
        "Haricot sec": -1580,
        "Savon de ménage": 0,
    }


def test_a_draft_rate_must_be_a_fraction_between_0_and_1(db_session, data):
    rules = load_rules(db_session)
    standard = next(r for r in rules if r.code == "TVA-18")
    with pytest.raises(DraftError, match="entre 0 et 1"):
        draft_with_rate(rules, standard.id, Decimal("1.5"))


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def users(app):
    create_user(app, "ministere", "Ministère")
    create_user(app, "auditeur", "Auditeur fiscal")
    create_user(app, "pnud", "PNUD")
    create_user(app, "coordo", "Coordinateur provincial", ["BI25-GI"])
    return True


PERIOD = "?debut=2024-01&fin=2024-04"


@pytest.mark.parametrize("username", ["ministere", "auditeur"])
def test_tax_pages_answer_for_the_ministry_and_the_tax_auditor(client, data, users, username):
    login(client, username)
    summary = client.get("/rapprochement/" + PERIOD)
    assert summary.status_code == 200
    page = summary.get_data(as_text=True)
    assert "Rapprochement fiscal" in page and "Coopérative A" in page
    assert format_francs(3630) in page  # total due, January–April 2024
    flags = client.get("/signalements/" + PERIOD).get_data(as_text=True)
    assert "Versement absent" in flags and "Coopérative B" in flags
    drill = client.get(f"/rapprochement/vendeur/{data.b}" + PERIOD)
    assert drill.status_code == 200
    assert "TVA-18" in drill.get_data(as_text=True) and "16\u00a0%" in drill.get_data(as_text=True)
    simulation = client.get(
        "/simulation/"
        + PERIOD
        + "&mode=modifier&taux=20&effet=2024-03-01&regle="
        + str(next(r.id for r in _rules(client) if r.code == "TVA-18"))
    )
    assert simulation.status_code == 200
    assert format_francs(100) in simulation.get_data(as_text=True)


def _rules(client):
    from console.extensions import db

    with client.application.app_context():
        return load_rules(db.session)


def test_a_coordinator_is_denied_every_tax_page(client, data, users):
    login(client, "coordo")
    for url in (
        "/rapprochement/",
        f"/rapprochement/vendeur/{data.a}",
        "/signalements/",
        "/simulation/",
    ):
        assert client.get(url + PERIOD).status_code == 403, url


def test_undp_reads_the_summary_but_not_the_flags_nor_the_simulation(client, data, users):
    login(client, "pnud")
    assert client.get("/rapprochement/" + PERIOD).status_code == 200
    assert client.get("/signalements/" + PERIOD).status_code == 403
    assert client.get("/simulation/" + PERIOD).status_code == 403


def test_a_malformed_period_shows_a_french_message_and_the_default_period(client, data, users):
    login(client, "auditeur")
    response = client.get(
        "/rapprochement/?debut=2024-13&fin=nimporte&grain=semaine&province=xyz&page=abc"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Période invalide" in page and "AAAA-MM" in page
    assert "Regroupement inconnu" in page and "Province inconnue" in page
    flags = client.get("/signalements/?debut=2024-05&fin=2024-01")
    assert flags.status_code == 200 and "précède" in flags.get_data(as_text=True)


def test_a_bad_simulation_input_writes_nothing_and_says_why(client, data, users):
    login(client, "ministere")
    from console.extensions import db

    with client.application.app_context():
        before = _checksum(db.session)
    response = client.get("/simulation/" + PERIOD + "&mode=modifier&taux=abc&regle=1")
    assert response.status_code == 200 and "Taux invalide" in response.get_data(as_text=True)
    with client.application.app_context():
        assert _checksum(db.session) == before


def test_an_unknown_seller_drill_down_is_not_found(client, data, users):
    login(client, "auditeur")
    assert client.get("/rapprochement/vendeur/999999").status_code == 404


def test_tax_settings_are_listed_for_the_ministry(client, data, users):
    login(client, "ministere")
    response = client.get("/taxsettingview/list/")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    # People read the setting's name, never its snake_case key.
    assert ref.SETTING_NAMES[ref.VAT_THRESHOLD] in page and ref.VAT_THRESHOLD not in page


def test_simulation_inputs_accept_french_forms_and_refuse_the_rest():
    from console.views.reconciliation.filters import parse_day, parse_percent

    assert parse_percent("10,5") == Decimal("0.1050") and parse_percent("18 %") == Decimal("0.18")
    assert [parse_percent(bad) for bad in ("", "abc", "-1", "150", "10,123", "NaN")] == [None] * 6
    assert parse_day("01/07/2024") == parse_day("2024-07-01") == dt.date(2024, 7, 1)
    assert parse_day("31/02/2024") is None and parse_day("") is None
