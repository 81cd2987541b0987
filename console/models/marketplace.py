"""The marketplace: value chains, products, listings, buyers, orders and payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .cooperatives import Cooperative
from .geography import Province
from .labels import LabelledEnum
from .types import Money, Quantity, Rate, UTCDateTime, enum_column


def text_search_index(table: str, column: str) -> Index:
    """A trigram index for the console's text searches (starts with, contains, ends with).

    FAB searches with ILIKE, which no B-tree serves: on PostgreSQL a GIN index of
    trigrams (pg_trgm, created by migration 0009) answers in milliseconds where a
    sequential scan of half a million orders took 150 ms. SQLite gets a plain index.
    """
    return Index(
        f"ix_{table}_{column}_trgm",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    )


class ValueChain(Model):
    """A value chain (filière): coffee, rice, beans, milk, palm oil…"""

    __tablename__ = "value_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))

    def __repr__(self) -> str:
        return self.name


class Category(Model):
    """A product category inside a value chain; tax rules may be scoped to one."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    value_chain_id: Mapped[int] = mapped_column(ForeignKey("value_chain.id"), index=True)
    # Unprocessed farm, livestock and fishery produce may take the reduced VAT rate.
    is_processed: Mapped[bool] = mapped_column(Boolean, default=False)
    is_raw_material: Mapped[bool] = mapped_column(Boolean, default=False)

    value_chain: Mapped[ValueChain] = relationship()

    def __repr__(self) -> str:
        return self.name


class Unit(Model):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(40))

    def __repr__(self) -> str:
        return self.name


class Product(Model):
    """A product that a seller offers."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))

    cooperative: Mapped[Cooperative] = relationship()
    category: Mapped[Category] = relationship()
    unit: Mapped[Unit] = relationship()

    def __repr__(self) -> str:
        return self.name


class Listing(Model):
    """An offer of a quantity at a price; mévente is what stays unsold."""

    __tablename__ = "listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), index=True)
    quantity_offered: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[int] = mapped_column(Money)
    listed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()
    cooperative: Mapped[Cooperative] = relationship()


class BuyerKind(LabelledEnum):
    CONSUMER = ("consumer", "Particulier")
    BUSINESS = ("business", "Entreprise")
    COOPERATIVE = ("cooperative", "Coopérative")


class Buyer(Model):
    """Who buys: a consumer, a business, or a cooperative buying raw materials."""

    __tablename__ = "buyer"
    # The trigram index serves searches; the plain one, the API's lookup of a buyer by
    # name at each order (console.services.orders).
    __table_args__ = (text_search_index("buyer", "name"), Index("ix_buyer_name", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BuyerKind] = mapped_column(enum_column(BuyerKind))
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="BI")  # ISO 3166-1 alpha-2
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"))
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperative.id"), unique=True)

    province: Mapped[Province | None] = relationship()
    cooperative: Mapped[Cooperative | None] = relationship()

    def __repr__(self) -> str:
        return self.name


class OrderStatus(LabelledEnum):
    PLACED = ("placed", "Passée")
    PAID = ("paid", "Payée")
    DELIVERED = ("delivered", "Livrée")
    CANCELLED = ("cancelled", "Annulée")


class PaymentMethod(LabelledEnum):
    """OBR eBMS payment types: 1 cash, 2 bank, 3 credit, 4 other."""

    CASH = ("1", "Espèces")
    BANK = ("2", "Banque")
    CREDIT = ("3", "Crédit")
    OTHER = ("4", "Autre (mobile money…)")


class Order(Model):
    """An order from one buyer to one seller."""

    __tablename__ = "sale_order"
    __table_args__ = (text_search_index("sale_order", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyer.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), index=True)
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus), default=OrderStatus.PLACED
    )
    is_export: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_method: Mapped[PaymentMethod] = mapped_column(
        enum_column(PaymentMethod), default=PaymentMethod.CASH
    )
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=True)
    # A return of goods is an order of its own, dated when the goods came back, whose
    # negative lines undo the original's stamps (console.services.returns).
    returns_order_id: Mapped[int | None] = mapped_column(ForeignKey("sale_order.id"), index=True)
    # The integration API client that wrote the order (None: imported or seeded).
    api_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_client.id"), index=True)

    buyer: Mapped[Buyer] = relationship()
    seller: Mapped[Cooperative] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.line_no", foreign_keys="OrderLine.order_id"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="order")
    ebms_messages = relationship("InvoiceMessage", viewonly=True, order_by="InvoiceMessage.id")

    def __repr__(self) -> str:
        return self.reference

    def obr_registration(self) -> str:
        """The OBR registration of the order's invoice: number, date and electronic signature."""
        from console.formatting import format_datetime

        invoice = next((msg for msg in self.ebms_messages if msg.kind.value == "FN"), None)
        if invoice is None:
            return "Non transmise (vendeur hors eBMS)"
        if invoice.obr_number is None:
            return f"{invoice.state.label} — {invoice.last_message or 'pas encore envoyée'}"
        return (
            f"N° {invoice.obr_number} du {format_datetime(invoice.obr_registered_at)} — "
            f"signature {invoice.obr_signature}"
        )


class OrderLine(Model):
    """One line of an order, stamped at sale time with the tax rule and rate applied.

    The stamp (tax_rule_id, tax_rate, net, tax, gross) never changes afterwards: a
    rule change affects only later sales.
    """

    __tablename__ = "order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sale_order.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[int] = mapped_column(Money)
    net: Mapped[int] = mapped_column(Money)
    tax: Mapped[int] = mapped_column(Money)
    gross: Mapped[int] = mapped_column(Money)
    tax_rule_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rule.id"), index=True)
    tax_rate: Mapped[Decimal] = mapped_column(Rate)
    tax_note: Mapped[str | None] = mapped_column(String(200))
    # On a return's line: the original line whose goods came back.
    returns_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id"), index=True)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
    listing: Mapped[Listing | None] = relationship()
    tax_rule = relationship("TaxRule")

    __table_args__ = (UniqueConstraint("order_id", "line_no", name="uq_order_line_no"),)


class Payment(Model):
    """Money received for an order, with the tax part it collects."""

    __tablename__ = "payment"
    __table_args__ = (text_search_index("payment", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("sale_order.id", ondelete="CASCADE"), index=True
    )
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    amount: Mapped[int] = mapped_column(Money)
    tax_amount: Mapped[int] = mapped_column(Money, default=0)
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod))
    reference: Mapped[str | None] = mapped_column(String(60), unique=True)

    order: Mapped[Order] = relationship(back_populates="payments")
