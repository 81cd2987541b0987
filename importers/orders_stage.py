"""The staging tables of the order lines import, and how checked lines reach them.

On PostgreSQL a chunk's lines are written as one block of COPY text built from the
column arrays (no Python step per line); on SQLite, meant for small files, they go
through chunked ``executemany``. Both tables are temporary: dropped at commit or
rollback on PostgreSQL, by the import itself on SQLite.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table, insert, text
from sqlalchemy.orm import Session

from console.models.types import Quantity, Rate, UTCDateTime
from console.services.tax_vectorised import rate_text

from .cell_arrays import micros_to_datetime
from .orders_chunk import Coded, StagedLines

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
NULL = "\\N"  # NULL in COPY's text format


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


def _texts(column: Coded, format_values) -> list[str]:
    """A coded column's text per line: each distinct value formatted once."""
    return np.asarray(format_values(column.values), dtype=object)[column.codes].tolist()


def _ints(values: np.ndarray) -> list[str]:
    return list(map(str, values.tolist()))


def _flags(values: np.ndarray) -> list[str]:
    return np.where(values, "t", "f").tolist()


def _quantities(qty_milli: np.ndarray) -> list[str]:
    whole, milli = np.divmod(qty_milli, 1000)
    return [f"{w}.{f:03d}" for w, f in zip(whole.tolist(), milli.tolist(), strict=True)]


def _moments(micros: np.ndarray) -> list[str]:
    return np.datetime_as_string(micros.astype("datetime64[us]"), unit="us").tolist()


def _stamps(lines: StagedLines) -> list[str]:
    """« rule \\t rate \\t note » per line, formatted once per distinct stamp."""
    key = ((lines.tax_rule_id + 1) * 1_000_000 + lines.tax_note.codes) * 100_000 + lines.rate_bps
    codes, distinct = pd.factorize(key)
    rule = (distinct // 100_000) // 1_000_000 - 1
    note = lines.tax_note.values[(distinct // 100_000) % 1_000_000]
    texts = ["\t".join((NULL if r < 0 else str(r), str(rate), n)) for r, rate, n in
             zip(rule.tolist(), rate_text(distinct % 100_000).tolist(), _escaped(note), strict=True)]
    return np.asarray(texts, dtype=object)[codes].tolist()


def copy_text(lines: StagedLines) -> str:
    """The lines as COPY text rows, in STAGE_COLUMNS order."""
    columns = [
        _ints(lines.row_no), _escaped(lines.reference), _texts(lines.line_no, _ints),
        _texts(lines.placed_us, _moments), _texts(lines.seller_id, _ints), _texts(lines.buyer_ref, _ints),
        _texts(lines.status, _escaped), _flags(lines.is_export), _texts(lines.payment_method, _escaped),
        _flags(lines.includes_tax), _texts(lines.product_id, _ints), _texts(lines.qty_milli, _quantities),
        _texts(lines.unit_price, _ints), _ints(lines.net), _ints(lines.tax), _ints(lines.gross), _stamps(lines),
    ]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def _records(lines: StagedLines) -> list[dict]:
    """The lines as dicts of Python values (SQLite)."""
    rates = rate_text(lines.rate_bps)
    placed, status, payment = lines.placed_us.rows(), lines.status.rows(), lines.payment_method.rows()
    line_no, seller, buyer = lines.line_no.rows(), lines.seller_id.rows(), lines.buyer_ref.rows()
    product, qty, price, note = (lines.product_id.rows(), lines.qty_milli.rows(), lines.unit_price.rows(),
                                 lines.tax_note.rows())
    return [
        {"row_no": int(lines.row_no[i]), "reference": lines.reference[i], "line_no": int(line_no[i]),
         "placed_at": micros_to_datetime(placed[i]), "seller_id": int(seller[i]), "buyer_ref": int(buyer[i]),
         "status": status[i], "is_export": bool(lines.is_export[i]), "payment_method": payment[i],
         "includes_tax": bool(lines.includes_tax[i]), "product_id": int(product[i]),
         "quantity": Decimal(int(qty[i])).scaleb(-3), "unit_price": int(price[i]), "net": int(lines.net[i]),
         "tax": int(lines.tax[i]), "gross": int(lines.gross[i]),
         "tax_rule_id": None if lines.tax_rule_id[i] < 0 else int(lines.tax_rule_id[i]),
         "tax_rate": Decimal(rates[i]), "tax_note": note[i]}
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
