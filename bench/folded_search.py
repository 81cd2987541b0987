"""The accent-folded « Contient » search on PostgreSQL, without and with migration 0020's
GIN trigram index on its expression, side by side on the same table.

    python -m bench.folded_search --rows 500000 --repeat 15

A scratch database gets one table shaped like the searched columns (an order reference
and a cooperative name with accents), filled by generate_series. Each search is the SQL
the console sends (console.text_match.contains_folded); the median of ``--repeat`` runs
is printed before and after ``CREATE INDEX``, with the planner's choice (EXPLAIN
ANALYZE), which the planner makes by itself (no enable_seqscan games).
"""

from __future__ import annotations

import argparse
import statistics
import time

import sqlalchemy as sa

from bench.common import PG_ADMIN_URL
from console.text_match import ACCENTED, PLAIN, contains_folded
from tests import databases as scratch

PROBE = sa.table("search_probe", sa.column("id"), sa.column("reference"), sa.column("name"))
FILL = """
INSERT INTO search_probe (reference, name)
SELECT 'CMD-2025-' || lpad(i::text, 7, '0'),
       (ARRAY['Twiyunge', 'Dukorere hamwe', 'Abahuzabikorwa', 'Terimbere', 'Ubumwe'])[1 + i % 5]
       || ' ' || (ARRAY['Gitéga', 'Ngozi', 'Kirundo', 'Muramvya', 'Bujumbura', 'Rumonge',
                        'Makamba', 'Cankuzo', 'Ruyigi', 'Karuzi', 'Kayanza', 'Bururi',
                        'Mwaro', 'Muyinga', 'Cibitoke', 'Bubanza', 'Rutana', 'Bujumbura rural'])
                 [1 + (i / 5) % 18]
       || ' n°' || i
FROM generate_series(1, :rows) AS i
"""
SEARCHES = (
    ("reference", "0123456", "une commande par son numéro (1 ligne)"),
    ("name", "n°142424", "une coopérative par un morceau de nom (1 ligne)"),
    ("name", "gitega", "un mot fréquent (1 ligne sur 18)"),
)


def _sql(conn, column: str, word: str) -> tuple[str, dict]:
    query = sa.select(PROBE.c.id).where(contains_folded(PROBE.c[column], word, "postgresql"))
    compiled = query.compile(conn, compile_kwargs={"render_postcompile": True})
    return str(compiled), compiled.params


def _median_ms(conn, sql: str, params: dict, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        conn.exec_driver_sql(sql, params).fetchall()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def _plan(conn, sql: str, params: dict) -> str:
    rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}", params)
    return " / ".join(r[0].strip() for r in rows if "Planning" not in r[0])


def run(rows: int, repeat: int) -> None:
    url = scratch.create_database("folded", PG_ADMIN_URL, "isoko_bench")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            conn.exec_driver_sql(
                "CREATE TABLE search_probe (id serial PRIMARY KEY, reference varchar(40), "
                "name varchar(200))"
            )
            conn.execute(sa.text(FILL), {"rows": rows})
            conn.exec_driver_sql("VACUUM ANALYZE search_probe")
            before = {}
            for column, word, _label in SEARCHES:
                sql, params = _sql(conn, column, word)
                before[(column, word)] = (
                    _median_ms(conn, sql, params, repeat),
                    _plan(conn, sql, params),
                )
            start = time.perf_counter()
            for column in ("reference", "name"):
                conn.exec_driver_sql(
                    f"CREATE INDEX ix_probe_{column}_fold_trgm ON search_probe USING gin "
                    f"(translate(lower({column}), '{ACCENTED}', '{PLAIN}') gin_trgm_ops)"
                )
            build_s = time.perf_counter() - start
            conn.exec_driver_sql("ANALYZE search_probe")
            size = conn.exec_driver_sql(
                "SELECT pg_size_pretty(pg_relation_size('search_probe')), "
                "pg_size_pretty(pg_relation_size('ix_probe_name_fold_trgm'))"
            ).one()
            print(
                f"{rows} lignes ; table {size[0]}, index du nom {size[1]} ; "
                f"construction des deux index {build_s:.1f} s ; médiane de {repeat} essais"
            )
            print("| recherche | sans index (ms) | avec index (ms) | plan avec index |")
            print("| --- | ---: | ---: | --- |")
            for column, word, label in SEARCHES:
                sql, params = _sql(conn, column, word)
                after_ms = _median_ms(conn, sql, params, repeat)
                plan = _plan(conn, sql, params)
                before_ms, before_plan = before[(column, word)]
                print(f"| {label} « {word} » | {before_ms:.1f} | {after_ms:.1f} | {plan} |")
                print(f"|   (plan sans index) | | | {before_plan} |")
    finally:
        engine.dispose()
        scratch.drop_database(url, PG_ADMIN_URL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    run(args.rows, args.repeat)


if __name__ == "__main__":
    main()
