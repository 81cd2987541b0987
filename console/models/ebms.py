"""OBR eBMS transmission: the outbox of invoice messages, and OBR's verdict on NIFs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .labels import LabelledEnum
from .marketplace import Order
from .types import Money, UTCDateTime, enum_column, utcnow


class MessageKind(LabelledEnum):
    """What a message asks of OBR (eBMS invoice types, plus a cancellation)."""

    INVOICE = ("FN", "Facture normale")
    CREDIT_NOTE = ("FA", "Facture d'avoir")
    CANCELLATION = ("cancel", "Annulation")


class MessageState(LabelledEnum):
    PENDING = ("pending", "En attente")
    REGISTERED = ("registered", "Enregistrée par l'OBR")
    REFUSED = ("refused", "Refusée par l'OBR")


class InvoiceMessage(Model):
    """One invoice (or credit note, or cancellation) to register with OBR: the outbox row.

    Written in the transaction that stamps the order, so a committed sale always has its
    message. ``identifier`` and ``payload`` are fixed at the first send (built from the
    stamped lines) and reused by every retry, so OBR's duplicate check makes a retry
    harmless; « Renvoyer » after a refusal rebuilds them from the corrected record.
    """

    __tablename__ = "ebms_message"
    __table_args__ = (
        UniqueConstraint("kind", "number", name="uq_ebms_message_kind_number"),
        Index("ix_ebms_message_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("sale_order.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind))
    number: Mapped[str] = mapped_column(String(80))  # invoice_number sent to OBR
    invoice_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime
    )  # invoice_date (shown in Bujumbura time)
    ref_number: Mapped[str | None] = mapped_column(
        String(80)
    )  # FA/cancellation: the original invoice
    reason: Mapped[str | None] = mapped_column(String(200))  # cn_motif
    line_ids: Mapped[list | None] = mapped_column(JSON)  # FA: the lines credited (None: all)
    tax: Mapped[int] = mapped_column(Money, default=0)  # sum of the stamped VAT of its lines
    identifier: Mapped[str | None] = mapped_column(String(160), index=True)
    payload: Mapped[dict | None] = mapped_column(JSON)  # the fields last sent
    state: Mapped[MessageState] = mapped_column(
        enum_column(MessageState), default=MessageState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # a worker's lease
    # The last attempt may have reached OBR (timeout, cut connection): ask getInvoice first.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    obr_number: Mapped[str | None] = mapped_column(String(40))
    obr_registered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    obr_signature: Mapped[str | None] = mapped_column(String(200))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_message: Mapped[str | None] = mapped_column(Text)
    last_answer: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # registered or refused

    order: Mapped[Order] = relationship()

    def __repr__(self) -> str:
        return f"{self.kind.value} {self.number}"


class TinVerification(Model):
    """OBR's answer to checkTIN for a seller's NIF, kept with its date."""

    __tablename__ = "ebms_tin_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperative.id", ondelete="CASCADE"), index=True
    )
    nif: Mapped[str] = mapped_column(String(20))
    known: Mapped[bool | None] = mapped_column(Boolean)  # None: OBR could not be asked
    obr_name: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    cooperative = relationship("Cooperative")
