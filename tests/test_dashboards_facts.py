"""refresh_facts: the aggregate tables equal sums over the raw records, rebuilt in full or
from a day on, on a small marketplace whose figures are known by hand.

Seller A (Gitega, pioneer) and seller B (Ngozi). Times are UTC; Bujumbura is UTC+2.
  o1 10/03/2024 A: savon 2 × 1000 + 360 tax, haricot 1 × 2900 (two categories), paid (360 tax)
  o2 31/03/2024 22:30 UTC = 01/04/2024 00:30 in Bujumbura, A: savon 1 × 1000 + 180 tax
  o3 15/03/2024 A: savon 5 × 1000 + 900 tax, CANCELLED
  o4 20/03/2024 B → bought by cooperative A: miel 1 × 15000
  o5 02/04/2024 B, export: miel 2 × 15000
Listings: L1 A savon 10 @ 1000 (sold 2 + 1), L2 B miel 5 @ 15000 (sold 1 + 2), L3 A haricot
  4 @ 2900 never sold.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from console import models as m
from console.services.facts import refresh_facts

from .dashboards_support import (
    fact_snapshot,
    make_buyer,
    make_cooperative,
    make_listing,
    make_order,
    make_product,
    utc,
)

MARCH, APRIL = dt.date(2024, 3, 1), dt.date(2024, 4, 1)


@pytest.fixture(scope="module")
def market(app):
    from console.extensions import db

    with app.app_context():
        s = db.session
        a = make_cooperative(s, "Coopérative A", "BI-GI", pioneer=True)
        b = make_cooperative(s, "Coopérative B", "BI-NG")
        soap, beans, honey = (
            make_product(s, a, "savon"),
            make_product(s, a, "haricot-sec"),
            make_product(s, b, "miel"),
        )
        consumer, coop_buyer = make_buyer(s), make_buyer(s, "cooperative", coop=a)
        l1 = make_listing(s, soap, "10", 1000, utc(2024, 3, 1))
        l2 = make_listing(s, honey, "5", 15000, utc(2024, 3, 5))
        l3 = make_listing(s, beans, "4", 2900, utc(2024, 1, 5))
        make_order(
            s,
            consumer,
            a,
            utc(2024, 3, 10),
            [(soap, "2", 1000, 360, l1), (beans, "1", 2900, 0, None)],
            paid_tax=360,
        )
        make_order(s, consumer, a, utc(2024, 3, 31, 22, 30), [(soap, "1", 1000, 180, l1)])
        make_order(
            s, consumer, a, utc(2024, 3, 15), [(soap, "5", 1000, 900, l1)], status="cancelled"
        )
        make_order(s, coop_buyer, b, utc(2024, 3, 20), [(honey, "1", 15000, 0, l2)])
        make_order(s, consumer, b, utc(2024, 4, 2), [(honey, "2", 15000, 0, l2)], export=True)
        refresh_facts(s)
        s.commit()
        yield {
            "a": a.id,
            "b": b.id,
            "l1": l1.id,
            "l2": l2.id,
            "l3": l3.id,
            "soap": soap.id,
            "consumer": consumer.id,
        }


def _month(session, seller_id: int, month: dt.date):
    M = m.SalesMonthFact
    return session.execute(
        select(
            func.sum(M.gross), func.sum(M.tax), func.sum(M.order_count), func.sum(M.line_count)
        ).where(M.seller_id == seller_id, M.month == month)
    ).one()


def test_monthly_sales_are_the_lines_of_non_cancelled_orders_by_bujumbura_month(db_session, market):
    assert tuple(_month(db_session, market["a"], MARCH)) == (2360 + 2900, 360, 1, 2)
    # o2, placed 31/03 22:30 UTC, is an April sale in Bujumbura.
    assert tuple(_month(db_session, market["a"], APRIL)) == (1180, 180, 1, 1)
    assert tuple(_month(db_session, market["b"], MARCH)) == (15000, 0, 1, 1)


def test_an_order_with_lines_in_two_categories_counts_once(db_session, market):
    D = m.SalesDayFact
    rows = db_session.execute(
        select(D.category_id, D.order_count, D.line_count).where(
            D.seller_id == market["a"], D.day == dt.date(2024, 3, 10)
        )
    ).all()
    assert len(rows) == 2
    assert sum(r.order_count for r in rows) == 1
    assert sum(r.line_count for r in rows) == 2


def test_buyer_type_and_export_are_kept_apart(db_session, market):
    M = m.SalesMonthFact
    rows = db_session.execute(
        select(M.month, M.is_export, M.buyer_is_cooperative, M.gross)
        .where(M.seller_id == market["b"])
        .order_by(M.month)
    ).all()
    assert [(r.month, bool(r.is_export), bool(r.buyer_is_cooperative), r.gross) for r in rows] == [
        (MARCH, False, True, 15000),
        (APRIL, True, False, 30000),
    ]


def test_weekly_and_daily_tables_add_up_to_the_monthly_one(db_session, market):
    for column in (m.SalesDayFact.gross, m.SalesWeekFact.gross):
        assert db_session.scalar(select(func.sum(column))) == db_session.scalar(
            select(func.sum(m.SalesMonthFact.gross))
        )
    W = m.SalesWeekFact
    weeks = db_session.execute(
        select(W.week_start, W.month, func.sum(W.gross))
        .group_by(W.week_start, W.month)
        .order_by(W.week_start)
    ).all()
    # Sunday 10/03 belongs to the week of Monday 04/03; 01/04/2024 is a Monday.
    assert (dt.date(2024, 3, 4), MARCH, 2360 + 2900) in [tuple(w) for w in weeks]
    assert (dt.date(2024, 4, 1), APRIL, 1180 + 30000) in [tuple(w) for w in weeks]


def test_payments_count_in_the_month_of_the_sale_they_pay(db_session, market):
    P = m.PaymentMonthFact
    rows = db_session.execute(select(P.month, P.seller_id, P.tax_amount, P.payment_count)).all()
    assert [tuple(r) for r in rows] == [(MARCH, market["a"], 360, 1)]


def test_listing_facts_hold_offered_sold_and_the_sale_days(db_session, market):
    F = m.ListingFact
    l1 = db_session.get(F, market["l1"])
    assert (Decimal(l1.quantity_sold), l1.gross_sold, l1.sale_count) == (
        Decimal("3"),
        2360 + 1180,
        2,
    )
    assert (l1.first_sale_on, l1.last_sale_on) == (dt.date(2024, 3, 10), dt.date(2024, 4, 1))
    l3 = db_session.get(F, market["l3"])
    assert (Decimal(l3.quantity_sold), l3.sale_count, l3.first_sale_on) == (Decimal("0"), 0, None)
    LM = m.ListingMonthFact
    march_soap = db_session.execute(
        select(LM.value_offered, LM.value_sold, LM.listing_count, LM.unsold_listing_count).where(
            LM.seller_id == market["a"], LM.month == MARCH
        )
    ).one()
    assert tuple(march_soap) == (10 * 1000, 3 * 1000, 1, 0)


def test_refresh_from_a_day_equals_a_full_rebuild(db_session, market):
    a, b = db_session.get(m.Cooperative, market["a"]), db_session.get(m.Cooperative, market["b"])
    consumer = db_session.get(m.Buyer, market["consumer"])
    soap = db_session.get(m.Product, market["soap"])
    honey = db_session.scalar(select(m.Product).where(m.Product.cooperative_id == b.id))
    l1, l2 = db_session.get(m.Listing, market["l1"]), db_session.get(m.Listing, market["l2"])
    make_order(
        db_session, consumer, a, utc(2024, 4, 20), [(soap, "4", 1000, 720, l1)], paid_tax=720
    )
    make_order(db_session, consumer, b, utc(2024, 5, 3), [(honey, "1", 15000, 0, l2)])
    make_listing(db_session, honey, "2", 14000, utc(2024, 5, 4))
    incremental_run = refresh_facts(db_session, since=dt.date(2024, 4, 20))
    incremental = fact_snapshot(db_session)
    full_run = refresh_facts(db_session)
    assert incremental == fact_snapshot(db_session)
    assert full_run.refresh_id > incremental_run.refresh_id  # a new version for the cache
    assert tuple(_month(db_session, market["a"], APRIL)) == (1180 + 4720, 180 + 720, 2, 2)
    db_session.rollback()


def test_refresh_from_a_day_does_not_recompute_earlier_months(db_session, market):
    line = db_session.scalar(
        select(m.OrderLine)
        .join(m.Order)
        .where(m.Order.seller_id == market["b"])
        .order_by(m.Order.placed_at)
    )
    line.gross += 1000  # a March sale corrected without telling the refresh
    refresh_facts(db_session, since=APRIL)
    assert _month(db_session, market["b"], MARCH)[0] == 15000
    refresh_facts(db_session, since=MARCH)
    assert _month(db_session, market["b"], MARCH)[0] == 16000
    db_session.rollback()
