"""Bulk-load generated frames inside the caller's transaction.

PostgreSQL: COPY … FROM STDIN (CSV) through psycopg 3, in large chunks, then the id
sequences are moved past the explicit ids and the tables analysed. SQLite: Core
executemany in chunks. Values are converted from each column's SQLAlchemy type;
datetimes arrive as naive UTC (how UTCDateTime stores them).
"""

from __future__ import annotations

import datetime as dt
import io
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Date, Integer, MetaData, Numeric, Table
from sqlalchemy.engine import Connection

from console.models.types import UTCDateTime

COPY_CHUNK_ROWS = 100_000
SQLITE_CHUNK_ROWS = 5_000
DETACH_ROWS = 50_000  # tables this big are loaded without their indexes and foreign keys


def _is_datetime(column) -> bool:
    """True for UTCDateTime columns (stored naive UTC)."""
    return isinstance(column.type, UTCDateTime)


def _csv_frame(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as COPY CSV expects it: dates as ISO text, the rest as pandas writes it."""
    out = {}
    for name in frame.columns:
        column, values = table.c[name], frame[name]
        if isinstance(column.type, Date) and not _is_datetime(column):
            arr = pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
            texts = np.datetime_as_string(arr).astype(object)
            texts[np.isnat(arr)] = None
            out[name] = texts
        elif _is_datetime(column):
            arr = values.to_numpy(dtype="datetime64[s]")
            texts = np.datetime_as_string(arr, unit="s").astype(object)
            texts[np.isnat(arr)] = None
            out[name] = texts
        else:
            out[name] = values
    return pd.DataFrame(out)


def _csv_text(table: Table, frame: pd.DataFrame) -> str:
    """One chunk of rows as COPY CSV text."""
    buffer = io.StringIO()
    # Unquoted empty fields are NULL in COPY CSV; floats are quantities (3 decimals).
    _csv_frame(table, frame).to_csv(
        buffer, header=False, index=False, float_format="%.3f", na_rep=""
    )
    return buffer.getvalue()


def copy_frame(connection: Connection, table: Table, frame: pd.DataFrame) -> None:
    """COPY a frame into a PostgreSQL table through the raw psycopg connection."""
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    raw = connection.connection.driver_connection
    starts = list(range(0, len(frame), COPY_CHUNK_ROWS))
    with (
        ThreadPoolExecutor(max_workers=1) as formatter,
        raw.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN WITH (FORMAT csv)') as copy,
    ):
        # Format the next chunk while the server parses the current one: two cores busy.
        def text_at(start: int) -> Future:
            return formatter.submit(_csv_text, table, frame.iloc[start : start + COPY_CHUNK_ROWS])

        pending = text_at(starts[0])
        for following in [*starts[1:], None]:
            text = pending.result()
            if following is not None:
                pending = text_at(following)
            copy.write(text)


def _python_values(table: Table, frame: pd.DataFrame) -> dict[str, list]:
    """Column → list of Python values fit for the column's type processors."""
    out: dict[str, list] = {}
    for name in frame.columns:
        column, values = table.c[name], frame[name]
        if _is_datetime(column):
            arr = values.to_numpy(dtype="datetime64[s]").astype(object)
            out[name] = [None if v is None else v.replace(tzinfo=dt.UTC) for v in arr]
        elif isinstance(column.type, Date):
            arr = pd.to_datetime(values).to_numpy(dtype="datetime64[D]").astype(object)
            out[name] = list(arr)
        elif isinstance(column.type, Numeric) and not isinstance(column.type, Integer):
            if values.dtype.kind == "f":
                out[name] = [None if v != v else Decimal(f"{v:.3f}") for v in values.tolist()]
            else:
                out[name] = [None if v is None else Decimal(v) for v in values.tolist()]
        elif isinstance(column.type, Boolean):
            out[name] = [bool(v) for v in values.tolist()]
        else:
            out[name] = [
                None if v is pd.NA or (isinstance(v, float) and v != v) else v
                for v in values.tolist()
            ]
    return out


def insert_frame(connection: Connection, table: Table, frame: pd.DataFrame) -> None:
    """Insert a frame with executemany in chunks (SQLite and other databases)."""
    values = _python_values(table, frame)
    names = list(values)
    rows = [dict(zip(names, row, strict=True)) for row in zip(*values.values(), strict=True)]
    for start in range(0, len(rows), SQLITE_CHUNK_ROWS):
        connection.execute(table.insert(), rows[start : start + SQLITE_CHUNK_ROWS])


def _detach(cursor, table: str) -> list[str]:
    """Drop a table's foreign keys and plain indexes; return the DDL that restores them."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        (f'"{table}"',),
    )
    constraints = cursor.fetchall()
    # Unique constraints too (not the primary key), unless a foreign key relies on one.
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c "
        "WHERE conrelid = %s::regclass AND contype = 'u' AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid) "
        "ORDER BY conname",
        (f'"{table}"',),
    )
    constraints += cursor.fetchall()
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
        (f'"{table}"',),
    )
    indexes = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
        for name, definition in constraints
    ]


def bulk_load(connection: Connection, metadata: MetaData, tables: dict[str, pd.DataFrame]) -> None:
    """Load the frames in order (parents first) inside the connection's transaction."""
    postgres = connection.dialect.name == "postgresql"
    restore: list[str] = []
    if postgres:
        # Checking a foreign key and updating every index row by row is what makes a big
        # COPY slow: drop them on the big tables and rebuild them once at the end (the
        # DDL is transactional, so a failure still leaves the database as it was).
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for name, frame in tables.items():
                if len(frame) >= DETACH_ROWS:
                    restore += _detach(cursor, name)
    for name, frame in tables.items():
        if frame.empty:
            continue
        table = metadata.tables[name]
        if postgres:
            copy_frame(connection, table, frame)
        else:
            insert_frame(connection, table, frame)
    if postgres:
        with raw.cursor() as cursor:
            for statement in restore:
                cursor.execute(statement)
            for name, frame in tables.items():
                if "id" in frame.columns:
                    # Explicit ids were given: move the sequence past them for later inserts.
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f'COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{name}"'
                    )
                cursor.execute(f'ANALYZE "{name}"')
