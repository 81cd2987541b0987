"""Facture: one order's invoice as OBR registered it (eBMS), the document a buyer or an
auditor checks: seller, buyer, the stamped lines, net/tax/gross, and OBR's registered
number, date and electronic signature with a QR code of the signature; « non transmise à
l'OBR » plainly when OBR has not registered it. The figures are the stamped lines' own
(never recomputed); where the invoice stands is :mod:`console.services.ebms.status`'s.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from console import models as m
from console.models.ebms import MessageState
from console.services.ebms import status as ebms_status

from ..parameters import ReportParameters
from ..registry import ReportSpec
from ..verification import qr_data_uri


def _obr(invoice) -> dict:
    """What the document says of OBR: registered (number, date, signature) or why not."""
    if invoice is None:
        return {
            "registered": False,
            "state": "Non transmise à l'OBR",
            "reason": (
                "Le vendeur ne transmet pas ses factures à l'eBMS de l'OBR (pas de NIF, ou vendeur "
                "hors du champ de la transmission)."
            ),
        }
    if invoice.state != MessageState.REGISTERED:
        reason = {
            MessageState.PENDING: "La facture attend son envoi à l'OBR.",
            MessageState.REFUSED: f"L'OBR a refusé la facture : {invoice.last_message or '—'}",
        }[invoice.state]
        return {"registered": False, "state": "Non transmise à l'OBR", "reason": reason}
    signature = invoice.obr_signature or invoice.identifier or ""
    return {
        "registered": True,
        "state": "Enregistrée par l'OBR",
        "number": invoice.obr_number,
        "registered_at": invoice.obr_registered_at,
        "signature": signature,
        "identifier": invoice.identifier,
        "qr": qr_data_uri(signature),
    }


def collect(session: Session, params: ReportParameters) -> dict:
    """The order (found in the requester's scope), its lines, totals and OBR registration."""
    order = session.get(m.Order, params.order_id)
    lines = list(order.lines)
    invoice = ebms_status.invoice_of(session, order.id)
    return {
        "order": order,
        "seller": order.seller,
        "buyer": order.buyer,
        "lines": lines,
        "net": sum(line.net for line in lines),
        "tax": sum(line.tax for line in lines),
        "gross": sum(line.gross for line in lines),
        "invoice_number": invoice.number if invoice else order.reference,
        "obr": _obr(invoice),
    }


SPEC = ReportSpec(
    key="facture",
    title="Facture",
    resource="InvoiceReportView",
    parameters=("order",),
    collect=collect,
    template="reports/pdf/invoice.html",
    excel=None,
    formats=("pdf",),
    description="La facture d'une commande avec son enregistrement à l'OBR (eBMS) : numéro, date, "
    "signature électronique et son QR code.",
)
