"""Payments of orders: the rules every writer of a payment obeys (API, importers, console).

:func:`payment_refusals` is the one owner of the rules (a cancelled order takes no
payment, nothing beyond what is still due, a positive whole amount, not before the
sale nor in the future); :func:`record_payment` applies them and writes the payment with
the tax it collects. Both the integration API and the payments importer call them.

The tax a payment collects: after each payment, the order's collected tax is its tax in
proportion to what has been paid, ``half_up(paid × tax / gross)`` (the one rounding), so
that the payment completing the order collects exactly the tax stamped on it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.models.types import utcnow
from console.services.money import format_francs, half_up_div
from console.services.refusals import CONFLICT, INVALID, Refusal, Refused

# Mobile money (Lumicash, EcoCash…) is eBMS payment type 4 « other » (EBMS.md: the
# mapping of mobile money is unconfirmed, so it lives here, in one place).
METHODS = {
    "especes": m.PaymentMethod.CASH,
    "banque": m.PaymentMethod.BANK,
    "credit": m.PaymentMethod.CREDIT,
    "mobile_money": m.PaymentMethod.OTHER,
    "lumicash": m.PaymentMethod.OTHER,
    "ecocash": m.PaymentMethod.OTHER,
    "autre": m.PaymentMethod.OTHER,
}


def order_amounts(session: Session, order: m.Order) -> tuple[int, int]:
    """(gross, tax) the buyer owes for an order: its lines, less the goods returned since."""
    orders = select(m.Order.id).where(
        (m.Order.id == order.id) | (m.Order.returns_order_id == order.id)
    )
    gross, tax = session.execute(
        select(func.coalesce(func.sum(m.OrderLine.gross), 0), func.coalesce(func.sum(m.OrderLine.tax), 0))
        .where(m.OrderLine.order_id.in_(orders))
    ).one()
    return int(gross), int(tax)


def paid_so_far(session: Session, order: m.Order) -> tuple[int, int]:
    """(amount, tax) already paid on an order."""
    amount, tax = session.execute(
        select(func.coalesce(func.sum(m.Payment.amount), 0), func.coalesce(func.sum(m.Payment.tax_amount), 0))
        .where(m.Payment.order_id == order.id)
    ).one()
    return int(amount), int(tax)


def payment_refusals(
    order: m.Order,
    *,
    amount: int,
    paid_at: dt.datetime,
    owed: int,
    already_paid: int,
    now: dt.datetime | None = None,
) -> list[Refusal]:
    """Every reason this payment cannot be recorded on this order (empty when it can)."""
    refusals: list[Refusal] = []
    if order.status == m.OrderStatus.CANCELLED:
        refusals.append(Refusal("order", order.reference,
                                f"La commande {order.reference} est annulée : elle ne peut plus recevoir de paiement."))
    if order.returns_order_id is not None:
        refusals.append(Refusal("order", order.reference,
                                f"{order.reference} est un retour de marchandises, pas une commande à payer."))
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        refusals.append(Refusal("amount", amount, "Le montant doit être un nombre entier de francs supérieur à 0."))
    elif amount > owed - already_paid:
        refusals.append(Refusal(
            "amount", amount,
            f"Le paiement de {format_francs(amount)} dépasse le reste à payer de la commande "
            f"{order.reference} ({format_francs(max(owed - already_paid, 0))}).",
        ))
    if paid_at > (now or utcnow()) + dt.timedelta(minutes=5):
        refusals.append(Refusal("paid_at", paid_at.isoformat(), "La date de paiement est dans le futur."))
    if paid_at < order.placed_at:
        refusals.append(Refusal("paid_at", paid_at.isoformat(),
                                "La date de paiement précède la date de la commande."))
    return refusals


def record_payment(
    session: Session,
    order: m.Order,
    *,
    amount: int,
    method: m.PaymentMethod,
    paid_at: dt.datetime,
    reference: str | None,
) -> m.Payment:
    """Check the rules, then write the payment and its tax; marks the order paid when settled.

    Locks the order row first (PostgreSQL), so two concurrent payments cannot both pass
    the over-payment check. Raises :class:`Refused`; flushes, never commits.
    """
    session.execute(select(m.Order.id).where(m.Order.id == order.id).with_for_update())
    if reference and session.scalar(select(m.Payment.id).where(m.Payment.reference == reference)):
        raise Refused([Refusal("reference", reference,
                               f"La référence de paiement « {reference} » est déjà enregistrée.")], CONFLICT)
    owed, owed_tax = order_amounts(session, order)
    paid, paid_tax = paid_so_far(session, order)
    refusals = payment_refusals(order, amount=amount, paid_at=paid_at, owed=owed, already_paid=paid)
    if refusals:
        kind = CONFLICT if any(r.field == "order" for r in refusals) else INVALID
        raise Refused(refusals, kind)
    collected = half_up_div((paid + amount) * owed_tax, owed) if owed > 0 else 0
    payment = m.Payment(order_id=order.id, paid_at=paid_at, amount=amount, tax_amount=collected - paid_tax,
                        method=method, reference=reference)
    session.add(payment)
    if paid + amount == owed and order.status == m.OrderStatus.PLACED:
        order.status = m.OrderStatus.PAID
    session.flush()
    return payment
