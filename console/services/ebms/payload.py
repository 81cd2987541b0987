"""The fields of an eBMS invoice, built from the order's stamped lines (never recomputed)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from console import models as m
from console.ebms.interface import DATE_FORMAT, invoice_identifier
from console.models.ebms import InvoiceMessage, MessageKind
from console.services.periods import BUJUMBURA

CURRENCY = "BIF"
# OBR's tax centres: DGC large, DMC medium, DPMC small and micro taxpayers. The platform's
# cooperatives are small; a seller-level field can refine this when OBR asks for it.
FISCAL_CENTRE = "DPMC"
LEGAL_FORMS = {
    m.SellerKind.COOPERATIVE: "Société coopérative",
    m.SellerKind.ENTREPRENEUR: "Entreprise individuelle",
}
TP_TYPES = {
    m.SellerKind.COOPERATIVE: "2",
    m.SellerKind.ENTREPRENEUR: "1",
}  # 2 legal, 1 natural person


def local_invoice_time(moment: dt.datetime) -> dt.datetime:
    """The invoice's Bujumbura time, to the second (what invoice_date and the identifier carry)."""
    return moment.astimezone(BUJUMBURA).replace(microsecond=0, tzinfo=None)


def _items(lines: list[m.OrderLine], sign: int = 1) -> list[dict]:
    """One eBMS item per stamped line: net, VAT and gross exactly as stamped.

    ``sign`` -1 turns a return's negative stamp into the credit note's amounts (the
    quantities returned and the tax credited, as positive figures, never recomputed).
    """
    return [
        {
            "item_designation": line.product.name,
            "item_quantity": format((sign * line.quantity).normalize(), "f"),
            "item_price": int(line.unit_price),
            "item_ct": 0,
            "item_tl": 0,
            "item_price_nvat": sign * int(line.net),
            "vat": sign * int(line.tax),
            "item_price_wvat": sign * int(line.gross),
            "item_total_amount": sign * int(line.gross),
        }
        for line in lines
    ]


def load_orders(session: Session, order_ids) -> dict[int, m.Order]:
    """The orders of a batch of messages with all an invoice needs, in a handful of queries."""
    orders = (
        session.scalars(
            select(m.Order)
            .where(m.Order.id.in_(set(order_ids)))
            .options(  # two queries: the orders with their parties, then the lines
                selectinload(m.Order.lines).joinedload(m.OrderLine.product, innerjoin=True),
                joinedload(m.Order.seller, innerjoin=True).joinedload(m.Cooperative.province),
                joinedload(m.Order.seller, innerjoin=True).joinedload(m.Cooperative.commune),
                joinedload(m.Order.buyer, innerjoin=True).joinedload(m.Buyer.province),
                joinedload(m.Order.buyer, innerjoin=True).joinedload(m.Buyer.cooperative),
            )
        )
        .unique()
        .all()
    )
    return {order.id: order for order in orders}


def build_invoice(
    session: Session,
    message: InvoiceMessage,
    system_id: str,
    order: m.Order | None = None,
    ref_identifier: str | None = None,
) -> tuple[str, dict]:
    """The identifier and the addInvoice body of an FN or FA message, from the stored records.

    ``message`` is the outbox row (or any object with its columns); ``order`` its order when
    already loaded (:func:`load_orders`); ``ref_identifier`` an FA's original invoice
    identifier, sent as ``invoice_ref`` (the original's number when not given).
    """
    if order is None:
        order = load_orders(session, [message.order_id])[message.order_id]
    seller, buyer = order.seller, order.buyer
    lines = list(order.lines)
    sign = 1
    if message.kind == MessageKind.CREDIT_NOTE and order.returns_order_id is not None:
        sign = -1  # a return: its own negative lines, credited as positive figures
    elif message.kind == MessageKind.CREDIT_NOTE:
        wanted = set(message.line_ids or ())
        lines = [line for line in lines if line.id in wanted]
    when = local_invoice_time(message.invoice_at)
    nif = (seller.nif or "").strip()
    identifier = invoice_identifier(nif, system_id, when, message.number)
    buyer_coop = buyer.cooperative
    body = {
        "invoice_number": message.number,
        "invoice_date": when.strftime(DATE_FORMAT),
        "invoice_type": message.kind.value,
        "invoice_identifier": identifier,
        "tp_type": TP_TYPES.get(seller.seller_kind, "2"),
        "tp_name": seller.name,
        "tp_TIN": nif,
        "tp_trade_number": seller.trade_register_number or "",
        "tp_postal_number": "",
        "tp_phone_number": seller.phone or "",
        "tp_address_province": seller.province.name if seller.province else "",
        "tp_address_commune": seller.commune.name if seller.commune else "",
        "tp_address_quartier": "",
        "tp_address_avenue": "",
        "tp_address_rue": "",
        "tp_address_number": "",
        "vat_taxpayer": "1" if seller.vat_registered else "0",
        "ct_taxpayer": "0",
        "tl_taxpayer": "0",
        "tp_fiscal_center": FISCAL_CENTRE,
        "tp_activity_sector": "",
        "tp_legal_form": LEGAL_FORMS.get(seller.seller_kind, ""),
        "payment_type": order.payment_method.value,
        "invoice_currency": CURRENCY,
        "customer_name": buyer.name,
        "customer_TIN": (buyer_coop.nif or "") if buyer_coop else "",
        "customer_address": buyer.province.name if buyer.province else "",
        "vat_customer_payer": "1" if buyer_coop is not None and buyer_coop.vat_registered else "0",
        "invoice_items": _items(lines, sign),
    }
    if message.kind == MessageKind.CREDIT_NOTE:
        body["invoice_ref"] = ref_identifier or message.ref_number
        body["cn_motif"] = message.reason
    return identifier, body
