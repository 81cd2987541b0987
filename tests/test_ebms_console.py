"""The console's eBMS pages: refusals with « Renvoyer », scoping, the order's registration."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from console import models as m
from console.models.ebms import InvoiceMessage, MessageKind, MessageState

from .conftest import create_user, login
from .tax_data import local, make_order, make_seller


@pytest.fixture(scope="module")
def messages(app):
    """A refused invoice in Gitega, one in Ngozi, and a registered one in Gitega."""
    from console.extensions import db

    with app.app_context():
        session = db.session
        ids = {}
        for key, code in (("ǆ", "BI-GI"), ("Ǉ", "BI-NG")):
            seller = make_seller(session, key, code, vat=True)
            province = session.scalars(select(m.Province).where(m.Province.code == code)).one()
            buyer = m.Buyer(
                kind=m.BuyerKind.CONSUMER, name=f"Client {code}", province_id=province.id
            )
            session.add(buyer)
            session.flush()
            for state in (MessageState.REFUSED, MessageState.REGISTERED):
                order = make_order(
                    session, buyer, seller, local(2026, 11, 3), [("savon", 1000, "1")]
                )
                message = InvoiceMessage(
                    order=order,
                    kind=MessageKind.INVOICE,
                    number=order.reference,
                    invoice_at=order.placed_at,
                    tax=180,
                    state=state,
                    attempts=1,
                    uncertain=False,
                    next_attempt_at=order.placed_at,
                    identifier=f"{seller.nif}/ws1/20261103100000/{order.reference}",
                    payload={"tp_TIN": seller.nif, "invoice_number": order.reference},
                    last_message="Le NIF du contribuable est inconnu."
                    if state == MessageState.REFUSED
                    else "ok",
                    obr_number="7781" if state == MessageState.REGISTERED else None,
                    obr_registered_at=dt.datetime(2026, 11, 3, 8, 1, tzinfo=dt.UTC)
                    if state == MessageState.REGISTERED
                    else None,
                    obr_signature="abc123sig" if state == MessageState.REGISTERED else None,
                )
                session.add(message)
                session.flush()
                ids[code, state] = (message.id, order.id)
        session.commit()
    create_user(app, "ministere", "Ministère")
    create_user(app, "coord_gi", "Coordinateur provincial", ["BI-GI"])
    create_user(app, "auditeur", "Auditeur fiscal")
    return ids


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def test_refusals_list_shows_obr_message_and_says_transmission_is_off(app, messages):
    page = signed_in(app, "ministere").get("/obrrefusalview/list/").get_data(as_text=True)
    assert "Le NIF du contribuable est inconnu." in page
    assert (
        "Transmission à l&#39;OBR désactivée" in page or "Transmission à l'OBR désactivée" in page
    )
    refused_gi, _ = messages["BI-GI", MessageState.REFUSED]
    registered_gi, _ = messages["BI-GI", MessageState.REGISTERED]
    assert f"/obrrefusalview/show/{refused_gi}" in page
    assert f"/obrrefusalview/show/{registered_gi}" not in page
    shown = (
        signed_in(app, "ministere").get(f"/obrrefusalview/show/{refused_gi}").get_data(as_text=True)
    )
    assert "tp_TIN" in shown  # the fields sent


def test_coordinator_sees_own_province_refusals_only(app, messages):
    coordinator = signed_in(app, "coord_gi")
    own, _ = messages["BI-GI", MessageState.REFUSED]
    other, _ = messages["BI-NG", MessageState.REFUSED]
    assert coordinator.get(f"/obrrefusalview/show/{own}").status_code == 200
    assert coordinator.get(f"/obrrefusalview/show/{other}").status_code == 404
    refused = coordinator.post(
        "/obrrefusalview/action_post", data={"action": "resend", "rowid": [str(other)]}
    )
    assert refused.status_code == 404


def test_auditor_reads_but_cannot_resend(app, messages):
    from console.extensions import db

    auditor = signed_in(app, "auditeur")
    own, _ = messages["BI-GI", MessageState.REFUSED]
    assert auditor.get(f"/obrrefusalview/show/{own}").status_code == 200
    auditor.post("/obrrefusalview/action_post", data={"action": "resend", "rowid": [str(own)]})
    with app.app_context():
        assert db.session.get(InvoiceMessage, own).state == MessageState.REFUSED


def test_resend_puts_the_refusal_back_in_the_queue_rebuilt(app, messages):
    from console.extensions import db

    own, _ = messages["BI-GI", MessageState.REFUSED]
    response = signed_in(app, "coord_gi").post(
        "/obrrefusalview/action_post", data={"action": "resend", "rowid": [str(own)]}
    )
    assert response.status_code == 302
    with app.app_context():
        message = db.session.get(InvoiceMessage, own)
        assert (
            message.state == MessageState.PENDING
            and message.identifier is None
            and message.payload is None
        )
        events = db.session.scalars(
            select(m.AuditEvent).where(
                m.AuditEvent.table_name == "ebms_message", m.AuditEvent.row_id == own
            )
        ).all()
        assert any(e.username == "coord_gi" and e.action == "update" for e in events)


def test_order_page_shows_obr_number_date_and_signature(app, messages):
    _, order_id = messages["BI-GI", MessageState.REGISTERED]
    page = signed_in(app, "auditeur").get(f"/orderview/show/{order_id}").get_data(as_text=True)
    assert "N° 7781 du 03/11/2026 10:01" in page and "abc123sig" in page


def test_check_tin_action_asks_obr_now_and_keeps_the_answer(app, messages):
    from console.ebms.sandbox import EbmsSandbox
    from console.extensions import db
    from console.services.ebms.tin import latest_check

    _, order_id = messages["BI-GI", MessageState.REGISTERED]
    with app.app_context():
        seller_id = db.session.get(m.Order, order_id).seller_id
    with EbmsSandbox(username="ws1", password="pw") as sandbox:
        app.config.update(EBMS_BASE_URL=sandbox.url, EBMS_USERNAME="ws1", EBMS_PASSWORD="pw")
        try:
            nif = "4300000001"
            with app.app_context():
                db.session.get(m.Cooperative, seller_id).nif = nif
                db.session.commit()
            sandbox.store.add_taxpayers({nif: "COOPERATIVE DUKORE"})
            page = (
                signed_in(app, "coord_gi")
                .post(f"/cooperativeview/action/check_tin/{seller_id}", follow_redirects=True)
                .get_data(as_text=True)
            )
            assert "COOPERATIVE DUKORE" in page
            with app.app_context():
                check = latest_check(db.session, seller_id)
                assert check.known is True and check.nif == nif
            denied = signed_in(app, "auditeur").post(
                f"/cooperativeview/action/check_tin/{seller_id}"
            )
            assert denied.status_code in (302, 403, 404)
            with app.app_context():
                assert latest_check(db.session, seller_id).id == check.id
        finally:
            app.config.update(EBMS_BASE_URL=None, EBMS_USERNAME=None, EBMS_PASSWORD=None)
