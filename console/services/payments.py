"""Payments of orders: the rules every writer of a payment obeys (API, importers, console).

:func:`payment_refusals` is the one owner of the rules (a cancelled order takes no
payment, nothing beyond what is still due, a positive whole amount, not before the
sale nor in the future); :func:`record_payment` applies them and writes the payment with
the tax it collects (:func:`payment_tax`). The integration API calls :func:`record_payment`;
the payments importer (importers.datasets.payments), which checks a whole file before
writing, calls the same pieces: :func:`amounts_due`, :func:`paid_by_order`,
:func:`payment_refusals`, :func:`payment_tax`, :func:`settle_if_paid` and :data:`METHODS`.

The tax a payment collects: after each payment, the order's collected tax is its tax in
proportion to what has been paid, ``half_up(paid × tax / gross)`` (the one rounding), so
that the payment completing the order collects exactly the tax stamped on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.models.types import utcnow
from console.services.money import format_francs, half_up_div
from console.services.refusals import CONFLICT, INVALID, Refusal, Refused
from console.services.sales import is_sale

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


def amounts_due(session: Session, order_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(gross, tax) the buyer owes for each order: its lines, less the goods returned since."""
    ids = list(order_ids)
    owner = func.coalesce(m.Order.returns_order_id, m.Order.id)
    rows = session.execute(
        select(
            owner,
            func.coalesce(func.sum(m.OrderLine.gross), 0),
            func.coalesce(func.sum(m.OrderLine.tax), 0),
        )
        .join(m.OrderLine, m.OrderLine.order_id == m.Order.id)
        .where(m.Order.id.in_(ids) | m.Order.returns_order_id.in_(ids))
        .group_by(owner)
    )
    return {order_id: (int(gross), int(tax)) for order_id, gross, tax in rows}


def order_amounts(session: Session, order: m.Order) -> tuple[int, int]:
    """(gross, tax) the buyer owes for an order: its lines, less the goods returned since."""
    return amounts_due(session, [order.id]).get(order.id, (0, 0))


def paid_by_order(
    session: Session, order_ids: Iterable[int], excluding: Iterable[int] = ()
) -> dict[int, tuple[int, int]]:
    """(amount, tax) already paid on each order, leaving out the payments ``excluding`` (ids)."""
    query = (
        select(m.Payment.order_id, func.sum(m.Payment.amount), func.sum(m.Payment.tax_amount))
        .where(m.Payment.order_id.in_(list(order_ids)))
        .group_by(m.Payment.order_id)
    )
    excluded = list(excluding)
    if excluded:
        query = query.where(m.Payment.id.not_in(excluded))
    return {
        order_id: (int(amount or 0), int(tax or 0))
        for order_id, amount, tax in session.execute(query)
    }


def paid_so_far(session: Session, order: m.Order) -> tuple[int, int]:
    """(amount, tax) already paid on an order."""
    return paid_by_order(session, [order.id]).get(order.id, (0, 0))


def payment_tax(*, owed: int, owed_tax: int, paid: int, paid_tax: int, amount: int) -> int:
    """The tax a payment of ``amount`` collects, after ``paid`` francs that collected ``paid_tax``.

    The order's collected tax is kept at ``half_up((paid + amount) × tax / gross)``, so the
    payments' taxes add up to the order's tax once it is settled, whatever their order.
    """
    collected = half_up_div((paid + amount) * owed_tax, owed) if owed > 0 else 0
    return collected - paid_tax


def settle_if_paid(order: m.Order, *, owed: int, paid: int) -> bool:
    """Mark a placed order paid once its payments reach what it owes; True when it changed."""
    if paid == owed and order.status == m.OrderStatus.PLACED:
        order.status = m.OrderStatus.PAID
        return True
    return False


def order_refusals(order: m.Order) -> list[Refusal]:
    """The reasons an order takes no payment at all, whatever its amount and date."""
    refusals: list[Refusal] = []
    if not is_sale(order):
        refusals.append(
            Refusal(
                "order",
                order.reference,
                f"La commande {order.reference} est annulée : elle ne peut plus recevoir de paiement.",
            )
        )
    if order.returns_order_id is not None:
        refusals.append(
            Refusal(
                "order",
                order.reference,
                f"{order.reference} est un retour de marchandises, pas une commande à payer.",
            )
        )
    return refusals


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
    refusals = order_refusals(order)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        refusals.append(
            Refusal(
                "amount", amount, "Le montant doit être un nombre entier de francs supérieur à 0."
            )
        )
    elif amount > owed - already_paid:
        refusals.append(
            Refusal(
                "amount",
                amount,
                f"Le paiement de {format_francs(amount)} dépasse le reste à payer de la commande "
                f"{order.reference} ({format_francs(max(owed - already_paid, 0))}).",
            )
        )
    if paid_at > (now or utcnow()) + dt.timedelta(minutes=5):
        refusals.append(
            Refusal("paid_at", paid_at.isoformat(), "La date de paiement est dans le futur.")
        )
    if paid_at < order.placed_at:
        refusals.append(
            Refusal(
                "paid_at",
                paid_at.isoformat(),
                "La date de paiement précède la date de la commande.",
            )
        )
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
        raise Refused(
            [
                Refusal(
                    "reference",
                    reference,
                    f"La référence de paiement « {reference} » est déjà enregistrée.",
                )
            ],
            CONFLICT,
        )
    owed, owed_tax = order_amounts(session, order)
    paid, paid_tax = paid_so_far(session, order)
    refusals = payment_refusals(order, amount=amount, paid_at=paid_at, owed=owed, already_paid=paid)
    if refusals:
        kind = CONFLICT if any(r.field == "order" for r in refusals) else INVALID
        raise Refused(refusals, kind)
    tax = payment_tax(owed=owed, owed_tax=owed_tax, paid=paid, paid_tax=paid_tax, amount=amount)
    payment = m.Payment(
        order_id=order.id,
        paid_at=paid_at,
        amount=amount,
        tax_amount=tax,
        method=method,
        reference=reference,
    )
    session.add(payment)
    settle_if_paid(order, owed=owed, paid=paid + amount)
    session.flush()
    return payment
