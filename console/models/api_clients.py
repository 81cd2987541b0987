"""Clients of the integration API (the storefront, the cooperatives' tablets), their calls
and the idempotency keys of their writes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .cooperatives import Cooperative
from .inventory import Device
from .labels import LabelledEnum
from .types import UTCDateTime, enum_column, utcnow


class ApiClientKind(LabelledEnum):
    STOREFRONT = ("vitrine", "Vitrine (boutique en ligne)")
    TABLET = ("tablette", "Tablette d'une coopérative")


class ApiClientState(LabelledEnum):
    ACTIVE = ("active", "Actif")
    REVOKED = ("revoked", "Révoqué")


class ApiClient(Model):
    """A caller of the integration API. Its secret is kept only as a SHA-256 hash.

    A tablet client writes the sales of one cooperative, from one device; the storefront
    writes for any active seller.
    """

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[ApiClientKind] = mapped_column(enum_column(ApiClientKind))
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperative.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"), index=True)
    state: Mapped[ApiClientState] = mapped_column(
        enum_column(ApiClientState), default=ApiClientState.ACTIVE
    )
    # The public half of the token (``isk_<key_id>.<secret>``): finds the client to check.
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by_fk: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    cooperative: Mapped[Cooperative | None] = relationship()
    device: Mapped[Device | None] = relationship()
    created_by = relationship("User", foreign_keys=[created_by_fk])

    def __repr__(self) -> str:
        return self.name


class ApiCall(Model):
    """One call of the integration API, kept for audit: who, what, which key, how it ended."""

    __tablename__ = "api_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("api_client.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    method: Mapped[str] = mapped_column(String(8))
    endpoint: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(200))
    order_id: Mapped[int | None] = mapped_column(Integer)

    client: Mapped[ApiClient | None] = relationship()


class ApiIdempotencyKey(Model):
    """The first answer to a write, kept under its client and key to answer retries alike.

    The unique constraint is what makes concurrent retries safe: the second insert of
    the same (client, key) fails, and that request waits for and returns the first answer.
    """

    __tablename__ = "api_idempotency_key"
    __table_args__ = (UniqueConstraint("client_id", "key", name="uq_api_idempotency_client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id"))
    key: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
