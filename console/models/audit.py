"""The append-only audit trail: who changed which row of which table, when and how."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from console.extensions import Model

from .types import UTCDateTime, utcnow


class AuditEvent(Model):
    """Written by console.services.audit for every change; never updated or deleted."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    username: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # console, import, cli
    table_name: Mapped[str] = mapped_column(String(60), index=True)
    row_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(10))  # insert, update, delete
    changes: Mapped[dict | None] = mapped_column(JSON)

    @property
    def record(self) -> tuple[str, int | None]:
        """Which row the event is about: (table name, row id)."""
        return self.table_name, self.row_id
