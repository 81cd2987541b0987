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

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from console.services.ebms_outbox import enqueue_orders

from .batches import record_bulk_audit, record_trace
from .errors import ErrorLog, FileRefused
from .orders_chunk import Lookups, process_chunk
from .orders_sql import Sql, check_lines, create_buyers, fill_buyers, plan, record_ranges, upsert
from .orders_stage import Stager, create_stage, drop_stage
from .reading import FileFacts, chunked, iter_data_chunks
from .references import References
from .schema import HeaderMap

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


def import_order_lines(session: Session, request, rows, header: HeaderMap, width, refs: References,
                       errors: ErrorLog, progress, actor, facts: FileFacts | None = None) -> BulkResult:
    """Stage, check and (unless errors or dry run) upsert the order lines of a file."""
    from .datasets.orders import DATASET

    sql = Sql(session.get_bind().dialect.name)
    if sql.pg:
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        try:
            with session.begin_nested():
                session.execute(text(f"SET LOCAL temp_buffers = '{TEMP_BUFFERS}'"))
        except DBAPIError:
            pass  # this connection's temporary buffers are already sized: keep them
    create_stage(session)
    lookups = Lookups(session, refs)
    if facts is not None and facts.kind == "csv":
        rows.close()  # the header is known: read the data rows again, by chunks
        chunks, texts = iter_data_chunks(request.path, facts, CHUNK_ROWS), True
    else:
        chunks, texts = chunked(rows, CHUNK_ROWS), False
    stager = Stager(session)
    total = 0
    # Millions of short-lived strings and tuples, no reference cycle: the cyclic garbage
    # collector would only rescan them, for a third of the parsing time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for chunk in chunks:
            total += len(chunk)
            stager.add(process_chunk(chunk, DATASET, header, width, texts, lookups, errors))
            if progress:
                progress(len(chunk))
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
        session.execute(text("CREATE INDEX imp_order_line_key ON imp_order_line (reference, line_no)"))
    check_lines(session, sql, header, errors)
    if errors:
        return BulkResult((total, 0, 0, 0), _nothing)
    buyer_ids = [] if request.dry_run else create_buyers(session, lookups)
    fill_buyers(session, sql, lookups)
    planned = plan(session, sql)
    created, updated = planned.lines_created, planned.lines_updated
    counts = (total, created, updated, total - created - updated)
    details = {"acheteurs créés": len(lookups.new_buyers)}
    if request.dry_run:
        return BulkResult(counts, _nothing, details)
    details.update({"commandes créées": planned.orders_created, "commandes mises à jour": planned.orders_updated})
    ranges = upsert(session, sql, planned) if created or updated else []
    # Each new sale's OBR invoice joins the outbox in the import's transaction.
    for table, action, low, high in ranges:
        if table == "sale_order" and action == "insert":
            enqueue_orders(session, low, high)
    summary = {"lines_created": created, "lines_updated": updated, "buyers_created": len(buyer_ids),
               "orders_created": planned.orders_created, "orders_updated": planned.orders_updated}

    def trace(batch_id: int) -> None:
        record_trace(session, batch_id, {("buyer", "insert"): buyer_ids} if buyer_ids else {})
        record_ranges(session, batch_id, ranges)
        if created or updated or buyer_ids:
            record_bulk_audit(session, actor, "order_line", batch_id, summary)
        drop_stage(session)

    return BulkResult(counts, trace, details, refresh_since=planned.first_day)
