"""Import batches: who imported which file, with what outcome, and which rows it wrote."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .labels import LabelledEnum
from .types import UTCDateTime, enum_column, utcnow


class ImportOutcome(LabelledEnum):
    QUEUED = ("queued", "En file d'attente")
    RUNNING = ("running", "En cours")
    APPLIED = ("applied", "Importé")
    DRY_RUN = ("dry_run", "Simulation (rien écrit)")
    REJECTED = ("rejected", "Refusé : erreurs dans le fichier")
    FAILED = ("failed", "Échec technique (rien écrit)")


class ImportBatch(Model):
    """One attempt to import one file: logged whatever its outcome."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(30), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_size: Mapped[int] = mapped_column(Integer, default=0)
    sheet: Mapped[str | None] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), index=True
    )
    username: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # console, cli, job
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[ImportOutcome] = mapped_column(enum_column(ImportOutcome), index=True)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # [[row, column, value, message], …], capped (importers.errors.KEPT_ERRORS).
    errors: Mapped[list | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)
    # What the import told without refusing anything (heading row used, columns ignored,
    # totals rows skipped), in French.
    notices: Mapped[list | None] = mapped_column(JSON)
    # A running import's phase and lines so far (importers.progress), shown in the journal.
    phase: Mapped[str | None] = mapped_column(String(20))
    lines_read: Mapped[int | None] = mapped_column(Integer)
    lines_written: Mapped[int | None] = mapped_column(Integer)

    rows = relationship("ImportBatchRow", back_populates="batch", passive_deletes=True)

    def __repr__(self) -> str:
        return f"Import n°{self.id} ({self.dataset})"


class ImportBatchRow(Model):
    """Rows a batch wrote to a table: an id range (first = last for a single row)."""

    __tablename__ = "import_batch_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True
    )
    table_name: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(10))  # insert, update
    row_id_from: Mapped[int] = mapped_column(Integer)
    row_id_to: Mapped[int] = mapped_column(Integer)

    batch: Mapped[ImportBatch] = relationship(back_populates="rows")

    __table_args__ = (Index("ix_import_batch_row_table_row", "table_name", "row_id_from"),)
