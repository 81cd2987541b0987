"""The fields of an eBMS invoice, built from the order's stamped lines (never recomputed)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

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


def _items(lines: list[m.OrderLine]) -> list[dict]:
    """One eBMS item per stamped line: net, VAT and gross exactly as stamped."""
    return [
        {
            "item_designation": line.product.name,
            "item_quantity": format(line.quantity.normalize(), "f"),
            "item_price": int(line.unit_price),
            "item_ct": 0,
            "item_tl": 0,
            "item_price_nvat": int(line.net),
            "vat": int(line.tax),
            "item_price_wvat": int(line.gross),
            "item_total_amount": int(line.gross),
        }
        for line in lines
    ]


def build_invoice(session: Session, message: InvoiceMessage, system_id: str) -> tuple[str, dict]:
    """The identifier and the addInvoice body of an FN or FA message, from the stored records."""
    order = session.scalars(
        select(m.Order)
        .where(m.Order.id == message.order_id)
        .options(
            selectinload(m.Order.lines).selectinload(m.OrderLine.product),
            selectinload(m.Order.seller).selectinload(m.Cooperative.province),
            selectinload(m.Order.seller).selectinload(m.Cooperative.commune),
            selectinload(m.Order.buyer).selectinload(m.Buyer.province),
            selectinload(m.Order.buyer).selectinload(m.Buyer.cooperative),
        )
    ).one()
    seller, buyer = order.seller, order.buyer
    lines = list(order.lines)
    if message.kind == MessageKind.CREDIT_NOTE:
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
        "invoice_items": _items(lines),
    }
    if message.kind == MessageKind.CREDIT_NOTE:
        body["invoice_ref"] = message.ref_number
        body["cn_motif"] = message.reason
    return identifier, body
