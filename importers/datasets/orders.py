"""Order lines from the marketplace export, keyed by order reference and line number.

Order-level columns (date, seller, buyer, status…) repeat on every line of an order and
must agree. Tax stamps come from the tax engine; the file's amounts are only checked.
"""

from __future__ import annotations

from decimal import Decimal

from console import models as m
from console.services.payments import METHODS

from .. import cells
from ..schema import Dataset, column


def tax_rate(value) -> Decimal | None:
    """A VAT rate written 18 %, 18, 0,18 or 0.18 → Decimal("0.18")."""
    if cells.is_blank(value):
        return None
    text = str(value).strip().rstrip("%").strip() if isinstance(value, str) else value
    number = cells.decimal(Decimal(0), Decimal(100), places=4)(text)
    if number is None:
        return None
    return (number / 100 if number > 1 else number).quantize(Decimal("0.0001"))


# How files spell a payment method, as synonyms of the API's method names; the mapping of
# those names onto OBR's four payment types has one owner, console.services.payments.METHODS.
METHOD_SYNONYMS = {
    "cash": "especes",
    "liquide": "especes",
    "bank": "banque",
    "virement": "banque",
    "cheque": "banque",
    "virement bancaire": "banque",
    "a credit": "credit",
    "mobile money": "mobile_money",
    "e-cash": "ecocash",
    "mpesa": "mobile_money",
    "m-pesa": "mobile_money",
    "other": "autre",
}
PAYMENT_WORDS = {
    word: METHODS[name].value
    for word, name in {**{name: name for name in METHODS}, **METHOD_SYNONYMS}.items()
}

COLUMNS = (
    column(
        "order_reference",
        "Référence de commande",
        cells.text(60),
        "commande, reference, n° de commande, n° commande, numero de commande, order, order reference, order ref",
        "CMD-2023-000001",
        required=True,
        help="Avec le numéro de ligne, la clé de la ligne.",
    ),
    column(
        "line_no",
        "Ligne",
        cells.integer(1, 10_000),
        "numero de ligne, n° de ligne, line, line no, line number",
        "1",
        required=True,
    ),
    column(
        "placed_at",
        "Date de commande",
        cells.datetime,
        "date, passee le, order date, placed at",
        "26/06/2023 14:05",
        required=True,
        help="Heure de Bujumbura ; identique sur toutes les lignes d'une commande.",
    ),
    column(
        "seller",
        "Vendeur",
        cells.text(200),
        "cooperative, numero d'enregistrement du vendeur, seller",
        "ANACOOP/2021/0042",
        required=True,
        help="Numéro d'enregistrement ou nom de la coopérative vendeuse.",
    ),
    column(
        "buyer",
        "Acheteur",
        cells.text(200),
        "client, buyer, customer",
        "Hôtel du Lac",
        required=True,
        help="Nom de l'acheteur ; un acheteur inconnu est créé.",
    ),
    column(
        "buyer_kind",
        "Type d'acheteur",
        cells.choice(m.BuyerKind, {"entreprise": "business"}),
        "type de client, buyer kind, buyer type",
        "Entreprise",
        help="Particulier, Entreprise ou Coopérative (défaut : Particulier).",
    ),
    column(
        "status",
        "Statut",
        cells.choice(m.OrderStatus, {"livree": "delivered", "payee": "paid"}),
        "etat, status",
        "Livrée",
        help="Passée, Payée, Livrée ou Annulée (défaut : Passée).",
    ),
    column("is_export", "Export", cells.boolean, "exportation, is export", "non"),
    column(
        "payment_method",
        "Mode de paiement",
        cells.choice(m.PaymentMethod, PAYMENT_WORDS),
        "paiement, payment, payment method",
        "Espèces",
        help="1 Espèces, 2 Banque, 3 Crédit, 4 Autre (types de paiement eBMS de l'OBR).",
    ),
    column(
        "prices_include_tax",
        "Prix TTC",
        cells.boolean,
        "prix toutes taxes comprises, ttc, prices include tax, tax included",
        "oui",
        help="oui si le prix unitaire inclut la TVA (défaut : oui).",
    ),
    column(
        "sku",
        "SKU",
        cells.text(40),
        "code produit, product, product sku",
        "KI-HAR-001",
        required=True,
        help="Le produit, qui doit appartenir au vendeur.",
    ),
    column(
        "quantity",
        "Quantité",
        cells.decimal(Decimal(0), Decimal(1_000_000), positive=True),
        "qte, qté, quantite, quantity, qty",
        "12,5",
        required=True,
    ),
    column(
        "unit_price",
        "Prix unitaire",
        cells.money(0, 10**9),
        "prix, pu, p.u., prix unitaire ttc, unit price, price",
        "2 900",
        required=True,
        help="Francs entiers (« FBu » ou « BIF » après le nombre accepté).",
    ),
    column(
        "net",
        "Montant HT",
        cells.money(0, 10**13),
        "hors taxe, ht, net, net amount",
        "30 720",
        help="Facultatif : s'il est donné, il doit égaler celui du moteur fiscal.",
    ),
    column(
        "tax",
        "TVA",
        cells.money(0, 10**13),
        "montant tva, tax, vat, tax amount",
        "5 530",
        help="Facultatif : contrôlé contre le moteur fiscal.",
    ),
    column(
        "gross",
        "Montant TTC",
        cells.money(0, 10**13),
        "ttc montant, total, total ttc, montant total, gross, gross amount",
        "36 250",
        help="Facultatif : contrôlé contre le moteur fiscal.",
    ),
    column(
        "tax_rate",
        "Taux de TVA",
        tax_rate,
        "taux, taux tva, taux de la tva, tax rate, vat rate",
        "18 %",
        help="Facultatif (18 %, 0,18…) : contrôlé contre le moteur fiscal.",
    ),
)


def _bulk(work):
    from ..orders_bulk import import_order_lines

    return import_order_lines(work)


DATASET = Dataset(
    kind="orders",
    label="Commandes (lignes)",
    columns=COLUMNS,
    key=("order_reference", "line_no"),
    resource="OrderImportView",
    description="L'export des commandes de la plateforme : une ligne par ligne de commande.",
    bulk=_bulk,
    notes=(
        "Les taxes (règle, taux, HT, TVA, TTC) sont calculées par le moteur fiscal ; les montants "
        "du fichier, s'il y en a, doivent être identiques, sinon la ligne est en erreur.",
        "Le vendeur d'une commande déjà enregistrée ne peut pas changer.",
        "Un acheteur est reconnu par son nom (sans tenir compte des majuscules ni des accents) ; "
        "un nom inconnu crée un acheteur.",
        "Un seul événement d'audit par import (et non un par ligne) : voir la documentation.",
    ),
)
