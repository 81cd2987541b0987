"""Request and answer schemas of the integration API (marshmallow; apispec documents them).

One convention: English field names in snake_case, amounts in whole francs (integers),
quantities as decimal numbers with at most three places, times in ISO 8601 (a time
without offset is Bujumbura time). Unknown fields are refused. Every message is French.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from marshmallow import RAISE, Schema, fields, validate

from console.services.payments import METHODS
from console.services.periods import BUJUMBURA

MAX_ID = 2**31 - 1
MAX_FRANCS = 10**12  # a trillion francs: far above any sale, far below int64
MAX_QUANTITY = Decimal("1000000000")
MAX_LINES = 200
EARLIEST_SALE = dt.datetime(2020, 1, 1, tzinfo=BUJUMBURA)

_REQUIRED = {"required": "Champ obligatoire.", "null": "Ce champ ne peut pas être vide (null)."}


def _messages(**extra: str) -> dict[str, str]:
    return {**_REQUIRED, **extra}


class FrenchSchema(Schema):
    """A schema that refuses unknown fields, in French."""

    error_messages = {"unknown": "Champ inconnu.", "type": "Un objet JSON est attendu."}

    class Meta:
        unknown = RAISE


def whole(minimum: int = 0, maximum: int = MAX_FRANCS, **kwargs) -> fields.Integer:
    """A whole number (JSON integer, never a string or a decimal) within bounds."""
    return fields.Integer(
        strict=True,
        validate=validate.Range(
            minimum, maximum, error=f"Nombre entier entre {minimum} et {maximum} attendu."
        ),
        error_messages=_messages(invalid="Nombre entier attendu."),
        **kwargs,
    )


def identifier(**kwargs) -> fields.Integer:
    return whole(1, MAX_ID, **kwargs)


def text(maximum: int, **kwargs) -> fields.String:
    return fields.String(
        validate=validate.Length(1, maximum, error=f"Texte de 1 à {maximum} caractères attendu."),
        error_messages=_messages(invalid="Texte attendu."),
        **kwargs,
    )


def moment(**kwargs) -> fields.AwareDateTime:
    """An ISO 8601 time; without offset it is Bujumbura time."""
    return fields.AwareDateTime(
        default_timezone=BUJUMBURA,
        validate=validate.Range(
            min=EARLIEST_SALE, error="Date antérieure au 01/01/2020 : refusée."
        ),
        error_messages=_messages(
            invalid="Date et heure ISO 8601 attendues (ex. 2026-12-04T10:30:00+02:00)."
        ),
        **kwargs,
    )


def quantity(**kwargs) -> fields.Decimal:
    # The bounds as numbers in the OpenAPI document (apispec writes Decimal bounds as text).
    kwargs.setdefault("metadata", {}).update(
        minimum=0, exclusiveMinimum=True, maximum=int(MAX_QUANTITY)
    )
    return fields.Decimal(
        validate=validate.Range(
            Decimal(0),
            MAX_QUANTITY,
            min_inclusive=False,
            error=f"Quantité supérieure à 0 et au plus {MAX_QUANTITY} attendue.",
        ),
        error_messages=_messages(
            invalid="Nombre décimal attendu.",
            special="Les valeurs spéciales (NaN, infini) sont refusées.",
        ),
        **kwargs,
    )


def flag(**kwargs) -> fields.Boolean:
    return fields.Boolean(
        truthy={True},
        falsy={False},
        error_messages=_messages(invalid="true ou false attendu."),
        **kwargs,
    )


def choice(values: list[str], **kwargs) -> fields.String:
    return fields.String(
        validate=validate.OneOf(values, error="Valeur attendue parmi : " + ", ".join(values) + "."),
        error_messages=_messages(invalid="Texte attendu."),
        **kwargs,
    )


def nested_list(schema, minimum: int = 1, **kwargs) -> fields.List:
    return fields.List(
        fields.Nested(schema),
        validate=validate.Length(
            minimum, MAX_LINES, error=f"De {minimum} à {MAX_LINES} éléments attendus."
        ),
        error_messages=_messages(invalid="Liste attendue."),
        **kwargs,
    )


BUYER_KINDS = {"particulier": "consumer", "entreprise": "business", "cooperative": "cooperative"}


class BuyerSchema(FrenchSchema):
    name = text(200, required=True)
    kind = choice(list(BUYER_KINDS), load_default="particulier")
    cooperative_id = identifier(load_default=None, allow_none=True)


class LineSchema(FrenchSchema):
    product_id = identifier(
        load_default=None,
        allow_none=True,
        metadata={"description": "Produit du vendeur (ou bien listing_id)."},
    )
    listing_id = identifier(
        load_default=None,
        allow_none=True,
        metadata={"description": "Offre du vendeur ; son produit est pris."},
    )
    quantity = quantity(required=True)
    unit_price = whole(required=True, metadata={"description": "Prix unitaire en francs entiers."})
    amount = whole(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Facultatif : quantité × prix unitaire arrondi au franc (0,5 vers le haut) ; "
            "refusé s'il diffère."
        },
    )


class OrderSchema(FrenchSchema):
    __component_name__ = "Order"
    seller_id = identifier(required=True)
    placed_at = moment(
        required=True, metadata={"description": "Heure de la vente ; fixe la règle fiscale."}
    )
    prices_include_tax = flag(load_default=True)
    is_export = flag(load_default=False)
    payment_method = choice(list(METHODS), load_default="especes")
    buyer = fields.Nested(BuyerSchema, load_default=None, allow_none=True)
    lines = nested_list(LineSchema, required=True)


class PaymentSchema(FrenchSchema):
    __component_name__ = "Payment"
    amount = whole(1, required=True)
    method = choice(list(METHODS), required=True)
    paid_at = moment(required=True)
    reference = text(
        60,
        load_default=None,
        allow_none=True,
        metadata={"description": "Référence du paiement (ex. n° de transaction mobile money)."},
    )


STATUSES = {"livree": "delivered", "annulee": "cancelled"}


class StatusSchema(FrenchSchema):
    __component_name__ = "Status"
    status = choice(list(STATUSES), required=True)


class ReturnLineSchema(FrenchSchema):
    line_no = whole(1, 10_000, required=True)
    quantity = quantity(required=True)


class ReturnSchema(FrenchSchema):
    __component_name__ = "Return"
    returned_at = moment(required=True)
    lines = nested_list(ReturnLineSchema, required=True)


# --- answers -------------------------------------------------------------------------


class StampedLineSchema(Schema):
    line_no = fields.Integer()
    product_id = fields.Integer()
    listing_id = fields.Integer(allow_none=True)
    quantity = fields.Decimal(as_string=True)
    unit_price = fields.Integer()
    rule_code = fields.String(allow_none=True)
    rate = fields.Decimal(as_string=True)
    net = fields.Integer()
    tax = fields.Integer()
    gross = fields.Integer()
    note = fields.String(allow_none=True)
    returns_line_no = fields.Integer(allow_none=True)


class TotalsSchema(Schema):
    net = fields.Integer()
    tax = fields.Integer()
    gross = fields.Integer()


class QuoteAnswerSchema(Schema):
    __component_name__ = "QuoteAnswer"
    sale_day = fields.Date()
    prices_include_tax = fields.Boolean()
    lines = fields.List(fields.Nested(StampedLineSchema))
    totals = fields.Nested(TotalsSchema)


class PaymentAnswerSchema(Schema):
    __component_name__ = "PaymentAnswer"
    id = fields.Integer()
    amount = fields.Integer()
    tax_amount = fields.Integer()
    method = fields.String()
    paid_at = fields.DateTime()
    reference = fields.String(allow_none=True)


class OrderAnswerSchema(QuoteAnswerSchema):
    __component_name__ = "OrderAnswer"
    id = fields.Integer()
    reference = fields.String()
    status = fields.String()
    placed_at = fields.DateTime()
    seller_id = fields.Integer()
    returns_order_id = fields.Integer(allow_none=True)
    payments = fields.List(fields.Nested(PaymentAnswerSchema))
    returns = fields.List(fields.Nested(lambda: OrderAnswerSchema(exclude=("returns", "payments"))))
    amount_due = fields.Integer()
    paid = fields.Integer()


class ErrorSchema(Schema):
    field = fields.String()
    value = fields.Raw(allow_none=True)
    message = fields.String()


class ErrorsSchema(Schema):
    __component_name__ = "Errors"
    errors = fields.List(fields.Nested(ErrorSchema))
