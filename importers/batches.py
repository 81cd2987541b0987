"""The import log: one ImportBatch per attempt, and the id ranges each batch wrote."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, text, update
from sqlalchemy.orm import Session

from console.models.audit import AuditEvent
from console.models.imports import ImportBatch, ImportBatchRow
from console.models.types import utcnow

from .errors import ErrorLog


def id_ranges(ids: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive ids folded into (first, last) ranges: [1, 2, 3, 7] → [(1, 3), (7, 7)]."""
    ranges: list[tuple[int, int]] = []
    for row_id in sorted(set(ids)):
        if ranges and row_id == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], row_id)
        else:
            ranges.append((row_id, row_id))
    return ranges


def record_batch(session: Session, *, batch_id: int | None = None, **fields) -> int:
    """Insert the batch (or update a queued one) with Core: the log itself is not audited."""
    table = ImportBatch.__table__
    if "errors_log" in fields:
        log: ErrorLog = fields.pop("errors_log")
        fields["errors"] = [e.as_list() for e in log.sorted()] or None
        fields["error_count"] = log.count
    fields.setdefault("finished_at", utcnow())
    if batch_id is not None:
        session.execute(update(table).where(table.c.id == batch_id).values(**fields))
        return batch_id
    fields.setdefault("started_at", utcnow())
    for name in ("rows_total", "created", "updated", "unchanged", "error_count"):
        fields.setdefault(name, 0)
    return session.execute(insert(table).values(**fields).returning(table.c.id)).scalar_one()


def record_trace(
    session: Session, batch_id: int, written: dict[tuple[str, str], list[int]]
) -> None:
    """Store which rows of which table the batch inserted or updated, as id ranges."""
    rows = [
        {
            "batch_id": batch_id,
            "table_name": table,
            "action": action,
            "row_id_from": first,
            "row_id_to": last,
        }
        for (table, action), ids in written.items()
        for first, last in id_ranges(ids)
    ]
    if rows:
        session.execute(insert(ImportBatchRow.__table__), rows)


def record_trace_query(
    session: Session,
    batch_id: int,
    table: str,
    action: str,
    ids_sql: str,
    params: dict | None = None,
) -> None:
    """Same as record_trace, set-wise: ``ids_sql`` selects a column ``id``; ranges folded in SQL."""
    session.execute(
        text(f"""
        INSERT INTO import_batch_row (batch_id, table_name, action, row_id_from, row_id_to)
        SELECT :batch_id, :table_name, :action, MIN(id), MAX(id)
        FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS island FROM ({ids_sql}) AS ids) AS t
        GROUP BY island
    """),
        {"batch_id": batch_id, "table_name": table, "action": action, **(params or {})},
    )


def record_bulk_audit(session: Session, actor, table: str, batch_id: int, summary: dict) -> None:
    """One audit event for a set-wise batch (per-row events would double a million-row load)."""
    session.execute(
        insert(AuditEvent.__table__).values(
            at=utcnow(),
            user_id=actor.user_id,
            username=actor.username,
            source=actor.source,
            table_name=table,
            row_id=None,
            action="import",
            changes={"import_batch_id": batch_id, **summary},
        )
    )


def rows_of_batch(session: Session, batch_id: int) -> list[ImportBatchRow]:
    """The id ranges a batch wrote."""
    return list(
        session.query(ImportBatchRow).filter_by(batch_id=batch_id).order_by(ImportBatchRow.id)
    )
