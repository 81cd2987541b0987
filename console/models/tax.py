"""Tax rules with validity periods, and the remittances sellers make to OBR."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .cooperatives import Cooperative
from .labels import LabelledEnum
from .marketplace import Category
from .types import Money, Rate, UTCDateTime, enum_column, utcnow


class TaxKind(LabelledEnum):
    VAT = ("vat", "TVA")
    WITHHOLDING = ("withholding", "Retenue à la source")
    OTHER = ("other", "Autre taxe")


class TaxBase(LabelledEnum):
    """What a rule's rate applies to."""

    SALE = ("sale", "Ventes (montant hors taxe)")
    DIVIDEND = ("dividend", "Dividendes versés aux membres")


class SellerCondition(LabelledEnum):
    ANY = ("any", "Tout vendeur")
    VAT_REGISTERED = ("vat_registered", "Vendeur assujetti à la TVA")


class TaxRule(Model):
    """A rate in force from valid_from to valid_to (inclusive), for one category or all.

    A category-scoped rule wins over an all-categories rule of the same kind. Rates
    and exemptions are data (DOMAIN.md: the exact lists are unconfirmed).
    """

    __tablename__ = "tax_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[TaxKind] = mapped_column(enum_column(TaxKind), index=True)
    base: Mapped[TaxBase] = mapped_column(enum_column(TaxBase), default=TaxBase.SALE)
    rate: Mapped[Decimal] = mapped_column(Rate)
    is_exemption: Mapped[bool] = mapped_column(Boolean, default=False)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    seller_condition: Mapped[SellerCondition] = mapped_column(
        enum_column(SellerCondition), default=SellerCondition.VAT_REGISTERED
    )
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    # Days after the end of the declared period by which the tax must reach OBR.
    remittance_deadline_days: Mapped[int] = mapped_column(Integer, default=15)
    legal_reference: Mapped[str | None] = mapped_column(Text)

    category: Mapped[Category | None] = relationship()

    def __repr__(self) -> str:
        return f"{self.code} ({self.rate * 100:.2f} %)" if self.rate is not None else self.code


class TaxRemittance(Model):
    """A payment by a seller to OBR for a period, evidenced by an OBR receipt."""

    __tablename__ = "tax_remittance"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), index=True)
    tax_kind: Mapped[TaxKind] = mapped_column(enum_column(TaxKind), default=TaxKind.VAT)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Money)
    obr_receipt_ref: Mapped[str] = mapped_column(String(60), unique=True)
    remitted_on: Mapped[dt.date] = mapped_column(Date, index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    cooperative: Mapped[Cooperative] = relationship()
