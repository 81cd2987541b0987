"""The staging tables of the order lines import, and how checked lines reach them.

On PostgreSQL a chunk's lines are written as one block of COPY text built from the
column arrays (no Python step per line); on SQLite, meant for small files, they go
through chunked ``executemany``. Both tables are temporary: dropped at commit or
rollback on PostgreSQL, by the import itself on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table, insert, text
from sqlalchemy.orm import Session

from console.models.types import Quantity, Rate, UTCDateTime
from console.services.tax.vectorised import rate_text

from .cell_arrays import micros_to_datetime
from .orders_chunk import Coded, StagedLines

CHUNK = 5000
TEMP_TABLES = (
    "imp_order_line",
    "imp_buyer",
    "imp_order",
    "imp_order_plan",
    "imp_order_id",
    "imp_line_written",
)


@dataclass(frozen=True)
class StageField:
    """One column of a staged order line: the one description the staging table, the
    checks across lines, the plan and the upsert derive from."""

    name: str  # staging column (and order_line column, for a line field)
    type: object  # SQLAlchemy type
    level: str  # "key": identifies the line; "order": repeated on each line of an order, must
    # agree; "line": written to order_line
    source: str | None = None  # the file column (dataset key) messages about it name
    written_as: str | None = None  # sale_order column an order field is written to


STAGE_FIELDS = (
    StageField("row_no", Integer, "key"),
    StageField("reference", String(60), "key", "order_reference"),
    StageField("line_no", Integer, "key", "line_no"),
    StageField("placed_at", UTCDateTime, "order", "placed_at", "placed_at"),
    StageField("seller_id", Integer, "order", "seller"),  # checked, never changed on a stored order
    StageField(
        "buyer_ref", Integer, "order", "buyer"
    ),  # written as buyer_id, once buyers are known
    StageField("status", String(32), "order", "status", "status"),
    StageField("is_export", Boolean, "order", "is_export", "is_export"),
    StageField("payment_method", String(32), "order", "payment_method", "payment_method"),
    StageField("includes_tax", Boolean, "order", "prices_include_tax", "prices_include_tax"),
    StageField("product_id", Integer, "line", "sku"),
    StageField("quantity", Quantity, "line", "quantity"),
    StageField("unit_price", BigInteger, "line", "unit_price"),
    StageField("net", BigInteger, "line", "net"),
    StageField("tax", BigInteger, "line", "tax"),
    StageField("gross", BigInteger, "line", "gross"),
    StageField("tax_rule_id", Integer, "line"),
    StageField("tax_rate", Rate, "line", "tax_rate"),
    StageField("tax_note", String(200), "line"),
)
# Order-level staging columns and the file column each comes from (for messages).
ORDER_FIELDS = tuple((f.name, f.source) for f in STAGE_FIELDS if f.level == "order")
# sale_order column ← imp_order_plan column, for the values an import may change (the
# buyer's id comes from the buyers the plan joins).
ORDER_WRITTEN = (
    ("buyer_id", "buyer_id"),
    *((f.written_as, f.name) for f in STAGE_FIELDS if f.level == "order" and f.written_as),
)
LINE_FIELDS = tuple(f.name for f in STAGE_FIELDS if f.level == "line")
BOOLEAN_FIELDS = frozenset(f.name for f in STAGE_FIELDS if f.type is Boolean)

_meta = MetaData()
STAGE = Table(
    "imp_order_line",
    _meta,
    *(Column(f.name, f.type) for f in STAGE_FIELDS),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
BUYERS = Table(
    "imp_buyer",
    _meta,
    Column("buyer_ref", Integer, primary_key=True),
    Column("buyer_id", Integer),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
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
    return [
        "\\N"
        if value is None
        else value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        for value in texts
    ]


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
    texts = [
        "\t".join((NULL if r < 0 else str(r), str(rate), n))
        for r, rate, n in zip(
            rule.tolist(), rate_text(distinct % 100_000).tolist(), _escaped(note), strict=True
        )
    ]
    return np.asarray(texts, dtype=object)[codes].tolist()


# How each staging column is written as COPY text, in STAGE_FIELDS order (checked below);
# the tax rule, rate and note are formatted together, once per distinct stamp.
COPY_FORMATS = (
    (("row_no",), lambda lines: _ints(lines.row_no)),
    (("reference",), lambda lines: _escaped(lines.reference)),
    (("line_no",), lambda lines: _texts(lines.line_no, _ints)),
    (("placed_at",), lambda lines: _texts(lines.placed_us, _moments)),
    (("seller_id",), lambda lines: _texts(lines.seller_id, _ints)),
    (("buyer_ref",), lambda lines: _texts(lines.buyer_ref, _ints)),
    (("status",), lambda lines: _texts(lines.status, _escaped)),
    (("is_export",), lambda lines: _flags(lines.is_export)),
    (("payment_method",), lambda lines: _texts(lines.payment_method, _escaped)),
    (("includes_tax",), lambda lines: _flags(lines.includes_tax)),
    (("product_id",), lambda lines: _texts(lines.product_id, _ints)),
    (("quantity",), lambda lines: _texts(lines.qty_milli, _quantities)),
    (("unit_price",), lambda lines: _texts(lines.unit_price, _ints)),
    (("net",), lambda lines: _ints(lines.net)),
    (("tax",), lambda lines: _ints(lines.tax)),
    (("gross",), lambda lines: _ints(lines.gross)),
    (("tax_rule_id", "tax_rate", "tax_note"), _stamps),
)
if [name for names, _ in COPY_FORMATS for name in names] != [f.name for f in STAGE_FIELDS]:
    raise RuntimeError("COPY_FORMATS must follow STAGE_FIELDS, column for column")


def copy_text(lines: StagedLines) -> str:
    """The lines as COPY text rows, in STAGE_COLUMNS order."""
    columns = [write(lines) for _, write in COPY_FORMATS]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def _records(lines: StagedLines) -> list[dict]:
    """The lines as dicts of Python values (SQLite)."""
    rates = rate_text(lines.rate_bps)
    placed, status, payment = (
        lines.placed_us.rows(),
        lines.status.rows(),
        lines.payment_method.rows(),
    )
    line_no, seller, buyer = lines.line_no.rows(), lines.seller_id.rows(), lines.buyer_ref.rows()
    product, qty, price, note = (
        lines.product_id.rows(),
        lines.qty_milli.rows(),
        lines.unit_price.rows(),
        lines.tax_note.rows(),
    )
    return [
        {
            "row_no": int(lines.row_no[i]),
            "reference": lines.reference[i],
            "line_no": int(line_no[i]),
            "placed_at": micros_to_datetime(placed[i]),
            "seller_id": int(seller[i]),
            "buyer_ref": int(buyer[i]),
            "status": status[i],
            "is_export": bool(lines.is_export[i]),
            "payment_method": payment[i],
            "includes_tax": bool(lines.includes_tax[i]),
            "product_id": int(product[i]),
            "quantity": Decimal(int(qty[i])).scaleb(-3),
            "unit_price": int(price[i]),
            "net": int(lines.net[i]),
            "tax": int(lines.tax[i]),
            "gross": int(lines.gross[i]),
            "tax_rule_id": None if lines.tax_rule_id[i] < 0 else int(lines.tax_rule_id[i]),
            "tax_rate": Decimal(rates[i]),
            "tax_note": note[i],
        }
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
            self._copy_cm = self._cursor.copy(
                f"COPY imp_order_line ({', '.join(STAGE_COLUMNS)}) FROM STDIN"
            )
            self.copy = self._copy_cm.__enter__()

    def add(self, lines: StagedLines) -> None:
        if not len(lines):
            return
        if self.copy is not None:
            self.copy.write(copy_text(lines))
            return
        records = _records(lines)
        for start in range(0, len(records), CHUNK):
            self.session.execute(insert(STAGE), records[start : start + CHUNK])

    def close(self, failed: bool = False) -> None:
        if self.copy is not None:
            self._copy_cm.__exit__(
                *((RuntimeError, RuntimeError("abandon"), None) if failed else (None, None, None))
            )
            self._cursor.close()
            self.copy = None
