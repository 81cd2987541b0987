"""The integration API's endpoints (Flask-AppBuilder BaseApi), thin over the domain services.

/api/v1/integration/…: quotes, orders, payments, status changes, returns. Each method is
guarded by console.api.guard.client_endpoint (token, policy, body, idempotency, audit)
and documented in its docstring (FAB turns the YAML into the OpenAPI document served
at /api/v1/_openapi).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from apispec.exceptions import DuplicateComponentNameError
from flask_appbuilder.api import BaseApi, expose
from sqlalchemy import select

from console import models as m
from console.extensions import db
from console.services import orders as order_service
from console.services.api_clients import Caller
from console.services.payments import METHODS, order_amounts, paid_so_far, record_payment
from console.services.returns import return_goods
from console.services.tax.engine import RuleSpec
from console.services.tax.stamping import load_rules, sale_day

from . import schemas as s
from .guard import KEY_HEADER, Answer, client_endpoint

_ERRORS = {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}
METHOD_NAMES = {method: name for name, method in reversed(METHODS.items())}


def writer_of(client: Caller) -> order_service.Writer:
    """Who writes: a tablet only for its cooperative, the storefront for any seller."""
    cooperative = client.cooperative_id if client.kind == m.ApiClientKind.TABLET else None
    return order_service.Writer(client.id, cooperative)


# The stored scales of a quantity and a rate: an answer built before any read shows them
# as a read would (2 → "2.000", 0.18 → "0.1800").
_QUANTITY = Decimal(1).scaleb(-m.OrderLine.__table__.c.quantity.type.scale)
_RATE = Decimal(1).scaleb(-m.OrderLine.__table__.c.tax_rate.type.scale)


def _line(line: m.OrderLine, rule_codes: dict[int, str], line_nos: dict[int, int]) -> dict:
    return {
        "line_no": line.line_no,
        "product_id": line.product_id,
        "listing_id": line.listing_id,
        "quantity": str(Decimal(line.quantity).quantize(_QUANTITY)),
        "unit_price": line.unit_price,
        "rule_code": rule_codes.get(line.tax_rule_id),
        "rate": str(Decimal(line.tax_rate).quantize(_RATE)),
        "net": line.net,
        "tax": line.tax,
        "gross": line.gross,
        "note": line.tax_note,
        "returns_line_no": line_nos.get(line.returns_line_id),
    }


def _stamped(
    order: m.Order, line_nos: dict[int, int] | None = None, codes: dict[int, str] | None = None
) -> dict:
    """The lines' stamps and totals of an order (stored or quoted); ``codes``: rule codes
    by id when known (the rules the order was just stamped with), else read."""
    if codes is None:
        rule_ids = {line.tax_rule_id for line in order.lines if line.tax_rule_id}
        codes = dict(
            db.session.execute(
                select(m.TaxRule.id, m.TaxRule.code).where(m.TaxRule.id.in_(rule_ids))
            ).all()
            if rule_ids
            else []
        )
    lines = [_line(line, codes, line_nos or {}) for line in order.lines]
    return {
        "sale_day": sale_day(order.placed_at).isoformat(),
        "prices_include_tax": bool(order.prices_include_tax),
        "lines": lines,
        "totals": {k: sum(line[k] for line in lines) for k in ("net", "tax", "gross")},
    }


def _heading(order: m.Order) -> dict:
    return {
        "id": order.id,
        "reference": order.reference,
        "status": order.status.value,
        "placed_at": order.placed_at.astimezone(dt.UTC).isoformat(),  # as stored: UTC
        "seller_id": order.seller_id,
        "returns_order_id": order.returns_order_id,
    }


def new_order_answer(order: m.Order, rules: Sequence[RuleSpec]) -> dict:
    """The answer to an order just written, from the rows written (no read): what
    :func:`order_answer` reads back for it, with no payment nor return yet, so all of
    its gross is still due (the tests compare both)."""
    body = {**_heading(order), **_stamped(order, codes={r.id: r.code for r in rules})}
    return body | {"returns": [], "payments": [], "amount_due": body["totals"]["gross"], "paid": 0}


def order_answer(order: m.Order) -> dict:
    """The order as stored: lines, tax, payments, returns, status, what is still due."""
    db.session.refresh(order)
    original = db.session.get(m.Order, order.returns_order_id) if order.returns_order_id else None
    line_nos = {line.id: line.line_no for line in (original or order).lines}
    body = {**_heading(order), **_stamped(order, line_nos)}
    if original is None:
        returns = db.session.scalars(
            select(m.Order).where(m.Order.returns_order_id == order.id).order_by(m.Order.id)
        ).all()
        body["returns"] = [{**_heading(r), **_stamped(r, line_nos)} for r in returns]
        body["payments"] = [
            {
                "id": p.id,
                "amount": p.amount,
                "tax_amount": p.tax_amount,
                "method": METHOD_NAMES[p.method],
                "paid_at": p.paid_at.isoformat(),
                "reference": p.reference,
            }
            for p in sorted(order.payments, key=lambda p: p.id)
        ]
        body["amount_due"] = order_amounts(db.session, order)[0]
        body["paid"] = paid_so_far(db.session, order)[0]
    return body


def _order_request(payload: dict) -> order_service.OrderRequest:
    buyer = payload.get("buyer")
    return order_service.OrderRequest(
        seller_id=payload["seller_id"],
        placed_at=payload["placed_at"],
        prices_include_tax=payload["prices_include_tax"],
        is_export=payload["is_export"],
        payment_method=METHODS[payload["payment_method"]],
        buyer=order_service.BuyerRequest(
            name=buyer["name"],
            kind=m.BuyerKind(s.BUYER_KINDS[buyer["kind"]]),
            cooperative_id=buyer["cooperative_id"],
        )
        if buyer
        else None,
        lines=[
            order_service.LineRequest(
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                product_id=line["product_id"],
                listing_id=line["listing_id"],
                amount=line["amount"],
            )
            for line in payload["lines"]
        ],
    )


_KEY_PARAMETER = {
    "in": "header",
    "name": KEY_HEADER,
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "Clé unique de l'opération : un nouvel envoi avec la même clé "
    "rejoue la première réponse.",
}

_ORDER_PARAMETER = {
    "in": "path",
    "name": "order_id",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}


class IntegrationApi(BaseApi):
    """Sales, payments and returns sent by the storefront and the cooperatives' tablets."""

    resource_name = "integration"
    openapi_spec_tag = "Intégration"
    openapi_spec_component_schemas = (
        s.OrderSchema,
        s.PaymentSchema,
        s.StatusSchema,
        s.ReturnSchema,
        s.QuoteAnswerSchema,
        s.OrderAnswerSchema,
        s.PaymentAnswerSchema,
        s.ErrorsSchema,
    )

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        try:
            api_spec.components.security_scheme(
                "client_token",
                {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Jeton du client API : isk_<identifiant>.<secret>",
                },
            )
        except DuplicateComponentNameError:
            pass

    def operation_helper(
        self, path=None, operations=None, methods=None, func=None, **kwargs
    ) -> None:
        """FAB's helper, plus the bearer token, the Idempotency-Key header and the refusals."""
        super().operation_helper(
            path=path, operations=operations, methods=methods, func=func, **kwargs
        )
        for method in methods:
            operation = operations.get(method.lower())
            if operation is None:
                continue
            operation["security"] = [{"client_token": []}]
            if "{order_id}" in path:
                operation.setdefault("parameters", []).append(dict(_ORDER_PARAMETER))
            if method != "GET" and func.__name__ != "quote":
                operation.setdefault("parameters", []).append(dict(_KEY_PARAMETER))
            responses = operation.setdefault("responses", {})
            for code, text in (
                ("400", "Requête mal formée"),
                ("401", "Jeton absent ou révoqué"),
                ("403", "Opération interdite à ce client"),
                ("404", "Introuvable"),
                ("409", "Conflit (état, clé d'idempotence)"),
                ("413", "Corps trop grand"),
                ("422", "Valeurs refusées (champ, valeur, message)"),
                ("429", "Trop de requêtes"),
            ):
                responses.setdefault(code, {"description": text, "content": _ERRORS})

    @expose("/quotes", methods=["POST"])
    @client_endpoint("can_quote", schema=s.OrderSchema)
    def quote(self, client, payload):
        """Stamp lines as they would be stamped now, without writing anything.
        ---
        post:
          summary: Devis fiscal d'une commande (rien n'est enregistré)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/Order'
          responses:
            200:
              description: Règle, taux, net, taxe et brut de chaque ligne, et les totaux
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/QuoteAnswer'
        """
        rules = load_rules(db.session)
        request = _order_request(payload)
        order = order_service.quote(db.session, writer_of(client), request, rules=rules)
        return Answer(200, _stamped(order, codes={r.id: r.code for r in rules}))

    @expose("/orders", methods=["POST"])
    @client_endpoint("can_create", writes=True, schema=s.OrderSchema)
    def create_order(self, client, payload):
        """Record a sale: stamped at its sale time (Bujumbura day); answers what is stored.
        ---
        post:
          summary: Enregistrer une commande et ses lignes
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/Order'
          responses:
            201:
              description: La commande telle qu'enregistrée
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/OrderAnswer'
        """
        rules = load_rules(db.session)
        request = _order_request(payload)
        order = order_service.create_order(db.session, writer_of(client), request, rules=rules)
        return Answer(201, new_order_answer(order, rules), order.id)

    @expose("/orders/<int:order_id>", methods=["GET"])
    @client_endpoint("can_read")
    def read_order(self, client, payload, order_id):
        """Read one of this client's orders.
        ---
        get:
          summary: Lire une commande (lignes, taxe, paiements, retours, statut)
          responses:
            200:
              description: La commande
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/OrderAnswer'
        """
        order = order_service.order_for(db.session, writer_of(client), order_id)
        return Answer(200, order_answer(order), order.id)

    @expose("/orders/<int:order_id>/payments", methods=["POST"])
    @client_endpoint("can_pay", writes=True, schema=s.PaymentSchema)
    def record_payment(self, client, payload, order_id):
        """Record a payment (cash, bank, credit, mobile money) of an order.
        ---
        post:
          summary: Enregistrer un paiement (trop-perçu et commande annulée refusés)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/Payment'
          responses:
            201:
              description: La commande après le paiement
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/OrderAnswer'
        """
        order = order_service.order_for(db.session, writer_of(client), order_id, lock=True)
        record_payment(
            db.session,
            order,
            amount=payload["amount"],
            method=METHODS[payload["method"]],
            paid_at=payload["paid_at"],
            reference=payload["reference"],
        )
        order_service.mark_day_changed(db.session, order.placed_at)
        return Answer(201, order_answer(order), order.id)

    @expose("/orders/<int:order_id>/status", methods=["POST"])
    @client_endpoint("can_change_status", writes=True, schema=s.StatusSchema)
    def change_status(self, client, payload, order_id):
        """Mark an order delivered or cancelled, following its allowed transitions.
        ---
        post:
          summary: Changer le statut d'une commande (livree, annulee)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/Status'
          responses:
            200:
              description: La commande après le changement
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/OrderAnswer'
        """
        order = order_service.order_for(db.session, writer_of(client), order_id, lock=True)
        order_service.change_status(db.session, order, m.OrderStatus(s.STATUSES[payload["status"]]))
        return Answer(200, order_answer(order), order.id)

    @expose("/orders/<int:order_id>/returns", methods=["POST"])
    @client_endpoint("can_return", writes=True, schema=s.ReturnSchema)
    def return_goods(self, client, payload, order_id):
        """Return goods of an order: the negative of what was stamped for those quantities.
        ---
        post:
          summary: Retour de marchandises (taxe = l'opposé de la taxe enregistrée)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/Return'
          responses:
            201:
              description: Le retour enregistré (lignes négatives)
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/OrderAnswer'
        """
        writer = writer_of(client)
        order = order_service.order_for(db.session, writer, order_id, lock=True)
        credit = return_goods(
            db.session,
            writer,
            order,
            [
                order_service.ReturnLineRequest(line["line_no"], line["quantity"])
                for line in payload["lines"]
            ],
            payload["returned_at"],
        )
        return Answer(201, order_answer(credit), credit.id)
