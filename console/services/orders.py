"""Sales written one at a time (the integration API): quote, record, change status, read.

Domain code (SQLAlchemy, no Flask): the caller passes who writes (:class:`Writer`) and
plain requests; every refusal is collected before one :class:`Refused` is raised, and
nothing is written then. Lines are stamped by the one stamping function
(console.services.tax.stamping.stamp_order) at the sale's Bujumbura day; the answer to a
new order is built from the rows just written (the API's tests compare it with a read).

Line amounts: a line may state its ``amount`` (unit price × quantity as the seller's
till shows it); it must equal ``round_franc(unit_price × quantity)``, half-up to the
franc (console.services.money), or the line is refused: no other tolerance.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from console import models as m
from console.models.types import utcnow
from console.services import driver_sql, row_reads
from console.services.ebms.outbox import enqueue_cancellation, invoice_message
from console.services.facts_pending import mark_day_pending
from console.services.money import round_franc
from console.services.refusals import CONFLICT, FORBIDDEN, NOT_FOUND, Refusal, Refused, refuse
from console.services.row_inserts import insert_new
from console.services.sales import NOT_A_SALE
from console.services.tax.engine import RuleSpec
from console.services.tax.stamping import sale_day, stamp_order

# The largest line amount accepted: a trillion francs, far above any sale, far below the
# 64-bit columns that hold amounts.
MAX_LINE_AMOUNT = 10**12

# Clock skew allowed between a till and the server before a sale time is "in the future".
FUTURE_SKEW = dt.timedelta(minutes=5)

# Status changes an order may make, and the French reason when it may not.
TRANSITIONS: dict[m.OrderStatus, frozenset[m.OrderStatus]] = {
    m.OrderStatus.PLACED: frozenset({m.OrderStatus.DELIVERED, m.OrderStatus.CANCELLED}),
    m.OrderStatus.PAID: frozenset({m.OrderStatus.DELIVERED}),
    m.OrderStatus.DELIVERED: frozenset(),
    m.OrderStatus.CANCELLED: frozenset(),
}


# The reads of every order, built once (building them cost more than running them).
# A buyer named by kind and name (the counter customer when none is named): its id is
# read with the seller, in the same statement.
_BUYER_ID = (
    select(m.Buyer.id)
    .where(
        m.Buyer.kind == bindparam("buyer_kind"),
        m.Buyer.name == bindparam("buyer_name"),
        m.Buyer.cooperative_id.is_(None),
    )
    .order_by(m.Buyer.id)
    .limit(1)
    .scalar_subquery()
)
# The seller's columns (console.services.row_reads: detached rows, not ORM loading).
_SELLER = select(*row_reads.columns(m.Cooperative), _BUYER_ID).where(
    m.Cooperative.__table__.c.id == bindparam("seller_id")
)
_PRODUCT_COLUMNS = row_reads.columns(m.Product)
_LISTING_COLUMNS = row_reads.columns(m.Listing)


@functools.cache
def _products(dialect: str):
    """The products of a list of ids (built once per dialect)."""
    return select(*_PRODUCT_COLUMNS).where(row_reads.id_among(m.Product.__table__.c.id, dialect))


@functools.cache
def _listings(dialect: str):
    """The listings of a list of ids, each with its product (built once per dialect)."""
    listing = m.Listing.__table__
    return (
        select(*_LISTING_COLUMNS, *_PRODUCT_COLUMNS)
        .join(m.Product.__table__, m.Product.__table__.c.id == listing.c.product_id)
        .where(row_reads.id_among(listing.c.id, dialect))
    )


COUNTER_CUSTOMER = "Client de passage"


@dataclass(frozen=True)
class Writer:
    """Who writes: the API client's id and, for a tablet, the only cooperative it serves."""

    client_id: int | None
    cooperative_id: int | None  # None: any active seller (the storefront)


@dataclass(frozen=True)
class LineRequest:
    quantity: Decimal
    unit_price: int
    product_id: int | None = None
    listing_id: int | None = None
    amount: int | None = None  # optional: checked against round_franc(unit_price × quantity)


@dataclass(frozen=True)
class BuyerRequest:
    name: str
    kind: m.BuyerKind = m.BuyerKind.CONSUMER
    cooperative_id: int | None = None


@dataclass(frozen=True)
class OrderRequest:
    seller_id: int
    placed_at: dt.datetime
    lines: Sequence[LineRequest]
    prices_include_tax: bool = True
    buyer: BuyerRequest | None = None
    payment_method: m.PaymentMethod = m.PaymentMethod.CASH
    is_export: bool = False


@dataclass(frozen=True)
class ReturnLineRequest:
    line_no: int
    quantity: Decimal


@dataclass
class Checked:
    """The seller and each line's product (and listing) once every reference is checked,
    and the id of the buyer named by kind and name when it is already known."""

    seller: m.Cooperative
    buyer_id: int | None = None
    products: list[m.Product] = field(default_factory=list)
    listings: list[m.Listing | None] = field(default_factory=list)


def _named_buyer(request: BuyerRequest | None) -> BuyerRequest:
    """The buyer a request names; the counter customer when it names none."""
    if request is None:
        return BuyerRequest(name=COUNTER_CUSTOMER)
    return BuyerRequest(request.name.strip()[:200], request.kind, request.cooperative_id)


def _check_time(name: str, moment: dt.datetime, now: dt.datetime) -> list[Refusal]:
    if moment > now + FUTURE_SKEW:
        return [
            Refusal(
                name,
                moment.isoformat(),
                "La date est dans le futur : envoyez l'heure réelle de la vente.",
            )
        ]
    return []


def check_request(
    session: Session, writer: Writer, request: OrderRequest, now: dt.datetime
) -> Checked:
    """Resolve the seller, products and listings; every refusal at once (403 for another seller)."""
    buyer = _named_buyer(request.buyer)
    found = driver_sql.returning(
        session,
        _SELLER,
        [{"seller_id": request.seller_id, "buyer_kind": buyer.kind, "buyer_name": buyer.name}],
    )
    if not found:
        raise refuse("seller_id", request.seller_id, "Vendeur inconnu.", NOT_FOUND)
    seller, buyer_id = row_reads.detached(m.Cooperative, found[0][:-1]), found[0][-1]
    if writer.cooperative_id is not None and seller.id != writer.cooperative_id:
        raise refuse(
            "seller_id",
            request.seller_id,
            "Cette tablette n'enregistre que les ventes de sa propre coopérative.",
            FORBIDDEN,
        )
    refusals = _check_time("placed_at", request.placed_at, now)
    if seller.status != m.CooperativeStatus.ACTIVE:
        refusals.append(
            Refusal(
                "seller_id",
                seller.id,
                f"Le vendeur « {seller.name} » n'est pas actif ({seller.status.label}).",
            )
        )
    if not request.lines:
        refusals.append(Refusal("lines", [], "Une commande a au moins une ligne."))
    checked = Checked(seller, buyer_id)
    known = _references(session, request.lines)
    for i, line in enumerate(request.lines):
        where = f"lines.{i}"
        product, listing = _line_product(known, seller, line, where, refusals)
        checked.products.append(product)
        checked.listings.append(listing)
        if line.quantity <= 0:
            refusals.append(
                Refusal(
                    f"{where}.quantity", str(line.quantity), "La quantité doit être supérieure à 0."
                )
            )
        elif line.quantity != line.quantity.quantize(Decimal("0.001")):
            refusals.append(
                Refusal(
                    f"{where}.quantity", str(line.quantity), "La quantité a 3 décimales au plus."
                )
            )
        if line.unit_price < 0:
            refusals.append(
                Refusal(
                    f"{where}.unit_price", line.unit_price, "Le prix unitaire ne peut être négatif."
                )
            )
        elif line.quantity > 0:
            expected = round_franc(Decimal(line.unit_price) * line.quantity)
            if expected > MAX_LINE_AMOUNT:
                refusals.append(
                    Refusal(
                        f"{where}.quantity",
                        str(line.quantity),
                        f"Quantité × prix unitaire dépasse {MAX_LINE_AMOUNT} F : vérifiez la ligne.",
                    )
                )
            elif line.amount is not None and line.amount != expected:
                refusals.append(
                    Refusal(
                        f"{where}.amount",
                        line.amount,
                        f"Le montant ne correspond pas à quantité × prix unitaire : {expected} F attendus "
                        "(arrondi au franc le plus proche, 0,5 F vers le haut).",
                    )
                )
    if request.buyer and request.buyer.kind == m.BuyerKind.COOPERATIVE:
        if session.get(m.Cooperative, request.buyer.cooperative_id or 0) is None:
            refusals.append(
                Refusal(
                    "buyer.cooperative_id",
                    request.buyer.cooperative_id,
                    "Coopérative acheteuse inconnue.",
                )
            )
    if refusals:
        raise Refused(refusals)
    return checked


@dataclass(frozen=True)
class References:
    """The products and listings a request names, read with one query each."""

    products: dict[int, m.Product]
    listings: dict[int, m.Listing]


def _references(session: Session, lines: Sequence[LineRequest]) -> References:
    product_ids = {line.product_id for line in lines if line.product_id is not None}
    listing_ids = {line.listing_id for line in lines if line.listing_id is not None}
    dialect = session.get_bind().dialect.name
    listings: dict[int, m.Listing] = {}
    if listing_ids:
        width = len(_LISTING_COLUMNS)
        for row in driver_sql.returning(
            session, _listings(dialect), [{"ids": sorted(listing_ids)}]
        ):
            product = row_reads.detached(m.Product, row[width:])
            listing = row_reads.detached(m.Listing, row[:width], {"product": product})
            listings[listing.id] = listing
    product_ids -= {listing.product_id for listing in listings.values()}
    products = {listing.product.id: listing.product for listing in listings.values()}
    if product_ids:
        for row in driver_sql.returning(
            session, _products(dialect), [{"ids": sorted(product_ids)}]
        ):
            product = row_reads.detached(m.Product, row)
            products[product.id] = product
    return References(products, listings)


def _line_product(
    known: References, seller, line: LineRequest, where: str, refusals: list[Refusal]
):
    """The product of a line (by product or by listing) if it is the seller's, else a refusal."""
    listing = None
    if line.listing_id is not None:
        listing = known.listings.get(line.listing_id)
        if listing is None or listing.cooperative_id != seller.id:
            refusals.append(
                Refusal(f"{where}.listing_id", line.listing_id, "Offre inconnue pour ce vendeur.")
            )
            return None, None
        if listing.closed_at is not None:
            refusals.append(
                Refusal(f"{where}.listing_id", line.listing_id, "Cette offre est close.")
            )
        if line.product_id is not None and line.product_id != listing.product_id:
            refusals.append(
                Refusal(
                    f"{where}.product_id",
                    line.product_id,
                    "Le produit n'est pas celui de l'offre indiquée.",
                )
            )
        return listing.product, listing
    if line.product_id is None:
        refusals.append(
            Refusal(where, None, "Indiquez le produit (product_id) ou l'offre (listing_id).")
        )
        return None, None
    product = known.products.get(line.product_id)
    if product is None or product.cooperative_id != seller.id:
        refusals.append(
            Refusal(f"{where}.product_id", line.product_id, "Produit inconnu pour ce vendeur.")
        )
        return None, None
    return product, None


def _build(request: OrderRequest, checked: Checked) -> m.Order:
    """The order and its lines, not yet stamped nor added to the session."""
    order = m.Order(
        seller=checked.seller,
        placed_at=request.placed_at,
        prices_include_tax=request.prices_include_tax,
        is_export=request.is_export,
        payment_method=request.payment_method,
        status=m.OrderStatus.PLACED,
    )
    for number, (line, product, listing) in enumerate(
        zip(request.lines, checked.products, checked.listings, strict=True), start=1
    ):
        order.lines.append(
            m.OrderLine(
                line_no=number,
                product=product,  # its category is known: stamping reads nothing more
                listing=listing,
                unit_price=line.unit_price,
                quantity=line.quantity,
            )
        )
    return order


def quote(
    session: Session,
    writer: Writer,
    request: OrderRequest,
    now: dt.datetime | None = None,
    rules: Sequence[RuleSpec] | None = None,
) -> m.Order:
    """The order as it would be stamped, never added to the session: nothing is written."""
    checked = check_request(session, writer, request, now or utcnow())
    order = _build(request, checked)
    stamp_order(session, order, rules)
    return order


def _set_buyer(session: Session, order: m.Order, request: BuyerRequest | None, known: int | None):
    """The order's buyer: the one named in the request (found or created), or the counter
    customer; ``known`` is the id :func:`check_request` read for a buyer named by kind and name."""
    request = _named_buyer(request)
    if request.kind == m.BuyerKind.COOPERATIVE:
        buyer = session.scalars(
            select(m.Buyer).where(m.Buyer.cooperative_id == request.cooperative_id)
        ).first()
        if buyer is None:
            coop = session.get(m.Cooperative, request.cooperative_id)
            buyer = m.Buyer(
                kind=m.BuyerKind.COOPERATIVE,
                name=coop.name,
                cooperative_id=coop.id,
                province_id=coop.province_id,
            )
            session.add(buyer)
        order.buyer = buyer
    elif known is not None:
        order.buyer_id = known
    else:
        order.buyer = m.Buyer(kind=request.kind, name=request.name)
        session.add(order.buyer)


def new_reference(prefix: str = "API") -> str:
    """A unique order reference for an order written through the API."""
    return f"{prefix}-{utcnow():%Y%m%d}-{secrets.token_hex(5).upper()}"


def mark_day_changed(session: Session, moment: dt.datetime) -> None:
    """Queue the sale's Bujumbura day for the incremental refresh of the aggregates."""
    mark_day_pending(session, sale_day(moment))


def create_order(
    session: Session,
    writer: Writer,
    request: OrderRequest,
    now: dt.datetime | None = None,
    rules: Sequence[RuleSpec] | None = None,
) -> m.Order:
    """Check, stamp and write an order with its lines; never commits.

    One query each for the seller (with the buyer's id), the products (and listings) and
    the tax rules, then one INSERT … RETURNING each for the order, its lines and its eBMS invoice
    message, and one for their audit events (console.services.row_inserts: what a flush
    writes, without the unit of work's cost). The order returned is not in the session:
    it holds what was written, ids included. ``rules`` (the rules it was stamped with)
    lets the caller name each line's rule without reading them again.
    """
    with session.no_autoflush:
        checked = check_request(session, writer, request, now or utcnow())
        order = _build(request, checked)
        order.reference = new_reference()
        order.api_client_id = writer.client_id
        _set_buyer(session, order, request.buyer, checked.buyer_id)
        stamp_order(session, order, rules)
        message = invoice_message(session, order)  # OBR eBMS: same transaction
    if order.buyer_id is None and order.buyer in session.new:
        session.flush()  # a buyer seen for the first time: its id first
    insert_new(session, [order])
    insert_new(session, order.lines)
    if message is not None:
        insert_new(session, [message])
    mark_day_changed(session, order.placed_at)
    return order


def order_for(session: Session, writer: Writer, order_id: int, *, lock: bool = False) -> m.Order:
    """The writer's order, or 404 (another client's order is not found, as in the console)."""
    if not 0 < order_id < 2**31:
        raise refuse("order_id", order_id, "Commande introuvable.", NOT_FOUND)
    query = select(m.Order).where(m.Order.id == order_id)
    if lock:
        query = query.with_for_update()
    order = session.scalars(query).first()
    if order is None or order.api_client_id is None or order.api_client_id != writer.client_id:
        raise refuse("order_id", order_id, "Commande introuvable.", NOT_FOUND)
    return order


def change_status(session: Session, order: m.Order, new_status: m.OrderStatus) -> m.Order:
    """Move an order along its allowed transitions (a return cannot change status)."""
    allowed = TRANSITIONS[order.status] if order.returns_order_id is None else frozenset()
    if new_status == order.status:
        return order
    if new_status not in allowed:
        choices = ", ".join(sorted(s.label for s in allowed)) or "aucun"
        raise refuse(
            "status",
            new_status.value,
            f"Une commande « {order.status.label} » ne peut passer à « {new_status.label} » "
            f"(possible : {choices}).",
            CONFLICT,
        )
    if new_status == NOT_A_SALE and order.payments:
        raise refuse(
            "status",
            new_status.value,
            "Une commande qui a reçu un paiement ne peut être annulée : enregistrez un retour.",
            CONFLICT,
        )
    order.status = new_status
    mark_day_changed(session, order.placed_at)
    if new_status == NOT_A_SALE:  # OBR eBMS: cancel the registered invoice, same transaction
        enqueue_cancellation(session, order, "Commande annulée par le client de l'API")
    session.flush()
    return order


def returned_quantities(session: Session, order: m.Order) -> dict[int, Decimal]:
    """Quantity already returned per original line id."""
    rows = session.execute(
        select(m.OrderLine.returns_line_id, func.sum(m.OrderLine.quantity))
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(m.Order.returns_order_id == order.id)
        .group_by(m.OrderLine.returns_line_id)
    ).all()
    return {line_id: -Decimal(qty) for line_id, qty in rows}
