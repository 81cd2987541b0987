"""Payments received for orders, keyed by the payment reference (receipt, transfer or
mobile money transaction number).

A payment belongs to a stored order of the importing user's scope. It is refused when
its order is cancelled, when it precedes the order, or when the order's payments would
then exceed what the order costs (its lines' gross). The tax part it collects is the
order's tax in proportion to the amount paid, rounded once (console.services.money).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from console import models as m
from console.services.money import format_francs, round_franc

from .. import cells
from ..references import code_key
from ..rowwise import Operation, RowImporter
from ..schema import Column, Dataset, ParsedRow
from .orders import PAYMENT_WORDS

# Rows per IN (…) list when looking up the file's orders and payments.
LOOKUP_CHUNK = 500

COLUMNS = (
    Column("payment_reference", "Référence du paiement", cells.text(60), required=True,
           aliases=("reference paiement", "reference de paiement", "n° de paiement", "n° paiement",
                    "n° de transaction", "reference de transaction", "n° de recu", "recu",
                    "payment reference", "payment ref", "transaction id"),
           help="Numéro du reçu, du virement ou de la transaction mobile money : la clé (une ligne par paiement).",
           example="MM-2023-000123"),
    Column("order_reference", "Référence de commande", cells.text(60), required=True,
           aliases=("commande", "n° de commande", "n° commande", "numero de commande", "order reference",
                    "order ref", "order"),
           help="La commande payée, déjà importée.", example="CMD-2023-000001"),
    Column("paid_at", "Date de paiement", cells.datetime, required=True,
           aliases=("paye le", "payee le", "date", "date du paiement", "paid at", "paid on", "payment date"),
           help="Heure de Bujumbura ; pas avant la commande.", example="26/06/2023 15:30"),
    Column("amount", "Montant", cells.money(1, 10**13), required=True,
           aliases=("montant paye", "montant verse", "montant recu", "somme", "amount", "amount paid"),
           help="Francs entiers (« FBu » ou « BIF » après le nombre accepté) ; les paiements d'une "
                "commande ne peuvent pas dépasser son montant TTC.", example="36 250"),
    Column("method", "Mode de paiement", cells.choice(m.PaymentMethod, PAYMENT_WORDS),
           aliases=("mode", "moyen de paiement", "paiement", "payment method", "method"),
           help="Espèces, Banque (virement), Crédit, ou mobile money (Lumicash, EcoCash : « Autre ») ; "
                "vide : celui de la commande.", example="Lumicash"),
)


@dataclass(frozen=True)
class OrderDue:
    """What a payment's order costs and what was paid for it outside this file."""

    id: int
    reference: str
    seller_id: int
    status: m.OrderStatus
    placed_at: object
    payment_method: m.PaymentMethod
    gross: int
    tax: int
    paid_elsewhere: int  # stored payments of the order whose reference is not in the file


def _chunks(values: list) -> Iterable[list]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start:start + LOOKUP_CHUNK]


class PaymentImporter(RowImporter):
    model = m.Payment

    def key(self, row: ParsedRow):
        reference = row.values.get("payment_reference")
        return (code_key(reference),) if reference else None

    def plan(self, rows: list[ParsedRow]) -> list[Operation]:
        """Load the file's orders and their stored payments once, then plan row by row."""
        self._file_keys = {k for k in map(self.key, rows) if k is not None}
        self._orders = self._load_orders(rows)
        self._paid_in_file: dict[int, int] = {}
        return super().plan(rows)

    def existing(self, keys: Iterable[tuple]) -> dict:
        wanted = sorted({k[0] for k in keys})
        found = {}
        for chunk in _chunks(wanted):
            for payment in self.session.scalars(select(m.Payment).where(
                    func.upper(func.replace(m.Payment.reference, " ", "")).in_(chunk))):
                found[(code_key(payment.reference),)] = payment
        return found

    def _load_orders(self, rows: list[ParsedRow]) -> dict[str, OrderDue]:
        references = sorted({r.values["order_reference"] for r in rows if r.values.get("order_reference")})
        orders = []
        for chunk in _chunks(references):
            orders += self.session.execute(select(
                m.Order.id, m.Order.reference, m.Order.seller_id, m.Order.status, m.Order.placed_at,
                m.Order.payment_method).where(m.Order.reference.in_(chunk))).all()
        ids = [o.id for o in orders]
        totals: dict[int, tuple[int, int]] = {}
        paid: dict[int, int] = {}
        for chunk in _chunks(ids):
            for order_id, gross, tax in self.session.execute(
                    select(m.OrderLine.order_id, func.sum(m.OrderLine.gross), func.sum(m.OrderLine.tax))
                    .where(m.OrderLine.order_id.in_(chunk)).group_by(m.OrderLine.order_id)):
                totals[order_id] = (int(gross or 0), int(tax or 0))
            for order_id, reference, amount in self.session.execute(
                    select(m.Payment.order_id, m.Payment.reference, m.Payment.amount)
                    .where(m.Payment.order_id.in_(chunk))):
                if reference is None or (code_key(reference),) not in self._file_keys:
                    paid[order_id] = paid.get(order_id, 0) + int(amount)
        return {code_key(o.reference): OrderDue(
            o.id, o.reference, o.seller_id, o.status, o.placed_at, o.payment_method,
            *totals.get(o.id, (0, 0)), paid.get(o.id, 0)) for o in orders}

    def values(self, row: ParsedRow, target):
        v = row.values
        if not v.get("order_reference"):
            return None
        order = self._orders.get(code_key(v["order_reference"]))
        if order is None or not self.refs.cooperative_allowed(order.seller_id):
            self.error(row, "order_reference", (
                "Commande introuvable dans votre périmètre : importez d'abord la commande "
                "(ou vérifiez sa référence)."))
            return None
        if target is not None and target.order_id != order.id:
            self.error(row, "payment_reference", "Ce paiement est déjà enregistré pour une autre commande.")
            return None
        if order.status == m.OrderStatus.CANCELLED:
            self.error(row, "order_reference", "Commande annulée : un paiement ne peut pas y être enregistré.")
            return None
        if v.get("paid_at") and v["paid_at"] < order.placed_at:
            self.error(row, "paid_at", "Le paiement précède la commande : vérifiez la date.")
            return None
        amount = v.get("amount")
        if amount is None or v.get("paid_at") is None:
            return None
        already = order.paid_elsewhere + self._paid_in_file.get(order.id, 0)
        self._paid_in_file[order.id] = self._paid_in_file.get(order.id, 0) + amount
        if already + amount > order.gross:
            self.error(row, "amount", (
                f"Trop-perçu : la commande {order.reference} coûte {format_francs(order.gross)}, "
                f"déjà payée {format_francs(already)} ; ce paiement de {format_francs(amount)} la "
                "dépasse. Vérifiez le montant ou la commande."))
            return None
        tax = round_franc(Decimal(order.tax) * amount / order.gross) if order.gross else 0
        values = {"order_id": order.id, "paid_at": v["paid_at"], "amount": amount, "tax_amount": tax,
                  "method": v.get("method") or (target.method if target is not None else order.payment_method)}
        if target is None:
            values["reference"] = v["payment_reference"]
        return values


DATASET = Dataset(
    kind="payments",
    label="Paiements",
    columns=COLUMNS,
    key=("payment_reference",),
    resource="PaymentImportView",
    description="Les paiements reçus pour les commandes (espèces, banque, mobile money), par référence de paiement.",
    importer=PaymentImporter,
    notes=(
        "Un paiement se rattache à une commande déjà importée, de votre périmètre, non annulée.",
        "Les paiements d'une commande (déjà enregistrés et du fichier) ne peuvent pas dépasser son "
        "montant TTC : le paiement qui la dépasserait est refusé (trop-perçu).",
        "La part de taxe encaissée est la TVA de la commande au prorata du montant payé.",
        "Un paiement déjà enregistré pour une autre commande est refusé.",
    ),
)
