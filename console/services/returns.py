"""Returns of goods: an order of their own whose negative lines undo what the sale stamped.

A return is dated when the goods come back (it counts in that day's and month's sales,
like a credit note, eBMS type FA) and references the original order and each original
line. Its tax is **never recomputed at today's rates**: each returned line takes the
original line's rule, rate and note, and its amounts are the original stamp in
proportion to the quantity returned, ``half_up(−stamp × returned ÷ sold)`` for the
gross and the tax (the one rounding, away from zero), the net being their difference.
When a return brings a line's returned quantity to all of it, the return takes exactly
what is left of the line's stamp, so a line and its returns always sum to zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.models.types import utcnow
from console.services.ebms.outbox import enqueue_return
from console.services.money import half_up_div
from console.services.orders import (
    FUTURE_SKEW,
    ReturnLineRequest,
    Writer,
    mark_day_changed,
    returned_quantities,
)
from console.services.refusals import CONFLICT, Refusal, Refused, refuse
from console.services.sales import is_sale
from console.services.tax.stamping import thousandths


def _stamp_returned(line: m.OrderLine, quantity: Decimal) -> tuple[int, int, int]:
    """(net, tax, gross) of returning ``quantity`` of ``line``: its stamp pro rata, negated."""
    returned, sold = thousandths(quantity), thousandths(line.quantity)
    gross = half_up_div(-line.gross * returned, sold)
    tax = half_up_div(-line.tax * returned, sold)
    return gross - tax, tax, gross


def _left_of(session: Session, line: m.OrderLine) -> tuple[int, int, int]:
    """The negative of what is left of a line's stamp once its earlier returns are counted."""
    net, tax, gross = session.execute(
        select(
            func.coalesce(func.sum(m.OrderLine.net), 0),
            func.coalesce(func.sum(m.OrderLine.tax), 0),
            func.coalesce(func.sum(m.OrderLine.gross), 0),
        ).where((m.OrderLine.id == line.id) | (m.OrderLine.returns_line_id == line.id))
    ).one()
    return -int(net), -int(tax), -int(gross)


def return_goods(
    session: Session,
    writer: Writer,
    order: m.Order,
    lines: Sequence[ReturnLineRequest],
    returned_at: dt.datetime,
    now: dt.datetime | None = None,
) -> m.Order:
    """Write the return of some quantities of an order's lines; flushes, never commits."""
    now = now or utcnow()
    if not is_sale(order):
        raise refuse(
            "order_id",
            order.id,
            "Une commande annulée n'a pas de marchandises à retourner.",
            CONFLICT,
        )
    if order.returns_order_id is not None:
        raise refuse("order_id", order.id, "On ne retourne pas un retour.", CONFLICT)
    refusals: list[Refusal] = []
    if returned_at > now + FUTURE_SKEW:
        refusals.append(
            Refusal("returned_at", returned_at.isoformat(), "La date du retour est dans le futur.")
        )
    if returned_at < order.placed_at:
        refusals.append(
            Refusal("returned_at", returned_at.isoformat(), "Le retour précède la vente.")
        )
    if not lines:
        refusals.append(Refusal("lines", [], "Indiquez au moins une ligne à retourner."))
    by_no = {line.line_no: line for line in order.lines}
    already = returned_quantities(session, order)
    asked: dict[int, Decimal] = {}
    for i, request in enumerate(lines):
        original = by_no.get(request.line_no)
        if original is None:
            refusals.append(
                Refusal(
                    f"lines.{i}.line_no",
                    request.line_no,
                    "Cette ligne n'existe pas dans la commande.",
                )
            )
            continue
        asked[original.id] = asked.get(original.id, Decimal(0)) + request.quantity
        left = original.quantity - already.get(original.id, Decimal(0))
        if request.quantity <= 0 or request.quantity != request.quantity.quantize(Decimal("0.001")):
            refusals.append(
                Refusal(
                    f"lines.{i}.quantity",
                    str(request.quantity),
                    "La quantité retournée est positive, à 3 décimales au plus.",
                )
            )
        elif asked[original.id] > left:
            refusals.append(
                Refusal(
                    f"lines.{i}.quantity",
                    str(request.quantity),
                    f"On ne peut retourner plus que la quantité vendue non encore retournée ({left}).",
                )
            )
    if refusals:
        raise Refused(refusals)
    count = session.scalar(select(func.count()).where(m.Order.returns_order_id == order.id)) or 0
    credit = m.Order(
        reference=f"{order.reference}-R{count + 1}",
        buyer_id=order.buyer_id,
        seller_id=order.seller_id,
        placed_at=returned_at,
        status=m.OrderStatus.PLACED,
        is_export=order.is_export,
        payment_method=order.payment_method,
        prices_include_tax=order.prices_include_tax,
        returns_order_id=order.id,
        api_client_id=writer.client_id,
    )
    for number, (line_id, quantity) in enumerate(asked.items(), start=1):
        original = next(li for li in order.lines if li.id == line_id)
        whole = quantity == original.quantity - already.get(line_id, Decimal(0))
        net, tax, gross = (
            _left_of(session, original) if whole else _stamp_returned(original, quantity)
        )
        credit.lines.append(
            m.OrderLine(
                line_no=number,
                product_id=original.product_id,
                listing_id=original.listing_id,
                quantity=-quantity,
                unit_price=original.unit_price,
                net=net,
                tax=tax,
                gross=gross,
                tax_rule_id=original.tax_rule_id,
                tax_rate=original.tax_rate,
                tax_note=original.tax_note,
                returns_line_id=original.id,
            )
        )
    session.add(credit)
    enqueue_return(session, credit)  # OBR eBMS: the credit note (FA), same transaction
    mark_day_changed(session, returned_at)
    session.flush()
    return credit
