"""The staging tables of the order lines import, and how checked lines reach them.

On PostgreSQL a chunk's lines are written as one block of COPY text built from the
column arrays (no Python step per line); on SQLite, meant for small files, they go
through chunked ``executemany``. Both tables are temporary: dropped at commit or
rollback on PostgreSQL, by the import itself on SQLite.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table, insert, text
from sqlalchemy.orm import Session

from console.models.types import Quantity, Rate, UTCDateTime
from console.services.tax_vectorised import rate_text

from .cell_arrays import micros_to_datetime
from .orders_chunk import StagedLines

CHUNK = 5000
TEMP_TABLES = ("imp_order_line", "imp_buyer", "imp_order", "imp_order_plan", "imp_order_id", "imp_line_written")

_meta = MetaData()
STAGE = Table(
    "imp_order_line", _meta,
    Column("row_no", Integer), Column("reference", String(60)), Column("line_no", Integer),
    Column("placed_at", UTCDateTime), Column("seller_id", Integer), Column("buyer_ref", Integer),
    Column("status", String(32)), Column("is_export", Boolean), Column("payment_method", String(32)),
    Column("includes_tax", Boolean), Column("product_id", Integer), Column("quantity", Quantity),
    Column("unit_price", BigInteger), Column("net", BigInteger), Column("tax", BigInteger),
    Column("gross", BigInteger), Column("tax_rule_id", Integer), Column("tax_rate", Rate),
    Column("tax_note", String(200)),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)
BUYERS = Table(
    "imp_buyer", _meta,
    Column("buyer_ref", Integer, primary_key=True), Column("buyer_id", Integer),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)
STAGE_COLUMNS = [c.name for c in STAGE.columns]


def create_stage(session: Session) -> None:
    """(Re)create the empty staging tables."""
    drop_stage(session)
    conn = session.connection()
    STAGE.create(conn)
    BUYERS.create(conn)


def drop_stage(session: Session) -> None:
    """SQLite keeps temporary tables for the connection's life: drop ours."""
    if session.get_bind().dialect.name == "sqlite":
        for name in TEMP_TABLES:
            session.execute(text(f"DROP TABLE IF EXISTS temp.{name}"))


def _escaped(values: np.ndarray) -> list[str]:
    """Texts for COPY's text format: backslash, tab and line ends escaped; None is NULL."""
    texts = values.tolist()
    if None not in texts:
        joined = "".join(texts)
        if not any(c in joined for c in "\\\t\n\r"):
            return texts  # the usual case, checked over the joined text
    return ["\\N" if value is None else value.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r") for value in texts]


def _distinct_texts(values: np.ndarray) -> list[str]:
    """_escaped over the distinct values only (few statuses, many lines)."""
    distinct, inverse = np.unique(values.astype(str), return_inverse=True)
    texts = np.array(_escaped(distinct.astype(object)), dtype=object)
    return texts[inverse].tolist()


def _ints(values: np.ndarray) -> list[str]:
    return list(map(str, values.tolist()))


def _flags(values: np.ndarray) -> list[str]:
    return np.where(values, "t", "f").tolist()


def _quantities(qty_milli: np.ndarray) -> list[str]:
    whole, milli = np.divmod(qty_milli, 1000)
    return [f"{w}.{f:03d}" for w, f in zip(whole.tolist(), milli.tolist(), strict=True)]


def copy_text(lines: StagedLines) -> str:
    """The lines as COPY text rows, in STAGE_COLUMNS order."""
    placed = np.datetime_as_string(lines.placed_us.astype("datetime64[us]"), unit="us")
    rule = np.where(lines.tax_rule_id < 0, "\\N", lines.tax_rule_id.astype(str)).tolist()
    columns = [
        _ints(lines.row_no), _escaped(lines.reference), _ints(lines.line_no), placed.tolist(),
        _ints(lines.seller_id), _ints(lines.buyer_ref), _distinct_texts(lines.status),
        _flags(lines.is_export), _distinct_texts(lines.payment_method), _flags(lines.includes_tax),
        _ints(lines.product_id), _quantities(lines.qty_milli), _ints(lines.unit_price),
        _ints(lines.net), _ints(lines.tax), _ints(lines.gross), rule, rate_text(lines.rate_bps).tolist(),
        _escaped(lines.tax_note),
    ]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def _records(lines: StagedLines) -> list[dict]:
    """The lines as dicts of Python values (SQLite)."""
    rates = rate_text(lines.rate_bps)
    return [
        {"row_no": int(lines.row_no[i]), "reference": lines.reference[i], "line_no": int(lines.line_no[i]),
         "placed_at": micros_to_datetime(lines.placed_us[i]), "seller_id": int(lines.seller_id[i]),
         "buyer_ref": int(lines.buyer_ref[i]), "status": lines.status[i], "is_export": bool(lines.is_export[i]),
         "payment_method": lines.payment_method[i], "includes_tax": bool(lines.includes_tax[i]),
         "product_id": int(lines.product_id[i]), "quantity": Decimal(int(lines.qty_milli[i])).scaleb(-3),
         "unit_price": int(lines.unit_price[i]), "net": int(lines.net[i]), "tax": int(lines.tax[i]),
         "gross": int(lines.gross[i]),
         "tax_rule_id": None if lines.tax_rule_id[i] < 0 else int(lines.tax_rule_id[i]),
         "tax_rate": Decimal(rates[i]), "tax_note": lines.tax_note[i]}
        for i in range(len(lines))
    ]


class Stager:
    """Sends staged lines to the database: COPY on PostgreSQL, executemany chunks elsewhere."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.copy = None
        if session.get_bind().dialect.name == "postgresql":
            raw = session.connection().connection.driver_connection
            self._cursor = raw.cursor()
            self._copy_cm = self._cursor.copy(f"COPY imp_order_line ({', '.join(STAGE_COLUMNS)}) FROM STDIN")
            self.copy = self._copy_cm.__enter__()

    def add(self, lines: StagedLines) -> None:
        if not len(lines):
            return
        if self.copy is not None:
            self.copy.write(copy_text(lines))
            return
        records = _records(lines)
        for start in range(0, len(records), CHUNK):
            self.session.execute(insert(STAGE), records[start:start + CHUNK])

    def close(self, failed: bool = False) -> None:
        if self.copy is not None:
            self._copy_cm.__exit__(*((RuntimeError, RuntimeError("abandon"), None) if failed else (None, None, None)))
            self._cursor.close()
            self.copy = None
