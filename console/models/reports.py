"""The archive of generated reports: every PDF and Excel file, with what produced it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.extensions import Model

from .labels import LabelledEnum
from .types import UTCDateTime, enum_column, utcnow


class ReportStatus(LabelledEnum):
    QUEUED = ("queued", "En file d'attente")
    RUNNING = ("running", "En cours")
    DONE = ("done", "Terminé")
    FAILED = ("failed", "Échec")


class ReportArchive(Model):
    """One generated (or queued) report file: parameters, requester, time and SHA-256.

    The file itself lives on disk under the reports folder (``storage_path`` is relative
    to it): a million-row workbook is tens of megabytes, which a database blob would
    copy into every backup and into memory on every download.
    """

    __tablename__ = "report_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short random code printed on the document; looked up by the verification page.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    report: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(8))
    parameters: Mapped[dict] = mapped_column(JSON)
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus), default=ReportStatus.QUEUED, index=True
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # console, cli
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    file_name: Mapped[str | None] = mapped_column(String(200))
    storage_path: Mapped[str | None] = mapped_column(String(300))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    row_count: Mapped[int | None] = mapped_column(Integer)
    job_id: Mapped[str | None] = mapped_column(String(64))

    @property
    def is_ready(self) -> bool:
        """The file exists and may be downloaded."""
        return self.status == ReportStatus.DONE and bool(self.storage_path)

    def __repr__(self) -> str:
        return f"{self.title} ({self.code})"
