"""Order lines, set-wise: checked by columns in chunks, staged through COPY, upserted in SQL.

The file is read by chunks of rows (a CSV through importers.reading.iter_data_chunks, a
workbook through its row iterator) so memory stays flat whatever its size. Each chunk
is checked column by column (importers.orders_chunk: the same parsers, references and
tax engine as line by line, the same errors in the same order) and its valid lines
go to a temporary staging table — one COPY block per chunk on PostgreSQL, chunked
``executemany`` on SQLite. Duplicates, order-level consistency and conflicts with stored
orders are then found set-wise, and orders and lines are written with one
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE <changed>`` per table, fed only the
new or changed rows (importers.orders_sql). Each batch writes one audit event (per-row
events would double the cost of a million-line load; the batch's trace still names
every row written).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.services.ebms.outbox import enqueue_orders

from .batches import record_bulk_audit, record_trace
from .cells import is_blank
from .errors import ErrorLog, FileRefused
from .headers import normalise
from .heading_row import TOTAL_WORDS, HeaderMap, is_total_row, total_row_notice
from .orders_chunk import Lookups, process_chunk
from .orders_sql import Sql, check_lines, create_buyers, fill_buyers, plan, record_ranges, upsert
from .orders_stage import Stager, create_stage, drop_stage
from .progress import READ, WRITE
from .reading import RowChunk, chunked, iter_data_chunks, without_rows
from .schema import Dataset

if TYPE_CHECKING:
    from .command import ImportInput

# Rows per chunk: large enough that per-chunk costs (distinct cells, rule table) vanish,
# small enough that a chunk's arrays stay a few megabytes.
CHUNK_ROWS = 50_000
NO_ROWS = "Aucune ligne de données sous la ligne d'en-têtes."
# Hash joins and aggregates over a million staged lines stay in memory (this transaction
# only), and so do the staging tables, when the connection has not used temporary tables
# yet (PostgreSQL fixes temp_buffers at the first use; the memory is taken as needed).
WORK_MEM = "256MB"
TEMP_BUFFERS = "256MB"


@dataclass
class BulkResult:
    counts: tuple[int, int, int, int]
    written: Callable[[int], None]
    details: dict = field(default_factory=dict)
    # Aggregates to recompute from this day on (None: every day, as for other datasets).
    refresh_since: dt.date | None = None


def _nothing(batch_id: int) -> None:
    return None


def _without_totals(
    chunk: RowChunk, dataset: Dataset, header: HeaderMap, errors: ErrorLog
) -> RowChunk:
    """The chunk less its totals rows (« TOTAL », sums), each skipped with a notice.

    Only rows whose order reference is blank or a total word are looked at closely.
    """
    position = header.positions["order_reference"]

    def cells_of(i: int) -> list:
        return (
            [column[i] for column in chunk.columns] if chunk.columns is not None else chunk.rows[i]
        )

    if chunk.columns is not None:
        references = chunk.columns[position]
    else:
        references = [cells[position] if position < len(cells) else None for cells in chunk.rows]
    suspects = [
        i
        for i, cell in enumerate(references)
        if is_blank(cell) or (isinstance(cell, str) and normalise(cell) in TOTAL_WORDS)
    ]
    dropped = [i for i in suspects if is_total_row(dataset, header, cells_of(i))]
    for i in dropped:
        errors.notice(total_row_notice(int(chunk.numbers[i])))
    return without_rows(chunk, dropped) if dropped else chunk


def import_order_lines(work: ImportInput) -> BulkResult:
    """Stage, check and (unless errors or dry run) upsert the order lines of a file."""
    session, request, header, errors, progress = (
        work.session,
        work.request,
        work.header,
        work.errors,
        work.progress,
    )
    dataset, facts = work.dataset, work.facts
    sql = Sql(session.get_bind().dialect.name)
    if sql.pg:
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        try:
            with session.begin_nested():
                session.execute(text(f"SET LOCAL temp_buffers = '{TEMP_BUFFERS}'"))
        except DBAPIError:
            pass  # this connection's temporary buffers are already sized: keep them
    create_stage(session)
    lookups = Lookups(session, work.refs)
    if facts.kind == "csv":
        work.rows.close()  # the header is known: read the data rows again, by chunks
        chunks, texts = (
            iter_data_chunks(request.path, facts, CHUNK_ROWS, header_row=header.row),
            True,
        )
    else:
        chunks, texts = chunked(work.rows, CHUNK_ROWS), False
    stager = Stager(session)
    total = 0
    # Millions of short-lived strings and tuples, no reference cycle: the cyclic garbage
    # collector would only rescan them, for a third of the parsing time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for chunk in chunks:
            read = len(chunk)
            chunk = _without_totals(chunk, dataset, header, errors)
            total += len(chunk)
            stager.add(process_chunk(chunk, dataset, header, work.width, texts, lookups, errors))
            if progress:
                progress(read, READ)
    except BaseException:
        stager.close(failed=True)
        raise
    finally:
        if collecting:
            gc.enable()
    stager.close()
    if total == 0:
        raise FileRefused(NO_ROWS)
    if not sql.pg:
        session.execute(
            text("CREATE INDEX imp_order_line_key ON imp_order_line (reference, line_no)")
        )
    check_lines(session, sql, header, errors)
    if errors:
        return BulkResult((total, 0, 0, 0), _nothing)
    if progress and not request.dry_run:
        progress(0, WRITE)  # the write phase's rate counts from here
    buyer_ids = [] if request.dry_run else create_buyers(session, lookups)
    fill_buyers(session, sql, lookups)
    planned = plan(session, sql)
    created, updated = planned.lines_created, planned.lines_updated
    counts = (total, created, updated, total - created - updated)
    details = {"acheteurs créés": len(lookups.new_buyers)}
    if request.dry_run:
        return BulkResult(counts, _nothing, details)
    details.update(
        {
            "commandes créées": planned.orders_created,
            "commandes mises à jour": planned.orders_updated,
        }
    )
    ranges = upsert(session, sql, planned) if created or updated else []
    if progress:
        progress(total, WRITE)
    # Each new sale's OBR invoice joins the outbox in the import's transaction.
    for table, action, low, high in ranges:
        if table == "sale_order" and action == "insert":
            enqueue_orders(session, low, high)
    summary = {
        "lines_created": created,
        "lines_updated": updated,
        "buyers_created": len(buyer_ids),
        "orders_created": planned.orders_created,
        "orders_updated": planned.orders_updated,
    }

    def trace(batch_id: int) -> None:
        record_trace(session, batch_id, {("buyer", "insert"): buyer_ids} if buyer_ids else {})
        record_ranges(session, batch_id, ranges)
        if created or updated or buyer_ids:
            record_bulk_audit(session, work.actor, "order_line", batch_id, summary)
        drop_stage(session)

    return BulkResult(counts, trace, details, refresh_since=planned.first_day)
