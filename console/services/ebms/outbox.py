"""The eBMS outbox: write the invoice message of a sale in the transaction that stamps it.

Every stamping path calls one of these (the API's order creation, the orders import, the
demo seeding, the console); none commits: the caller's transaction carries the sale and its
message together, so a committed sale always has its message and a rolled-back one none.
Which sellers transmit is one rule, :func:`transmits` (and its set-wise twin).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import and_, exists, false, func, insert, literal, or_, select, true
from sqlalchemy.orm import Session

from console import models as m
from console.models.ebms import InvoiceMessage, MessageKind, MessageState
from console.models.types import UTCDateTime, utcnow
from console.services.sales import is_sale

RULE_ALL_WITH_NIF, RULE_VAT_ONLY = "nif", "vat"
CREDIT_NOTE_SUFFIX = "-AV"
RETURN_REASON = "Retour de marchandises"


def transmission_rule() -> str:
    """The configured rule (ISOKO_EBMS_TRANSMIT_SELLERS), "nif" outside an app."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config.get("EBMS_TRANSMIT_SELLERS") or RULE_ALL_WITH_NIF
    return RULE_ALL_WITH_NIF


def transmits(seller: m.Cooperative, rule: str | None = None) -> bool:
    """Whether this seller's invoices go to OBR: a NIF, then the override or the rule."""
    if not (seller.nif or "").strip():
        return False
    if seller.ebms_transmit is not None:
        return bool(seller.ebms_transmit)
    return (rule or transmission_rule()) != RULE_VAT_ONLY or bool(seller.vat_registered)


def transmits_clause(rule: str | None = None):
    """:func:`transmits` as a WHERE clause on Cooperative (for set-wise writes and counts)."""
    c = m.Cooperative
    by_rule = (
        true() if (rule or transmission_rule()) != RULE_VAT_ONLY else c.vat_registered.is_(True)
    )
    return and_(
        c.nif.is_not(None),
        func.trim(c.nif) != "",
        or_(c.ebms_transmit.is_(True), and_(c.ebms_transmit.is_(None), by_rule)),
    )


def _invoice_number(session: Session, order_id: int | None) -> str | None:
    """The number of the order's invoice (FN) in the outbox, None when it was never invoiced."""
    if order_id is None:
        return None
    return session.scalar(
        select(InvoiceMessage.number).where(
            InvoiceMessage.order_id == order_id, InvoiceMessage.kind == MessageKind.INVOICE
        )
    )


def _message(order: m.Order, kind: MessageKind, **fields) -> InvoiceMessage:
    """A new pending message of the order, due now (not yet in the session)."""
    now = utcnow()
    return InvoiceMessage(
        order=order,
        kind=kind,
        state=MessageState.PENDING,
        attempts=0,
        uncertain=False,
        next_attempt_at=now,
        **{"invoice_at": now, **fields},
    )


def _add(session: Session, order: m.Order, kind: MessageKind, **fields) -> InvoiceMessage:
    """A new pending message of the order, due now, added to the session."""
    message = _message(order, kind, **fields)
    session.add(message)
    return message


def invoice_message(session: Session, order: m.Order) -> InvoiceMessage | None:
    """The order's normal invoice (FN), not added to the session; None when nothing is to
    be sent (:func:`enqueue_invoice` adds it; the API's write path inserts it itself)."""
    seller = order.seller or session.get(m.Cooperative, order.seller_id)
    if order.returns_order_id is not None or not is_sale(order) or not transmits(seller):
        return None
    if _invoice_number(session, order.id) is not None:
        return None
    return _message(
        order,
        MessageKind.INVOICE,
        number=order.reference,
        invoice_at=order.placed_at,
        tax=sum(line.tax for line in order.lines),
    )


def enqueue_invoice(session: Session, order: m.Order) -> InvoiceMessage | None:
    """Add the order's normal invoice (FN) to the outbox; None when nothing is to be sent.

    Call it right after ``stamp_order``: the message's tax is the stamped lines' sum. A
    return of goods is not invoiced but credited (:func:`enqueue_return`).
    """
    message = invoice_message(session, order)
    if message is not None:
        session.add(message)
    return message


def enqueue_credit_note(
    session: Session, order: m.Order, lines: Sequence[m.OrderLine], reason: str
) -> InvoiceMessage | None:
    """Add a credit note (FA) for these stamped lines of an invoiced order, with its reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Le motif de l'avoir est obligatoire.")
    if not lines or any(line.order_id != order.id for line in lines):
        raise ValueError("L'avoir porte sur des lignes de cette commande.")
    if _invoice_number(session, order.id) is None:
        return None  # the sale was never invoiced to OBR: nothing to credit there
    issued = (
        session.scalar(
            select(func.count()).where(
                InvoiceMessage.order_id == order.id, InvoiceMessage.kind == MessageKind.CREDIT_NOTE
            )
        )
        or 0
    )
    return _add(
        session,
        order,
        MessageKind.CREDIT_NOTE,
        number=f"{order.reference}{CREDIT_NOTE_SUFFIX}{issued + 1}",
        ref_number=order.reference,
        reason=reason[:200],
        line_ids=sorted(line.id for line in lines),
        tax=sum(line.tax for line in lines),
    )


def enqueue_return(session: Session, credit: m.Order) -> InvoiceMessage | None:
    """Add the credit note (FA) of a return of goods (an order of its own, negative lines).

    Written in the return's transaction (``console.services.returns``). It carries the
    quantities returned and the tax credited: the return's stamp negated, never recomputed.
    It refers to the original sale's invoice and waits in the outbox until OBR has
    registered that invoice (the worker does not claim it before). None when the original
    sale was never invoiced to OBR.
    """
    if credit.returns_order_id is None:
        raise ValueError("Seul un retour de marchandises donne lieu à un avoir.")
    invoice = _invoice_number(session, credit.returns_order_id)
    if invoice is None:
        return None  # the sale was never invoiced to OBR: nothing to credit there
    return _add(
        session,
        credit,
        MessageKind.CREDIT_NOTE,
        number=credit.reference,
        invoice_at=credit.placed_at,
        ref_number=invoice,
        reason=RETURN_REASON,
        tax=-sum(line.tax for line in credit.lines),
    )


def enqueue_cancellation(session: Session, order: m.Order, reason: str) -> InvoiceMessage | None:
    """Ask OBR to cancel the order's registered invoice (sent once the invoice is registered)."""
    if _invoice_number(session, order.id) is None:
        return None
    return _add(
        session,
        order,
        MessageKind.CANCELLATION,
        number=order.reference,
        ref_number=order.reference,
        reason=(reason or "Annulation")[:200],
    )


def enqueue_orders(session: Session, first_id: int, last_id: int) -> int:
    """Set-wise :func:`enqueue_invoice` for the orders with ids in a range (imports)."""
    return _enqueue_where(session, m.Order.id.between(first_id, last_id))


def enqueue_placed_since(session: Session, since: dt.datetime) -> int:
    """Set-wise :func:`enqueue_invoice` for the orders placed since a moment (demo seeding)."""
    return _enqueue_where(session, m.Order.placed_at >= since)


def _enqueue_where(session: Session, condition) -> int:
    """Queue the FN message of every sale matching ``condition`` that transmits and has none."""
    o, mm = m.Order, InvoiceMessage
    now = literal(utcnow(), UTCDateTime())
    tax = (
        select(func.coalesce(func.sum(m.OrderLine.tax), 0))
        .where(m.OrderLine.order_id == o.id)
        .scalar_subquery()
    )
    rows = (
        select(
            o.id,
            literal(MessageKind.INVOICE.value),
            o.reference,
            o.placed_at,
            tax,
            literal(MessageState.PENDING.value),
            literal(0),
            now,
            false(),
            now,
        )
        .join(m.Cooperative, m.Cooperative.id == o.seller_id)
        .where(
            condition,
            is_sale(o),
            o.returns_order_id.is_(None),  # returns are credited (enqueue_return), not invoiced
            transmits_clause(),
            ~exists().where(mm.order_id == o.id, mm.kind == MessageKind.INVOICE),
        )
    )
    columns = [
        "order_id",
        "kind",
        "number",
        "invoice_at",
        "tax",
        "state",
        "attempts",
        "next_attempt_at",
        "uncertain",
        "created_at",
    ]
    # Counted through RETURNING: psycopg reports no rowcount for this INSERT … SELECT.
    written = session.execute(
        insert(mm.__table__).from_select(columns, rows).returning(mm.__table__.c.id)
    )
    return len(written.all())
