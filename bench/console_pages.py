"""Console list, search and detail pages against the raw SQL that fetches what they show.

Each page is requested through the Flask test client, signed in as the Ministère
(national) and as the Coordinateur provincial of the busiest province (scoped lists).
The baseline runs, on the same database, the queries a hand-written page would need:
the count and the 25-row page with the related names joined (lists), or the record with
its references and child rows (details), limited to the same province for the coordinator.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import sqlalchemy as sa

from .common import Dataset, logged_in_client, sample
from .table import Row, heading, timing_row

PAGE = 25  # IsokoModelView.page_size

# The coordinator's cooperatives, as console.security.scoping builds them.
COOPS_IN_SCOPE = (
    "SELECT c2.id FROM cooperative c2 WHERE c2.province_id IN {p} OR c2.province_2025_id IN {p}"
).format(p="(SELECT id FROM province WHERE id = %(province)s OR successor_id = %(province)s)")
SCOPE = {
    "coops": "AND c.id IN (" + COOPS_IN_SCOPE + ")",
    "orders": "AND o.seller_id IN (" + COOPS_IN_SCOPE + ")",
    "lines": "AND l.order_id IN (SELECT id FROM sale_order WHERE seller_id IN ("
    + COOPS_IN_SCOPE
    + "))",
}

COOPS = (
    "FROM cooperative c LEFT JOIN province p ON p.id = c.province_id "
    "LEFT JOIN province p25 ON p25.id = c.province_2025_id WHERE TRUE {coops} {where}"
)
COOPS_PAGE = f"SELECT c.*, p.name, p25.name {COOPS} LIMIT {PAGE}"
ORDERS = (
    "FROM sale_order o JOIN cooperative c ON c.id = o.seller_id "
    "LEFT JOIN buyer b ON b.id = o.buyer_id WHERE TRUE {orders} {where}"
)
ORDERS_PAGE = (
    f"SELECT o.*, c.name, b.name {ORDERS} ORDER BY o.placed_at DESC, o.id DESC LIMIT {PAGE}"
)
LINES = "FROM order_line l WHERE TRUE {lines}"
LINES_PAGE = (
    "SELECT l.*, o.reference, pr.name, t.code FROM order_line l JOIN sale_order o ON o.id = l.order_id "
    "JOIN product pr ON pr.id = l.product_id LEFT JOIN tax_rule t ON t.id = l.tax_rule_id "
    f"WHERE TRUE {{lines}} LIMIT {PAGE}"
)
COOP_DETAIL = [
    "SELECT c.*, p.name, p25.name, cm.name FROM cooperative c "
    "LEFT JOIN province p ON p.id = c.province_id LEFT JOIN province p25 ON p25.id = c.province_2025_id "
    "LEFT JOIN commune cm ON cm.id = c.commune_id WHERE c.id = %(coop)s {coops}",
    "SELECT v.* FROM cooperative_value_chain cv JOIN value_chain v ON v.id = cv.value_chain_id "
    "WHERE cv.cooperative_id = %(coop)s",
]
ORDER_DETAIL = [
    "SELECT o.*, c.name, b.name FROM sale_order o JOIN cooperative c ON c.id = o.seller_id "
    "LEFT JOIN buyer b ON b.id = o.buyer_id WHERE o.id = %(order)s {orders}",
    "SELECT l.*, pr.name, t.code FROM order_line l JOIN product pr ON pr.id = l.product_id "
    "LEFT JOIN tax_rule t ON t.id = l.tax_rule_id WHERE l.order_id = %(order)s ORDER BY l.line_no",
    "SELECT * FROM payment WHERE order_id = %(order)s",
]
LINE_DETAIL = [
    "SELECT l.*, o.reference, pr.name, t.code, li.listed_at FROM order_line l "
    "JOIN sale_order o ON o.id = l.order_id JOIN product pr ON pr.id = l.product_id "
    "LEFT JOIN tax_rule t ON t.id = l.tax_rule_id LEFT JOIN listing li ON li.id = l.listing_id "
    "WHERE l.id = %(line)s {lines}",
]


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    queries: list[str]  # the baseline, with {coops}/{orders}/{lines}/{where} placeholders
    where: str = ""


def targets(app) -> dict:
    """The coordinator's province (the busiest of the 2025 map) and records inside it."""
    from console.extensions import db

    with app.app_context():
        province_id, code = db.session.execute(
            sa.text(
                "SELECT p.id, p.code FROM sale_order o JOIN cooperative c ON c.id = o.seller_id "
                "JOIN province p ON p.id = c.province_2025_id GROUP BY p.id, p.code "
                "ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
        coop, name = db.session.execute(
            sa.text(
                "SELECT c.id, c.name FROM sale_order o JOIN cooperative c ON c.id = o.seller_id "
                "WHERE c.province_2025_id = :p GROUP BY c.id, c.name ORDER BY count(*) DESC LIMIT 1"
            ),
            {"p": province_id},
        ).one()
        order = db.session.scalar(
            sa.text(
                "SELECT id FROM sale_order WHERE seller_id = :c ORDER BY placed_at DESC, id DESC LIMIT 1"
            ),
            {"c": coop},
        )
        line = db.session.scalar(
            sa.text("SELECT id FROM order_line WHERE order_id = :o ORDER BY line_no LIMIT 1"),
            {"o": order},
        )
    word = re.findall(r"\w{5,}", name)[-1]  # e.g. the place or the group's name
    return {
        "province": province_id,
        "code": code,
        "coop": coop,
        "order": order,
        "line": line,
        "word": word,
    }


def pages(t: dict) -> list[Page]:
    """The pages measured, with FAB's filter arguments (2 = contains, 0 = relation equal)."""
    return [
        Page(
            "cooperatives list", "/cooperativeview/list/", [f"SELECT count(*) {COOPS}", COOPS_PAGE]
        ),
        Page(
            f"cooperatives search, name contains « {t['word']} »",
            f"/cooperativeview/list/?_flt_2_name={t['word']}",
            [f"SELECT count(*) {COOPS}", COOPS_PAGE],
            "AND c.name ILIKE %(like)s",
        ),
        Page("orders list", "/orderview/list/", [f"SELECT count(*) {ORDERS}", ORDERS_PAGE]),
        Page(
            "orders of one seller",
            f"/orderview/list/?_flt_0_seller={t['coop']}",
            [f"SELECT count(*) {ORDERS}", ORDERS_PAGE],
            "AND o.seller_id = %(coop)s",
        ),
        Page("order lines list", "/orderlineview/list/", [f"SELECT count(*) {LINES}", LINES_PAGE]),
        Page("cooperative detail", f"/cooperativeview/show/{t['coop']}", COOP_DETAIL),
        Page(
            "order detail (with its lines and payments)",
            f"/orderview/show/{t['order']}",
            ORDER_DETAIL,
        ),
        Page("order line detail", f"/orderlineview/show/{t['line']}", LINE_DETAIL),
    ]


def raw_queries(engine, page: Page, scoped: bool, params: dict):
    """A function running the page's baseline queries on a raw DB-API connection."""
    scope = SCOPE if scoped else dict.fromkeys(SCOPE, "")
    queries = [q.format(**scope, where=page.where) for q in page.queries]

    def run() -> None:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for query in queries:
                cursor.execute(query, params)
                cursor.fetchall()
            raw.rollback()
        finally:
            raw.close()

    return run


def getter(client, path: str):
    """A function requesting ``path`` and failing loudly on anything but 200."""

    def get() -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} : HTTP {response.status_code}")

    return get


def measure(app, data: Dataset, repeat: int) -> list[Row]:
    """One row per page and role."""
    from console.extensions import db

    t = targets(app)
    params = {**t, "like": f"%{t['word']}%"}
    users = [
        ("Ministère", logged_in_client(app, "bench.ministere", "Ministère"), False),
        (
            f"coordinator {t['code']}",
            logged_in_client(app, "bench.coordinateur", "Coordinateur provincial", t["code"]),
            True,
        ),
    ]
    rows = [
        heading(
            "Console pages (p50 / p95)",
            "full HTTP request through the Flask test client, signed in; baseline: the raw SQL "
            f"fetching what the page shows (count + {PAGE}-row page with related names, or the "
            "record with its references and child rows), same filter and province scope",
        )
    ]
    with app.app_context():
        engine = db.engine
    for page in pages(t):
        for who, client, scoped in users:
            started = time.perf_counter()
            page_ms = sample(getter(client, page.path), repeat)
            raw_ms = sample(raw_queries(engine, page, scoped, params), repeat)
            note = f"`{page.path}`"
            if len(page_ms) < repeat:
                note += f"; {len(page_ms)} sample(s), time budget"
            rows.append(timing_row(f"console {page.label} ({who})", page_ms, raw_ms, note))
            print(
                f"   {rows[-1].figure:<60} {rows[-1].isoko:>24} {rows[-1].baseline:>20} "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    return rows
