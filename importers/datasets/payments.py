"""Payments received for orders, keyed by the payment reference (receipt, transfer or
mobile money transaction number).

A payment belongs to a stored order of the importing user's scope. The rules are those of
every payment (console.services.payments, also called by the integration API): a cancelled
order or a return takes none, nothing beyond what is still due, not before the order nor in
the future, and the tax part it collects. Here they are checked for a whole file before
anything is written: what is due is counted across the stored payments and the file's own
accepted rows, in file order.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from console import models as m
from console.services import payments as rules

from .. import cells
from ..references import code_key
from ..rowwise import CREATE, UPDATE, Operation, RowImporter, Written
from ..schema import Dataset, ParsedRow, column
from .orders import PAYMENT_WORDS

# Rows per IN (…) list when looking up the file's orders and payments.
LOOKUP_CHUNK = 500

# The column of the file that shows the value a service refusal is about.
REFUSED_COLUMN = {"order": "order_reference", "amount": "amount", "paid_at": "paid_at"}

COLUMNS = (
    column(
        "payment_reference",
        "Référence du paiement",
        cells.text(60),
        "reference paiement, reference de paiement, n° de paiement, n° paiement, n° de transaction, reference de transaction, n° de recu, recu, payment reference, payment ref, transaction id",
        "MM-2023-000123",
        required=True,
        help="Numéro du reçu, du virement ou de la transaction mobile money : la clé (une ligne par paiement).",
    ),
    column(
        "order_reference",
        "Référence de commande",
        cells.text(60),
        "commande, n° de commande, n° commande, numero de commande, order reference, order ref, order",
        "CMD-2023-000001",
        required=True,
        help="La commande payée, déjà importée.",
    ),
    column(
        "paid_at",
        "Date de paiement",
        cells.datetime,
        "paye le, payee le, date, date du paiement, paid at, paid on, payment date",
        "26/06/2023 15:30",
        required=True,
        help="Heure de Bujumbura ; pas avant la commande.",
    ),
    column(
        "amount",
        "Montant",
        cells.money(1, 10**13),
        "montant paye, montant verse, montant recu, somme, amount, amount paid",
        "36 250",
        required=True,
        help=(
            "Francs entiers (« FBu » ou « BIF » après le nombre accepté) ; les paiements d'une "
            "commande ne peuvent pas dépasser son montant TTC."
        ),
    ),
    column(
        "method",
        "Mode de paiement",
        cells.choice(m.PaymentMethod, PAYMENT_WORDS),
        "mode, moyen de paiement, paiement, payment method, method",
        "Lumicash",
        help=(
            "Espèces, Banque (virement), Crédit, ou mobile money (Lumicash, EcoCash : « Autre ») ; "
            "vide : celui de la commande."
        ),
    ),
)


def _chunks(values: list) -> Iterable[list]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


class PaymentImporter(RowImporter):
    model = m.Payment

    def key(self, row: ParsedRow):
        reference = row.values.get("payment_reference")
        return (code_key(reference),) if reference else None

    def plan(self, rows: list[ParsedRow]) -> list[Operation]:
        """Load the file's orders, what they owe and what was paid outside the file, then plan row by row."""
        self._stored = self._stored_payments({k for k in map(self.key, rows) if k is not None})
        self._orders = self._load_orders(rows)
        return super().plan(rows)

    def existing(self, keys: Iterable[tuple]) -> dict:
        return self._stored

    def _stored_payments(self, keys: set[tuple]) -> dict:
        wanted = sorted(k[0] for k in keys)
        found = {}
        for chunk in _chunks(wanted):
            for payment in self.session.scalars(
                select(m.Payment).where(
                    func.upper(func.replace(m.Payment.reference, " ", "")).in_(chunk)
                )
            ):
                found[(code_key(payment.reference),)] = payment
        return found

    def _load_orders(self, rows: list[ParsedRow]) -> dict[str, m.Order]:
        """The file's orders, locked (PostgreSQL) so a concurrent payment cannot overpay them too."""
        references = sorted(
            {r.values["order_reference"] for r in rows if r.values.get("order_reference")}
        )
        orders: list[m.Order] = []
        for chunk in _chunks(references):
            orders += self.session.scalars(
                select(m.Order)
                .where(m.Order.reference.in_(chunk))
                .order_by(m.Order.id)
                .with_for_update()
            )
        ids = [o.id for o in orders]
        # Payments the file re-imports are counted as the file's rows, not as paid elsewhere.
        in_file = [p.id for p in self._stored.values()]
        self._owed: dict[int, tuple[int, int]] = {}
        self._paid: dict[
            int, tuple[int, int]
        ] = {}  # stored elsewhere, then the file's accepted rows
        for chunk in _chunks(ids):
            self._owed.update(rules.amounts_due(self.session, chunk))
            self._paid.update(rules.paid_by_order(self.session, chunk, excluding=in_file))
        return {code_key(o.reference): o for o in orders}

    def values(self, row: ParsedRow, target):
        v = row.values
        if not v.get("order_reference"):
            return None
        order = self._orders.get(code_key(v["order_reference"]))
        if order is None or not self.refs.cooperative_allowed(order.seller_id):
            self.error(
                row,
                "order_reference",
                (
                    "Commande introuvable dans votre périmètre : importez d'abord la commande "
                    "(ou vérifiez sa référence)."
                ),
            )
            return None
        if target is not None and target.order_id != order.id:
            self.error(
                row, "payment_reference", "Ce paiement est déjà enregistré pour une autre commande."
            )
            return None
        amount, paid_at = v.get("amount"), v.get("paid_at")
        owed, owed_tax = self._owed.get(order.id, (0, 0))
        paid, paid_tax = self._paid.get(order.id, (0, 0))
        if amount is None or paid_at is None:  # the cell's own error is listed already
            refusals = rules.order_refusals(order)
        else:
            refusals = rules.payment_refusals(
                order, amount=amount, paid_at=paid_at, owed=owed, already_paid=paid
            )
        for refusal in refusals:
            self.error(row, REFUSED_COLUMN[refusal.field], refusal.message)
        if refusals or amount is None or paid_at is None:
            return None
        tax = rules.payment_tax(
            owed=owed, owed_tax=owed_tax, paid=paid, paid_tax=paid_tax, amount=amount
        )
        self._paid[order.id] = (paid + amount, paid_tax + tax)
        values = {
            "order_id": order.id,
            "paid_at": paid_at,
            "amount": amount,
            "tax_amount": tax,
            "method": v.get("method")
            or (target.method if target is not None else order.payment_method),
        }
        if target is None:
            values["reference"] = v["payment_reference"]
        return values

    def apply(self, operations: list[Operation], written: Written) -> None:
        """Write the payments, then mark paid the placed orders they settle."""
        super().apply(operations, written)
        paid_orders = {
            op.values.get("order_id") or op.target.order_id
            for op in operations
            if op.action in (CREATE, UPDATE)
        }
        by_id = {o.id: o for o in self._orders.values()}
        for order_id in sorted(paid_orders):
            order = by_id[order_id]
            if rules.settle_if_paid(
                order,
                owed=self._owed.get(order_id, (0, 0))[0],
                paid=self._paid.get(order_id, (0, 0))[0],
            ):
                written.add(m.Order.__tablename__, "update", order_id)
        self.session.flush()


DATASET = Dataset(
    kind="payments",
    label="Paiements",
    columns=COLUMNS,
    key=("payment_reference",),
    resource="PaymentImportView",
    description="Les paiements reçus pour les commandes (espèces, banque, mobile money), par référence de paiement.",
    importer=PaymentImporter,
    notes=(
        "Un paiement se rattache à une commande déjà importée, de votre périmètre, non annulée ; "
        "il ne précède pas la commande et n'est pas daté dans le futur.",
        "Les paiements d'une commande (déjà enregistrés et du fichier) ne peuvent pas dépasser son "
        "montant TTC, retours déduits : le paiement qui le dépasserait est refusé.",
        "La part de taxe encaissée suit la TVA de la commande au prorata des montants payés, arrondie "
        "une fois : une commande soldée a encaissé exactement sa TVA.",
        "Une commande « Passée » entièrement payée devient « Payée ».",
        "Un paiement déjà enregistré pour une autre commande est refusé.",
    ),
)
