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


def enqueue_invoice(session: Session, order: m.Order) -> InvoiceMessage | None:
    """Add the order's normal invoice (FN) to the outbox; None when nothing is to be sent.

    Call it right after ``stamp_order``: the message's tax is the stamped lines' sum.
    """
    seller = order.seller or session.get(m.Cooperative, order.seller_id)
    if not is_sale(order) or not transmits(seller):
        return None
    if order.id is not None and session.scalar(
        select(InvoiceMessage.id).where(
            InvoiceMessage.order_id == order.id, InvoiceMessage.kind == MessageKind.INVOICE
        )
    ):
        return None
    message = InvoiceMessage(
        order=order,
        kind=MessageKind.INVOICE,
        number=order.reference,
        invoice_at=order.placed_at,
        tax=sum(line.tax for line in order.lines),
        state=MessageState.PENDING,
        attempts=0,
        uncertain=False,
        next_attempt_at=utcnow(),
    )
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
    if not session.scalar(
        select(InvoiceMessage.id).where(
            InvoiceMessage.order_id == order.id, InvoiceMessage.kind == MessageKind.INVOICE
        )
    ):
        return None  # the sale was never invoiced to OBR: nothing to credit there
    issued = (
        session.scalar(
            select(func.count()).where(
                InvoiceMessage.order_id == order.id, InvoiceMessage.kind == MessageKind.CREDIT_NOTE
            )
        )
        or 0
    )
    now = utcnow()
    message = InvoiceMessage(
        order=order,
        kind=MessageKind.CREDIT_NOTE,
        number=f"{order.reference}{CREDIT_NOTE_SUFFIX}{issued + 1}",
        invoice_at=now,
        ref_number=order.reference,
        reason=reason[:200],
        line_ids=sorted(line.id for line in lines),
        tax=sum(line.tax for line in lines),
        state=MessageState.PENDING,
        attempts=0,
        uncertain=False,
        next_attempt_at=now,
    )
    session.add(message)
    return message


def enqueue_cancellation(session: Session, order: m.Order, reason: str) -> InvoiceMessage | None:
    """Ask OBR to cancel the order's registered invoice (sent once the invoice is registered)."""
    if not session.scalar(
        select(InvoiceMessage.id).where(
            InvoiceMessage.order_id == order.id, InvoiceMessage.kind == MessageKind.INVOICE
        )
    ):
        return None
    now = utcnow()
    message = InvoiceMessage(
        order=order,
        kind=MessageKind.CANCELLATION,
        number=order.reference,
        invoice_at=now,
        ref_number=order.reference,
        reason=(reason or "Annulation")[:200],
        state=MessageState.PENDING,
        attempts=0,
        uncertain=False,
        next_attempt_at=now,
    )
    session.add(message)
    return message


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
