"""How far an import has got: its phase and the lines read and written, for the command
line's bar and for the journal's page of a running background import."""

from __future__ import annotations

import logging
import time
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError

from console.models.imports import ImportBatch

log = logging.getLogger("isoko.importers")

READ, WRITE, AGGREGATES = "lecture", "écriture", "agrégats"
PHASE_LABELS = {READ: "Lecture et contrôle", WRITE: "Écriture", AGGREGATES: "Tableaux de bord"}
# Phases that advance line by line, in order (the aggregates take no lines).
COUNTED = (READ, WRITE)
# How long a progress report may wait for a lock before it is skipped.
LOCK_TIMEOUT_MS = 200


class Progress(Protocol):
    """Told ``lines`` more lines of ``phase`` are done (0 when only the phase changes)."""

    def __call__(self, lines: int, phase: str = READ) -> None: ...


class BatchProgress:
    """Writes a running batch's phase and lines read and written, at most every few seconds.

    Written on a connection of its own, committed at once, so that the journal shows it
    while the import's own transaction is still open. A database that cannot take the
    write now (SQLite locked by the import's writes; the batch row locked by the import's
    own transaction as it finishes) is skipped: the next report retries.
    """

    def __init__(self, engine, batch_id: int, every_s: float = 2.0) -> None:
        self.engine = engine
        self.batch_id = batch_id
        self.every_s = every_s
        self.lines = dict.fromkeys(COUNTED, 0)
        self.phase = READ
        self._last = 0.0

    def __call__(self, lines: int, phase: str = READ) -> None:
        changed = phase != self.phase
        self.phase = phase
        if phase in self.lines:
            self.lines[phase] += lines
        now = time.monotonic()
        if changed or now - self._last >= self.every_s:
            self._last = now
            self.flush()

    def flush(self) -> None:
        values = {
            "phase": self.phase,
            "lines_read": self.lines[READ],
            "lines_written": self.lines[WRITE],
        }
        try:
            with self.engine.connect() as conn:
                # Never wait for the import's own locks: once its transaction has written the
                # batch row (at the end), waiting here would wait for ourselves.
                sqlite = conn.dialect.name == "sqlite"
                if sqlite:  # (restored before the pool gets the connection back)
                    waited = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                    conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                else:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
                try:
                    conn.execute(
                        update(ImportBatch.__table__)
                        .where(ImportBatch.__table__.c.id == self.batch_id)
                        .values(**values)
                    )
                    conn.commit()
                finally:
                    if sqlite:
                        conn.rollback()
                        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited or 0)}")
        except DBAPIError as exc:  # locked for now: the journal shows the previous figures
            log.debug("progression de l'import %s non enregistrée : %s", self.batch_id, exc)
