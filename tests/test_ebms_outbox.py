"""The eBMS outbox: written with the sale, drained exactly once against a real sandbox."""
# ruff: noqa: F811  (the eBMS fixtures are imported from tests/ebms_support.py)

from __future__ import annotations

import random
import time

import pytest
from sqlalchemy import func, select

from console import models as m
from console.ebms.client import EbmsClient
from console.models.ebms import InvoiceMessage, MessageKind, MessageState
from console.services.ebms import outbox as outbox
from console.services.ebms.transmission import RetryPolicy, drain, resend, transmit

from .ebms_support import SYSTEM_ID, calm, sandbox, settings_for  # noqa: F401
from .tax_data import local, make_order, make_seller

FAST = RetryPolicy(base_s=0.05, cap_s=0.2, lease_s=30)
_keys = (chr(c) for c in range(0x100, 0x400))  # one-letter seller keys (tests/tax_data.py)


@pytest.fixture
def world(db_session):
    """A VAT-registered seller with a NIF, one without VAT, one without NIF, and a buyer."""
    gitega = db_session.scalars(select(m.Province).where(m.Province.code == "BI-GI")).one()
    vat = make_seller(db_session, next(_keys), "BI-GI", vat=True)
    plain = make_seller(db_session, next(_keys), "BI-GI", vat=False)
    no_nif = make_seller(db_session, next(_keys), "BI-GI", vat=True)
    no_nif.nif = None
    for seller in (vat, plain):
        seller.nif = f"41{seller.id:08d}"  # OBR's NIFs have ten digits
    buyer = m.Buyer(kind=m.BuyerKind.CONSUMER, name="Client Gitega", province_id=gitega.id)
    db_session.add(buyer)
    db_session.flush()
    return vat, plain, no_nif, buyer


def sale(session, seller, buyer, lines=(("savon", 1000, "3"), ("haricot-sec", 2900, "2"))):
    order = make_order(session, buyer, seller, local(2026, 11, 20, 9, 30), list(lines))
    return order, outbox.enqueue_invoice(session, order)


def message_of(session, order, kind=MessageKind.INVOICE) -> InvoiceMessage:
    session.expire_all()
    return session.scalars(
        select(InvoiceMessage).where(
            InvoiceMessage.order_id == order.id, InvoiceMessage.kind == kind
        )
    ).one()


def run(app, sandbox, wait_s: float = 10, policy: RetryPolicy = FAST, **settings) -> dict:
    """Drain the outbox into the sandbox; each message's outcome."""
    from console.extensions import db

    with EbmsClient(settings_for(sandbox, **settings)) as ebms:
        return drain(db.engine, ebms, policy, wait_s=wait_s).outcomes


def test_invoice_message_is_written_with_the_sale_and_only_for_transmitting_sellers(
    app, db_session, world
):
    vat, plain, no_nif, buyer = world
    order, message = sale(db_session, vat, buyer)
    assert message is not None and message.tax == sum(line.tax for line in order.lines) == 540 + 580
    assert sale(db_session, plain, buyer)[1] is not None  # rule "nif": every seller with a NIF
    assert sale(db_session, no_nif, buyer)[1] is None
    app.config["EBMS_TRANSMIT_SELLERS"] = "vat"
    try:
        assert sale(db_session, plain, buyer)[1] is None
        plain.ebms_transmit = True  # an administrator's override wins over the rule
        assert sale(db_session, plain, buyer)[1] is not None
    finally:
        app.config["EBMS_TRANSMIT_SELLERS"] = "nif"
    db_session.rollback()
    assert (
        db_session.scalar(select(func.count()).select_from(InvoiceMessage)) == 0
    )  # same transaction


def test_set_wise_enqueue_matches_the_per_order_rule_and_is_idempotent(app, db_session, world):
    vat, plain, no_nif, buyer = world
    orders = [
        make_order(db_session, buyer, seller, local(2026, 11, 21), [("savon", 1000, "1")])
        for seller in (vat, plain, no_nif)
    ]
    cancelled = make_order(
        db_session,
        buyer,
        vat,
        local(2026, 11, 21),
        [("savon", 1000, "1")],
        status=m.OrderStatus.CANCELLED,
    )
    ids = [o.id for o in [*orders, cancelled]]
    assert outbox.enqueue_orders(db_session, min(ids), max(ids)) == 2
    assert outbox.enqueue_orders(db_session, min(ids), max(ids)) == 0
    queued = set(
        db_session.scalars(select(InvoiceMessage.order_id).where(InvoiceMessage.order_id.in_(ids)))
    )
    assert queued == {orders[0].id, orders[1].id}
    db_session.rollback()


def test_drain_registers_each_invoice_once_with_the_stamped_figures(app, db_session, world, calm):
    vat, _, _, buyer = world
    order, _ = sale(db_session, vat, buyer)
    db_session.commit()
    run(app, calm)
    message = message_of(db_session, order)
    assert message.state == MessageState.REGISTERED and message.attempts == 1, message.last_message
    assert message.obr_number and message.obr_signature and message.obr_registered_at
    registered = calm.store.find(message.identifier)
    assert (
        registered["invoice_identifier"]
        == f"{vat.nif}/ws400000000000/20261120093000/{order.reference}"
    )
    stamped = [(line.net, line.tax, line.gross) for line in order.lines]
    sent = [
        (i["item_price_nvat"], i["vat"], i["item_price_wvat"]) for i in registered["invoice_items"]
    ]
    assert sent == stamped
    events = db_session.scalars(
        select(m.AuditEvent).where(
            m.AuditEvent.table_name == "ebms_message",
            m.AuditEvent.row_id == message.id,
            m.AuditEvent.action == "transmit",
        )
    ).all()
    assert [e.changes["outcome"] for e in events] == ["registered"]


def test_timeout_after_the_write_is_settled_by_get_invoice_without_a_second_invoice(
    app, db_session, world, calm
):
    vat, _, _, buyer = world
    order, _ = sale(db_session, vat, buyer)
    db_session.commit()
    calls = calm.state.calls.get("addInvoice", 0)
    calm.faults.update({"timeout_after_write_rate": 1, "hang_ms": 3000})
    run(app, calm, wait_s=0, policy=RetryPolicy(base_s=60, cap_s=60))
    message = message_of(db_session, order)
    assert (
        message.uncertain and message.state == MessageState.PENDING and message.last_status is None
    )
    calm.faults.update({"timeout_after_write_rate": 0})
    message.next_attempt_at = message.created_at  # due now
    db_session.commit()
    assert list(run(app, calm).values()) == ["found"]
    message = message_of(db_session, order)
    assert message.state == MessageState.REGISTERED and message.obr_number
    assert calm.state.calls.get("addInvoice", 0) == calls + 1  # never sent a second time
    assert calm.store.stats()["invoices"] == calm.store.stats()["distinct_identifiers"]


def test_duplicate_refusal_is_settled_through_get_invoice(app, db_session, world, calm):
    vat, _, _, buyer = world
    order, _ = sale(db_session, vat, buyer)
    db_session.commit()
    run(app, calm)
    message = message_of(db_session, order)
    first_number = message.obr_number
    # A worker killed after OBR registered it but before the commit: the row is still pending.
    message.state, message.uncertain, message.obr_number = MessageState.PENDING, False, None
    db_session.commit()
    assert list(run(app, calm).values()) == ["duplicate"]
    message = message_of(db_session, order)
    assert message.state == MessageState.REGISTERED and message.obr_number == first_number


def test_transient_failures_retry_with_back_off_until_registered(app, db_session, world, calm):
    vat, _, _, buyer = world
    order, _ = sale(db_session, vat, buyer)
    db_session.commit()
    calm.faults.update({"error_rate": 1})
    try:
        # Drain until the message has failed twice: how many sends fit in a given time
        # depends on the machine's load, so the test waits on attempts, not on the clock.
        deadline = time.monotonic() + 60
        while message_of(db_session, order).attempts < 2 and time.monotonic() < deadline:
            run(app, calm, wait_s=0.3)
        message = message_of(db_session, order)
        assert message.state == MessageState.PENDING and message.attempts >= 2
        assert message.next_attempt_at > message.created_at and message.last_status == 500
    finally:
        calm.faults.update({"error_rate": 0})
    run(app, calm)
    assert message_of(db_session, order).state == MessageState.REGISTERED


def test_back_off_grows_exponentially_with_jitter_and_a_cap():
    policy, rng = RetryPolicy(base_s=2, cap_s=60), random.Random(1)
    delays = [policy.delay_s(n, rng) for n in range(1, 10)]
    assert 1 <= delays[0] <= 2 and 4 <= delays[2] <= 8 and all(30 <= d <= 60 for d in delays[6:])
    assert len({round(policy.delay_s(3, rng), 6) for _ in range(5)}) == 5


def test_business_refusal_is_not_retried_and_resend_after_correction_registers(
    app, db_session, world, calm
):
    vat, _, _, buyer = world
    order, _ = sale(db_session, vat, buyer)
    db_session.commit()
    calm.state.unknown_nifs.add(vat.nif)
    assert list(run(app, calm).values()) == ["refused"]
    message = message_of(db_session, order)
    assert message.state == MessageState.REFUSED and "inconnu" in message.last_message
    assert message.payload["tp_TIN"] == vat.nif  # the fields sent are kept
    assert run(app, calm) == {}  # not retried
    seller = db_session.get(m.Cooperative, vat.id)
    seller.nif = "4000000999"  # the seller's record is corrected
    resend(db_session, message)
    db_session.commit()
    assert list(run(app, calm).values()) == ["registered"]
    message = message_of(db_session, order)
    assert message.identifier.startswith("4000000999/") and message.state == MessageState.REGISTERED


def test_expired_token_mid_drain_is_renewed(app, db_session, world, calm):
    vat, _, _, buyer = world
    orders = [sale(db_session, vat, buyer)[0] for _ in range(6)]
    db_session.commit()
    calm.faults.update({"token_lifetime_s": 0.15, "latency_ms": 30})
    outcomes = run(app, calm, parallelism=3)
    assert sorted(set(outcomes.values())) == ["registered"] and len(outcomes) == 6
    assert all(message_of(db_session, o).state == MessageState.REGISTERED for o in orders)


def test_credit_note_and_cancellation_follow_the_registered_invoice(app, db_session, world, calm):
    vat, _, _, buyer = world
    order, _ = sale(db_session, vat, buyer)
    db_session.flush()
    with pytest.raises(ValueError, match="motif"):
        outbox.enqueue_credit_note(db_session, order, order.lines[:1], " ")
    credit = outbox.enqueue_credit_note(db_session, order, order.lines[:1], "Retour de marchandise")
    cancel = outbox.enqueue_cancellation(db_session, order, "Commande annulée")
    assert credit.number == f"{order.reference}-AV1" and credit.tax == order.lines[0].tax
    db_session.commit()
    run(app, calm)
    invoice = message_of(db_session, order)
    credit = message_of(db_session, order, MessageKind.CREDIT_NOTE)
    cancel = message_of(db_session, order, MessageKind.CANCELLATION)
    assert {invoice.state, credit.state, cancel.state} == {MessageState.REGISTERED}
    registered = calm.store.find(credit.identifier)
    assert registered["invoice_type"] == "FA" and registered["invoice_ref"] == invoice.identifier
    assert [i["vat"] for i in registered["invoice_items"]] == [order.lines[0].tax]
    assert calm.store.find(invoice.identifier)["cancelled"] is True


def test_a_claimed_message_is_not_sent_twice_by_two_workers(app, db_session, world, calm):
    from console.services.ebms.transmission import claim

    vat, _, _, buyer = world
    sale(db_session, vat, buyer)
    db_session.commit()
    first = claim(db_session, 100, FAST, SYSTEM_ID)
    second = claim(db_session, 100, FAST, SYSTEM_ID)
    assert first and not {job.id for job in first} & {job.id for job in second}
    with EbmsClient(settings_for(calm)) as ebms:
        outcomes = {transmit(db_session, ebms, job, FAST) for job in first}
    assert outcomes == {"registered"}


def test_nif_entered_is_checked_with_obr_by_the_next_drain(app, db_session, world, calm):
    from console.services.ebms.tin import latest_check

    vat, plain, _, _ = world
    db_session.commit()
    assert latest_check(db_session, vat.id).known is None  # queued with the change
    calm.state.unknown_nifs.add(plain.nif)
    run(app, calm)
    db_session.expire_all()
    known, unknown = latest_check(db_session, vat.id), latest_check(db_session, plain.id)
    assert known.known is True and known.obr_name and known.nif == vat.nif
    assert unknown.known is False and "inconnu" in unknown.message
    assert "Inconnu de l'OBR" in db_session.get(m.Cooperative, plain.id).obr_tin_check()
