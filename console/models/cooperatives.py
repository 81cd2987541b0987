"""Sellers: cooperatives under law n°1/12 of 28 June 2017, and individual entrepreneurs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .geography import Commune, Province
from .labels import LabelledEnum
from .types import UTCDateTime, enum_column, utcnow


class SellerKind(LabelledEnum):
    COOPERATIVE = ("cooperative", "Coopérative")
    ENTREPRENEUR = ("entrepreneur", "Entrepreneur individuel")


class CooperativeCategory(LabelledEnum):
    """Categories of article 8 of law n°1/12 of 28 June 2017."""

    PRODUCTION = ("production", "Production (agriculture, élevage, transformation)")
    MARKETING = ("marketing", "Commercialisation et consommation")
    SAVINGS_CREDIT = ("savings_credit", "Épargne et crédit")
    SERVICES = ("services", "Services")
    MINING = ("mining", "Mines")
    MULTIFUNCTIONAL = ("multifunctional", "Multifonctionnelle")


class CooperativeStatus(LabelledEnum):
    ACTIVE = ("active", "Active")
    SUSPENDED = ("suspended", "Suspendue")
    DISSOLVED = ("dissolved", "Dissoute")


cooperative_value_chain = Table(
    "cooperative_value_chain",
    Model.metadata,
    Column(
        "cooperative_id",
        Integer,
        ForeignKey("cooperative.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "value_chain_id",
        Integer,
        ForeignKey("value_chain.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Cooperative(Model):
    """A seller on the platform: a cooperative or an individual entrepreneur."""

    __tablename__ = "cooperative"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    acronym: Mapped[str | None] = mapped_column(String(40))
    seller_kind: Mapped[SellerKind] = mapped_column(
        enum_column(SellerKind), default=SellerKind.COOPERATIVE
    )
    category: Mapped[CooperativeCategory] = mapped_column(
        enum_column(CooperativeCategory), default=CooperativeCategory.PRODUCTION
    )
    # Location under both maps: the 2015 province recorded at registration and the
    # 2025 province of its commune. Province scoping accepts either.
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    province_2025_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"), index=True)
    founded_on: Mapped[dt.date | None] = mapped_column(Date)
    members_total: Mapped[int] = mapped_column(Integer, default=0)
    members_women: Mapped[int] = mapped_column(Integer, default=0)
    members_youth: Mapped[int] = mapped_column(Integer, default=0)
    nif: Mapped[str | None] = mapped_column(String(20), index=True)
    trade_register_number: Mapped[str | None] = mapped_column(String(40))
    vat_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    # OBR eBMS: None follows ISOKO_EBMS_TRANSMIT_SELLERS; True/False is an administrator's override.
    ebms_transmit: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[CooperativeStatus] = mapped_column(
        enum_column(CooperativeStatus), default=CooperativeStatus.ACTIVE, index=True
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    is_pioneer: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    province: Mapped[Province] = relationship(foreign_keys=[province_id])
    province_2025: Mapped[Province] = relationship(foreign_keys=[province_2025_id])
    commune: Mapped[Commune | None] = relationship()
    value_chains = relationship("ValueChain", secondary=cooperative_value_chain, lazy="selectin")
    tin_checks = relationship("TinVerification", viewonly=True, order_by="TinVerification.id")

    def __repr__(self) -> str:
        return self.name

    def obr_tin_check(self) -> str:
        """OBR's last verdict on the NIF (checkTIN), with its date."""
        from console.formatting import format_datetime

        if not self.tin_checks:
            return "Jamais vérifié" if self.nif else "Pas de NIF"
        last = self.tin_checks[-1]
        if last.known is None:
            return f"{last.message} (depuis le {format_datetime(last.checked_at)})"
        verdict = (
            f"Connu de l'OBR : {last.obr_name}"
            if last.known
            else f"Inconnu de l'OBR : {last.message}"
        )
        return f"{verdict} — vérifié le {format_datetime(last.checked_at)} (NIF {last.nif})"
