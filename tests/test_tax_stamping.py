"""Order lines are stamped at sale time from the rules in force that Bujumbura day, once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from console import models as m
from console.services.tax.engine import NOTE_NOT_REGISTERED, RuleSpec
from console.services.tax.stamping import load_rules, stamp_order

from . import tax_data
from .tax_data import local

D = Decimal


def _vat(
    code,
    rate,
    *,
    category_id=None,
    valid_from=dt.date(2013, 7, 1),
    valid_to=None,
    exempt=False,
    legal_reference=None,
    id=1,
):
    return RuleSpec(
        id,
        code,
        "vat",
        "sale",
        D(rate),
        exempt,
        category_id,
        "vat_registered",
        valid_from,
        valid_to,
        legal_reference,
    )


def _pending_order(session, *, vat: bool, inclusive: bool, lines, key="S"):
    """An order not yet stamped: (product code, unit price, quantity) per line."""
    buyer = _buyer(session)
    seller = tax_data.make_seller(session, key, "BI-GI", vat=vat)
    order = m.Order(
        reference=f"CMD-{key}",
        buyer_id=buyer.id,
        seller_id=seller.id,
        placed_at=local(2024, 3, 1),
        prices_include_tax=inclusive,
    )
    for number, (code, price, quantity) in enumerate(lines, start=1):
        order.lines.append(
            m.OrderLine(
                line_no=number,
                product_id=tax_data.product(session, seller, code).id,
                unit_price=price,
                quantity=D(quantity),
            )
        )
    session.add(order)
    return order


def _stamps(order):
    return [
        (li.net, li.tax, li.gross, li.tax_rule_id, li.tax_rate, li.tax_note) for li in order.lines
    ]


def test_stamp_order_gives_net_tax_gross_rule_and_rate_per_line(db_session):
    beans = db_session.scalars(select(m.Category.id).where(m.Category.code == "haricot-sec")).one()
    order = _pending_order(
        db_session,
        vat=True,
        inclusive=False,
        lines=[("savon", 1000, "3"), ("haricot-sec", 2500, "4"), ("savon", 25, "1")],
    )
    rules = (_vat("TVA-18", "0.18", id=1), _vat("TVA-10", "0.10", category_id=beans, id=2))
    assert stamp_order(db_session, order, rules) == 3
    # 3000 × 18 % = 540; 10000 × 10 % = 1000; 25 × 18 % = 4.5 → 5 (half-up)
    assert _stamps(order) == [
        (3000, 540, 3540, 1, D("0.18"), None),
        (10000, 1000, 11000, 2, D("0.10"), None),
        (25, 5, 30, 1, D("0.18"), None),
    ]


def test_an_unregistered_seller_is_stamped_with_no_tax_and_the_reason(db_session):
    order = _pending_order(db_session, vat=False, inclusive=True, lines=[("savon", 1180, "1")])
    stamp_order(db_session, order, (_vat("TVA-18", "0.18"),))
    assert _stamps(order) == [(1180, 0, 1180, None, D(0), NOTE_NOT_REGISTERED)]


def test_a_long_exemption_reference_is_cut_to_the_note_column_length(db_session):
    order = _pending_order(db_session, vat=True, inclusive=False, lines=[("savon", 1000, "1")])
    stamp_order(
        db_session, order, (_vat("EXO", "0", exempt=True, legal_reference="Loi " + "x" * 400),)
    )
    [line] = order.lines
    assert line.tax == 0 and line.tax_rule_id == 1
    assert line.tax_note.startswith("Exonéré : Loi xxx") and len(line.tax_note) == 200


def test_a_quantity_finer_than_the_thousandth_is_refused(db_session):
    order = _pending_order(db_session, vat=True, inclusive=False, lines=[("savon", 1000, "1.0005")])
    with pytest.raises(ValueError, match="3 décimales"):
        stamp_order(db_session, order, (_vat("TVA-18", "0.18"),))


def _buyer(session) -> m.Buyer:
    buyer = m.Buyer(kind=m.BuyerKind.CONSUMER, name="Acheteur")
    session.add(buyer)
    session.flush()
    return buyer


def test_stamp_order_uses_the_rule_of_the_bujumbura_day_and_stamps_only_new_lines(db_session):
    buyer = _buyer(db_session)
    seller = tax_data.make_seller(db_session, "S", "BI-GI", vat=True)
    standard = db_session.scalars(select(m.TaxRule).where(m.TaxRule.code == "TVA-18")).one()
    # Invented for the test: the standard rate moves to 20 % on 01/07/2024.
    standard.valid_to = dt.date(2024, 6, 30)
    db_session.add(
        m.TaxRule(
            code="TVA-20-TEST",
            name="TVA 20 % (test)",
            kind=m.TaxKind.VAT,
            base=m.TaxBase.SALE,
            rate=D("0.20"),
            is_exemption=False,
            seller_condition=m.SellerCondition.VAT_REGISTERED,
            valid_from=dt.date(2024, 7, 1),
        )
    )
    db_session.flush()

    before = tax_data.make_order(
        db_session, buyer, seller, local(2024, 6, 30, 23, 59), [("savon", 1000, "1")]
    )
    # 00:30 on 1 July in Bujumbura is still 30 June in UTC: the new rule applies.
    after = tax_data.make_order(
        db_session, buyer, seller, local(2024, 7, 1, 0, 30), [("savon", 1000, "1")]
    )
    assert (before.lines[0].tax, before.lines[0].tax_rate) == (180, D("0.18"))
    assert (after.lines[0].tax, after.lines[0].tax_rate) == (200, D("0.20"))
    assert after.lines[0].tax_rule_id != before.lines[0].tax_rule_id

    # An administrator then edits the rule in place (22 %): stored stamps never change.
    db_session.scalars(select(m.TaxRule).where(m.TaxRule.code == "TVA-20-TEST")).one().rate = D(
        "0.22"
    )
    db_session.flush()
    assert stamp_order(db_session, after) == 0
    db_session.expire_all()
    line = db_session.get(m.OrderLine, after.lines[0].id)
    assert (line.net, line.tax, line.gross, line.tax_rate) == (1000, 200, 1200, D("0.2000"))

    # A line added later to the stored order is stamped under the edited rule; the first stays.
    order = db_session.get(m.Order, after.id)
    order.lines.append(
        m.OrderLine(line_no=2, product_id=line.product_id, unit_price=1000, quantity=D("1"))
    )
    assert stamp_order(db_session, order) == 1
    db_session.flush()
    assert [(li.tax, li.tax_rate) for li in order.lines] == [(200, D("0.2000")), (220, D("0.2200"))]


def test_stamp_order_on_a_pending_order_does_not_flush_unstamped_lines(db_session):
    buyer = _buyer(db_session)
    seller = tax_data.make_seller(db_session, "P", "BI-NG", vat=False)
    order = m.Order(
        reference="CMD-PENDING",
        buyer_id=buyer.id,
        seller_id=seller.id,
        placed_at=local(2024, 3, 1),
        prices_include_tax=True,
    )
    for number, code in enumerate(("savon", "haricot-sec"), start=1):
        order.lines.append(
            m.OrderLine(
                line_no=number,
                product_id=tax_data.product(db_session, seller, code).id,
                unit_price=1180,
                quantity=D("2"),
            )
        )
    db_session.add(order)
    assert stamp_order(db_session, order) == 2
    db_session.flush()
    assert [(li.net, li.tax, li.tax_note) for li in order.lines] == [
        (2360, 0, NOTE_NOT_REGISTERED),
        (2360, 0, NOTE_NOT_REGISTERED),
    ]


def test_load_rules_reads_every_rule_as_an_engine_spec(db_session):
    rules = load_rules(db_session)
    count = db_session.scalar(select(m.TaxRule.id).order_by(m.TaxRule.id.desc()).limit(1))
    assert rules and all(isinstance(rule, RuleSpec) for rule in rules)
    assert {rule.code for rule in rules} >= {"TVA-18", "RET-DIV-15"}
    assert max(rule.id for rule in rules) == count
    assert next(r for r in rules if r.code == "TVA-18").kind == "vat"
