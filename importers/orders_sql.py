"""The order lines import in SQL: checks across lines, the plan, and one upsert per table.

After staging, everything is set-wise, in a handful of statements whatever the file's
size:

* one GROUP BY per order gives each order's values and flags orders whose lines
  disagree; one GROUP BY per key flags duplicates; only when something is flagged do
  the row-by-row queries run, to report each line (same messages as ever);
* the plan joins the file's orders (not its lines) to the stored ones; lines are joined
  to stored lines only for orders already stored (none on a first import);
* ``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE <changed>``, once for the orders
  and once for the lines, fed only the rows that are new or changed; their
  ``RETURNING`` fills the batch's trace (on PostgreSQL ``xmax = 0`` tells an insert).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from console.models.imports import ImportBatchRow

from .batches import id_ranges
from .errors import ErrorLog
from .heading_row import HeaderMap
from .orders_chunk import Lookups
from .orders_stage import BOOLEAN_FIELDS, BUYERS, CHUNK, LINE_FIELDS, ORDER_FIELDS, ORDER_WRITTEN

NULL = "\\N"  # NULL in COPY's text format


class Sql:
    """The few words in which SQLite and PostgreSQL differ."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.pg = dialect == "postgresql"
        self.ne = "IS DISTINCT FROM" if self.pg else "IS NOT"

    def temp(self, name: str) -> str:
        """CREATE … for ``CREATE … AS SELECT``."""
        return f"CREATE TEMPORARY TABLE {name}{' ON COMMIT DROP' if self.pg else ''}"

    def temp_table(self, name: str, columns: str) -> str:
        return f"CREATE TEMPORARY TABLE {name} ({columns}){' ON COMMIT DROP' if self.pg else ''}"

    def index(self, table: str, columns: str) -> str:
        """SQLite: index a staging table on the columns its lookups use. Its planner runs a
        correlated ``NOT EXISTS`` over an unindexed temporary table as a scan per outer row
        (200 000 lines took 346 s in one statement); PostgreSQL hashes it: no index."""
        return (
            ""
            if self.pg
            else f"CREATE INDEX {table}_by_{columns.replace(', ', '_')} ON {table} ({columns})"
        )

    def lowest(self, column: str) -> str:
        return f"bool_and({column})" if self.pg and column in BOOLEAN_FIELDS else f"MIN({column})"

    def highest(self, column: str) -> str:
        return f"bool_or({column})" if self.pg and column in BOOLEAN_FIELDS else f"MAX({column})"


def _run(session: Session, statement: str) -> None:
    if statement:
        session.execute(text(statement))


def _scalar(session: Session, sql: str, params: dict | None = None) -> int:
    return int(session.execute(text(sql), params or {}).scalar_one() or 0)


# -- checks ------------------------------------------------------------------------------


def check_lines(session: Session, sql: Sql, header: HeaderMap, errors: ErrorLog) -> None:
    """Duplicate keys, lines of one order that disagree, and orders stored for another seller."""
    values = ", ".join(f"{sql.lowest(c)} AS {c}" for c, _ in ORDER_FIELDS)
    disagree = " OR ".join(f"{sql.lowest(c)} <> {sql.highest(c)}" for c, _ in ORDER_FIELDS)
    session.execute(
        text(f"""
        {sql.temp("imp_order")} AS
        SELECT reference, MIN(row_no) AS first_row, COUNT(*) AS line_count, {values},
               CASE WHEN {disagree} THEN 1 ELSE 0 END AS disagree
        FROM imp_order_line GROUP BY reference""")
    )
    _run(session, sql.index("imp_order", "reference"))
    duplicated = _scalar(
        session,
        """
        SELECT COUNT(*) FROM (SELECT 1 FROM imp_order_line GROUP BY reference, line_no
                              HAVING COUNT(*) > 1) AS d""",
    )
    disagreeing = _scalar(session, "SELECT COUNT(*) FROM imp_order WHERE disagree = 1")
    if duplicated:
        _report_duplicates(session, header, errors)
    if disagreeing:
        _report_disagreements(session, sql, header, errors)
    if disagreeing or _scalar(
        session,
        """
            SELECT COUNT(*) FROM imp_order i JOIN sale_order o ON o.reference = i.reference
            WHERE o.seller_id <> i.seller_id""",
    ):
        _report_seller_conflicts(session, header, errors)


def _report_duplicates(session: Session, header: HeaderMap, errors: ErrorLog) -> None:
    ref_col, line_col = header.shown("order_reference"), header.shown("line_no")
    duplicates = session.execute(
        text("""
        SELECT s.row_no, s.reference, s.line_no, d.first_row FROM imp_order_line s
        JOIN (SELECT reference, line_no, MIN(row_no) AS first_row FROM imp_order_line
              GROUP BY reference, line_no HAVING COUNT(*) > 1) d
          ON d.reference = s.reference AND d.line_no = s.line_no
        WHERE s.row_no <> d.first_row ORDER BY s.row_no""")
    )
    for row_no, reference, line_no, first in duplicates:
        errors.add(
            row_no,
            line_col,
            f"{reference} / {line_no}",
            f"Doublon dans le fichier : même {ref_col} + {line_col} que la ligne {first}.",
        )


def _report_disagreements(session: Session, sql: Sql, header: HeaderMap, errors: ErrorLog) -> None:
    flags = ", ".join(f"CASE WHEN s.{c} {sql.ne} f.{c} THEN 1 ELSE 0 END" for c, _ in ORDER_FIELDS)
    differs = " OR ".join(f"s.{c} {sql.ne} f.{c}" for c, _ in ORDER_FIELDS)
    rows = session.execute(
        text(f"""
        SELECT s.row_no, f.row_no, {flags} FROM imp_order_line s
        JOIN imp_order g ON g.reference = s.reference AND g.disagree = 1
        JOIN imp_order_line f ON f.row_no = g.first_row
        WHERE s.row_no <> f.row_no AND ({differs}) ORDER BY s.row_no""")
    )
    for row_no, first, *bits in rows:
        for (_, key), bit in zip(ORDER_FIELDS, bits, strict=True):
            if bit:
                errors.add(
                    row_no,
                    header.shown(key),
                    "",
                    (
                        f"Diffère de la ligne {first} de la même commande : toutes les lignes d'une "
                        "commande doivent porter la même valeur."
                    ),
                )


def _report_seller_conflicts(session: Session, header: HeaderMap, errors: ErrorLog) -> None:
    conflicts = session.execute(
        text("""
        SELECT s.row_no, s.reference FROM imp_order_line s JOIN sale_order o ON o.reference = s.reference
        WHERE o.seller_id <> s.seller_id ORDER BY s.row_no""")
    )
    for row_no, reference in conflicts:
        errors.add(
            row_no,
            header.shown("order_reference"),
            reference,
            "Cette commande est déjà enregistrée pour un autre vendeur : le vendeur ne peut pas changer.",
        )


# -- buyers and plan ----------------------------------------------------------------------


def create_buyers(session: Session, lookups: Lookups) -> list[int]:
    """Create the buyers the file names for the first time; return their ids (file order)."""
    from console import models as m

    table = m.Buyer.__table__
    refs = list(lookups.new_buyers)
    created: list[int] = []
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start : start + CHUNK]
        rows = [
            {"name": lookups.new_buyers[r][0], "kind": lookups.new_buyers[r][1], "country": "BI"}
            for r in chunk
        ]
        result = session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        )
        ids = [row[0] for row in result]
        created.extend(ids)
        for ref, buyer_id in zip(chunk, ids, strict=True):
            lookups.buyer_ids[ref] = buyer_id
    return created


def fill_buyers(session: Session, sql: Sql, lookups: Lookups) -> None:
    """The file's buyers: ref → stored id (None for one not created yet, as in a dry run)."""
    if sql.pg:
        raw = session.connection().connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy("COPY imp_buyer (buyer_ref, buyer_id) FROM STDIN") as copy,
        ):
            copy.write(
                "".join(
                    f"{ref}\t{NULL if buyer_id is None else buyer_id}\n"
                    for ref, buyer_id in enumerate(lookups.buyer_ids)
                )
            )
        return
    rows = [
        {"buyer_ref": ref, "buyer_id": buyer_id} for ref, buyer_id in enumerate(lookups.buyer_ids)
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(BUYERS), rows[start : start + CHUNK])


@dataclass
class Plan:
    """What writing the staged lines would do."""

    lines_created: int
    lines_updated: int
    orders_created: int
    orders_updated: int
    orders_stored: int  # orders of the file already in the database
    # The first day (UTC) whose sales the import changes, before or after it; None when
    # nothing changes. The dashboards' aggregates are recomputed from that day on.
    first_day: dt.date | None = None


def _order_differs(sql: Sql, stored: str, new: dict[str, str]) -> str:
    """SQL: the stored order differs from the new values (sale_order column → expression)."""
    return " OR ".join(f"{stored}.{c} {sql.ne} {new[c]}" for c, _ in ORDER_WRITTEN)


def _from_plan(order: str, buyer: str) -> dict[str, str]:
    return {c: f"{buyer if c == 'buyer_id' else order}.{f}" for c, f in ORDER_WRITTEN}


def _excluded() -> dict[str, str]:
    return {c: f"excluded.{c}" for c, _ in ORDER_WRITTEN}


def _line_differs(sql: Sql, stored: str, new: str) -> str:
    return " OR ".join(f"{stored}.{c} {sql.ne} {new}.{c}" for c in LINE_FIELDS)


def plan(session: Session, sql: Sql) -> Plan:
    """Join the file's orders to the stored ones; count created, updated (lines and orders)."""
    session.execute(
        text(f"""
        {sql.temp("imp_order_plan")} AS
        SELECT i.reference, i.first_row, i.line_count, i.placed_at, i.seller_id, b.buyer_id, i.status,
               i.is_export, i.payment_method, i.includes_tax, o.id AS order_id,
               CASE WHEN o.id IS NOT NULL AND ({_order_differs(sql, "o", _from_plan("i", "b"))})
                    THEN 1 ELSE 0 END AS changed
        FROM imp_order i JOIN imp_buyer b ON b.buyer_ref = i.buyer_ref
        LEFT JOIN sale_order o ON o.reference = i.reference""")
    )
    _run(session, sql.index("imp_order_plan", "reference"))
    orders, new_orders, changed, new_lines = session.execute(
        text("""
        SELECT COUNT(*), SUM(CASE WHEN order_id IS NULL THEN 1 ELSE 0 END), SUM(changed),
               SUM(CASE WHEN order_id IS NULL THEN line_count ELSE 0 END)
        FROM imp_order_plan""")
    ).one()
    orders, new_orders, changed, new_lines = (
        int(v or 0) for v in (orders, new_orders, changed, new_lines)
    )
    created, updated = new_lines, 0
    if orders > new_orders:
        more, updated = session.execute(
            text(f"""
            SELECT SUM(CASE WHEN l.id IS NULL THEN 1 ELSE 0 END),
                   SUM(CASE WHEN l.id IS NOT NULL AND (p.changed = 1 OR {_line_differs(sql, "l", "s")})
                            THEN 1 ELSE 0 END)
            FROM imp_order_line s JOIN imp_order_plan p ON p.reference = s.reference
            LEFT JOIN order_line l ON l.order_id = p.order_id AND l.line_no = s.line_no
            WHERE p.order_id IS NOT NULL""")
        ).one()
        created, updated = created + int(more or 0), int(updated or 0)
    first_day = _first_changed_day(session, sql) if created or updated or changed else None
    return Plan(created, updated, new_orders, changed, orders - new_orders, first_day)


def _first_changed_day(session: Session, sql: Sql) -> dt.date | None:
    """The earliest order date, old or new, among orders the import creates or changes."""
    first = session.execute(
        text(f"""
        SELECT MIN(day) FROM (
            SELECT p.placed_at AS day FROM imp_order_plan p WHERE p.order_id IS NULL OR p.changed = 1
            UNION ALL
            SELECT o.placed_at FROM imp_order_plan p JOIN sale_order o ON o.id = p.order_id
            WHERE p.changed = 1
            UNION ALL
            SELECT p.placed_at FROM imp_order_line s JOIN imp_order_plan p ON p.reference = s.reference
            LEFT JOIN order_line l ON l.order_id = p.order_id AND l.line_no = s.line_no
            WHERE p.order_id IS NOT NULL AND (l.id IS NULL OR {_line_differs(sql, "l", "s")})
        ) AS changed_days""")
    ).scalar()
    if first is None:
        return None
    if isinstance(first, str):  # SQLite returns the stored text
        first = dt.datetime.fromisoformat(first)
    # UTC date: Bujumbura (UTC+2) days start on or after it, so none is missed.
    return first.date()


# -- upsert -------------------------------------------------------------------------------

Ranges = list[tuple[str, str, int, int]]  # (table, action, first id, last id)

_FOLD = """SELECT action, MIN(id), MAX(id) FROM (
             SELECT id, action, id - ROW_NUMBER() OVER (PARTITION BY action ORDER BY id) AS island FROM {source}
           ) AS t GROUP BY action, island ORDER BY MIN(id)"""


def _written(
    session: Session, sql: Sql, statement: str, params: dict
) -> list[tuple[str, int, int]]:
    """Run an INSERT … RETURNING id, action; return the (action, first, last) id ranges written."""
    if sql.pg:  # folded by the server: a million ids need not travel
        return [
            tuple(r)
            for r in session.execute(
                text(f"WITH w AS ({statement}) {_FOLD.format(source='w')}"), params
            )
        ]
    by_action: dict[str, list[int]] = {}
    for row_id, action in session.execute(text(statement), params):
        by_action.setdefault(action, []).append(row_id)
    return [
        (action, low, high) for action, ids in by_action.items() for low, high in id_ranges(ids)
    ]


def upsert(session: Session, sql: Sql, planned: Plan) -> Ranges:
    """Write new and changed orders, then new and changed lines: one statement per table."""
    action = "CASE WHEN {} THEN 'insert' ELSE 'update' END AS action".format(
        "xmax = 0" if sql.pg else "id > :before"
    )
    columns = ", ".join(c for c, _ in ORDER_WRITTEN)
    session.execute(
        text(sql.temp_table("imp_order_id", "id INTEGER, reference VARCHAR(60), action VARCHAR(6)"))
    )
    _run(session, sql.index("imp_order_id", "reference"))
    orders = f"""
        INSERT INTO sale_order (reference, seller_id, {columns})
        SELECT p.reference, p.seller_id, {", ".join("p." + f for _, f in ORDER_WRITTEN)}
        FROM imp_order_plan p WHERE p.order_id IS NULL OR p.changed = 1 ORDER BY p.first_row
        ON CONFLICT (reference) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c, _ in ORDER_WRITTEN)}
        WHERE {_order_differs(sql, "sale_order", _excluded())}
        RETURNING id, reference, {action}"""
    if sql.pg:
        session.execute(
            text(
                f"WITH w AS ({orders}) INSERT INTO imp_order_id (id, reference, action) SELECT * FROM w"
            )
        )
    else:
        before = _scalar(session, "SELECT COALESCE(MAX(id), 0) FROM sale_order")
        rows = [
            {"id": i, "reference": r, "action": a}
            for i, r, a in session.execute(text(orders), {"before": before})
        ]
        for start in range(0, len(rows), CHUNK):
            session.execute(
                text(
                    "INSERT INTO imp_order_id (id, reference, action) VALUES (:id, :reference, :action)"
                ),
                rows[start : start + CHUNK],
            )
    # The orders written, before the unchanged ones join them for the lines.
    ranges = [
        ("sale_order", a, low, high)
        for a, low, high in session.execute(text(_FOLD.format(source="imp_order_id")))
    ]
    # The other orders of the file keep their id; one written meanwhile by someone else
    # (the upsert then found it unchanged, so returned nothing) is looked up.
    session.execute(
        text("""
        INSERT INTO imp_order_id (id, reference, action)
        SELECT COALESCE(p.order_id, (SELECT o.id FROM sale_order o WHERE o.reference = p.reference)),
               p.reference, 'keep'
        FROM imp_order_plan p
        WHERE NOT EXISTS (SELECT 1 FROM imp_order_id w WHERE w.reference = p.reference)""")
    )
    # Only lines of stored orders may be unchanged: look them up only if there are some.
    # Lines are written in file order, so that their ids follow the file whatever the plan.
    feed = (
        "1 = 1"
        if not planned.orders_stored
        else (
            f"i.action = 'insert' OR NOT EXISTS (SELECT 1 FROM order_line l WHERE l.order_id = i.id "
            f"AND l.line_no = s.line_no AND NOT ({_line_differs(sql, 'l', 's')}))"
        )
    )
    before = (
        {}
        if sql.pg
        else {"before": _scalar(session, "SELECT COALESCE(MAX(id), 0) FROM order_line")}
    )
    lines = f"""
        INSERT INTO order_line (order_id, line_no, {", ".join(LINE_FIELDS)})
        SELECT i.id, s.line_no, {", ".join("s." + c for c in LINE_FIELDS)}
        FROM imp_order_line s JOIN imp_order_id i ON i.reference = s.reference
        WHERE {feed} ORDER BY s.row_no
        ON CONFLICT (order_id, line_no) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in LINE_FIELDS)}
        WHERE {_line_differs(sql, "order_line", "excluded")}
        RETURNING id, {action}"""
    ranges += [
        ("order_line", a, low, high) for a, low, high in _written(session, sql, lines, before)
    ]
    return ranges


_TRACE_ORDER = {
    ("sale_order", "insert"): 0,
    ("sale_order", "update"): 1,
    ("order_line", "insert"): 2,
    ("order_line", "update"): 3,
}


def record_ranges(session: Session, batch_id: int, ranges: Ranges) -> None:
    """The batch's trace: the id ranges its upsert wrote, orders then lines, inserts then updates."""
    if ranges:
        ranges = sorted(ranges, key=lambda r: (_TRACE_ORDER[r[0], r[1]], r[2]))
        session.execute(
            insert(ImportBatchRow.__table__),
            [
                {
                    "batch_id": batch_id,
                    "table_name": table,
                    "action": action,
                    "row_id_from": low,
                    "row_id_to": high,
                }
                for table, action, low, high in ranges
            ],
        )
