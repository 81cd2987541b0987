"""A return of goods writes its eBMS credit note (FA), sent only once OBR has the original."""
# ruff: noqa: F811  (the eBMS fixtures are imported from tests/ebms_support.py)

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from console import models as m
from console.ebms.client import EbmsClient
from console.models.ebms import InvoiceMessage, MessageKind, MessageState
from console.services.ebms import outbox as outbox
from console.services.ebms.transmission import RetryPolicy, drain
from console.services.orders import ReturnLineRequest, Writer
from console.services.returns import return_goods

from .ebms_support import calm, sandbox, settings_for  # noqa: F401
from .tax_data import local, make_order, make_seller

FAST = RetryPolicy(base_s=0.05, cap_s=0.2, lease_s=30)
WRITER = Writer(client_id=None, cooperative_id=None)
_keys = (chr(c) for c in range(0x400, 0x500))  # one-letter seller keys (tests/tax_data.py)


@pytest.fixture
def sold(db_session):
    """A sale of a VAT-registered seller with a NIF, invoiced to the outbox (not committed)."""
    gitega = db_session.scalars(select(m.Province).where(m.Province.code == "BI-GI")).one()
    seller = make_seller(db_session, next(_keys), "BI-GI", vat=True)
    seller.nif = f"43{seller.id:08d}"
    buyer = m.Buyer(kind=m.BuyerKind.CONSUMER, name="Client Gitega", province_id=gitega.id)
    db_session.add(buyer)
    db_session.flush()
    order = make_order(
        db_session,
        buyer,
        seller,
        local(2026, 11, 20, 9, 30),
        [("savon", 1000, "3"), ("haricot-sec", 2900, "2")],
    )
    assert outbox.enqueue_invoice(db_session, order) is not None
    return order


def give_back(session, order, *lines: tuple[int, str]) -> m.Order:
    requests = [ReturnLineRequest(line_no, Decimal(quantity)) for line_no, quantity in lines]
    return return_goods(session, WRITER, order, requests, local(2026, 11, 22, 15, 0))


def messages(session, order_ids, kind=None) -> list[InvoiceMessage]:
    session.expire_all()
    query = select(InvoiceMessage).where(InvoiceMessage.order_id.in_(order_ids))
    if kind is not None:
        query = query.where(InvoiceMessage.kind == kind)
    return session.scalars(query.order_by(InvoiceMessage.id)).all()


def run(app, sandbox, wait_s: float = 10, **settings) -> dict:
    from console.extensions import db

    with EbmsClient(settings_for(sandbox, **settings)) as ebms:
        return drain(db.engine, ebms, FAST, wait_s=wait_s).outcomes


def test_a_return_writes_its_credit_note_in_the_same_transaction(app, db_session, sold):
    credit = give_back(db_session, sold, (1, "1"))
    (note,) = messages(db_session, [credit.id])
    assert note.kind == MessageKind.CREDIT_NOTE and note.state == MessageState.PENDING
    assert note.number == credit.reference and note.ref_number == sold.reference
    assert note.tax == -sum(line.tax for line in credit.lines) == 180  # credited, as stamped
    assert note.invoice_at == credit.placed_at and note.reason
    # Set-wise enqueueing (imports, demo) never invoices a return as a sale.
    assert outbox.enqueue_orders(db_session, sold.id, credit.id) == 0
    assert outbox.enqueue_invoice(db_session, credit) is None
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(InvoiceMessage)) == 0


def test_a_return_of_a_sale_never_invoiced_writes_no_credit_note(app, db_session, sold):
    db_session.delete(messages(db_session, [sold.id])[0])
    db_session.flush()
    credit = give_back(db_session, sold, (2, "1"))
    assert messages(db_session, [credit.id]) == []
    db_session.rollback()


def test_credit_note_waits_for_the_original_then_registers_against_it(app, db_session, sold, calm):
    first = give_back(db_session, sold, (1, "1"), (2, "0.5"))
    second = give_back(db_session, sold, (1, "2"))  # the rest of line 1: its stamp to zero
    db_session.commit()
    ids = [sold.id, first.id, second.id]
    calm.faults.update({"error_rate": 1})  # OBR fails: the invoice stays pending
    outcomes = run(app, calm, wait_s=0)
    invoice = messages(db_session, [sold.id])[0]
    notes = messages(db_session, ids, MessageKind.CREDIT_NOTE)
    assert set(outcomes) == {invoice.id}  # the credit notes were not even claimed
    assert all(n.attempts == 0 and n.identifier is None for n in notes) and len(notes) == 2
    calm.faults.update({"error_rate": 0})
    invoice.next_attempt_at = invoice.created_at  # due now
    db_session.commit()
    outcomes = run(app, calm)
    assert sorted(outcomes.values()) == ["registered"] * 3
    invoice, *notes = messages(db_session, ids)
    assert {msg.state for msg in [invoice, *notes]} == {MessageState.REGISTERED}
    for note, credit in zip(notes, (first, second), strict=True):
        held = calm.store.find(note.identifier)
        assert held["invoice_type"] == "FA" and held["invoice_ref"] == invoice.identifier
        assert held["cn_motif"] is None  # not cancelled
        assert held["invoice_number"] == credit.reference
        assert [(i["item_quantity"], i["vat"]) for i in held["invoice_items"]] == [
            (format(-line.quantity.normalize(), "f"), -line.tax) for line in credit.lines
        ]
        assert sum(i["vat"] for i in held["invoice_items"]) == note.tax
    stamped = db_session.scalar(
        select(func.sum(m.OrderLine.tax)).where(m.OrderLine.order_id.in_(ids))
    )
    registered = calm.store.find(invoice.identifier)
    net_at_obr = sum(i["vat"] for i in registered["invoice_items"]) - sum(n.tax for n in notes)
    assert net_at_obr == stamped  # what OBR holds net of credit notes, to the franc
    line_one = sold.lines[0].tax
    assert [sum(i["vat"] for i in calm.store.find(n.identifier)["invoice_items"]) for n in notes][
        1
    ] + 180 == line_one  # the whole line came back: its credits sum to its tax


def test_credit_note_of_a_refused_invoice_waits_for_its_resend(app, db_session, sold, calm):
    from console.services.ebms.transmission import resend

    credit = give_back(db_session, sold, (1, "1"))
    db_session.commit()
    calm.state.unknown_nifs.add(sold.seller.nif)
    outcomes = run(app, calm)
    invoice, note = messages(db_session, [sold.id, credit.id])
    assert list(outcomes.values()) == ["refused"] and invoice.state == MessageState.REFUSED
    assert note.state == MessageState.PENDING and note.attempts == 0
    calm.state.unknown_nifs.discard(sold.seller.nif)
    resend(db_session, invoice)
    db_session.commit()
    assert sorted(run(app, calm).values()) == ["registered", "registered"]
    invoice, note = messages(db_session, [sold.id, credit.id])
    assert calm.store.find(note.identifier)["invoice_ref"] == invoice.identifier
