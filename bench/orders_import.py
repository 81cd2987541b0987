"""The orders import against a plain COPY of the same file, into the seeded database.

The file, in the marketplace export's French format, has as many lines as the dataset
(sellers and SKUs of the seeded active cooperatives, orders dated January–June 2026,
references BENCH-…). In the same run:

1. COPY of the file into a bare table of text columns (no parsing, no index): the floor;
2. the import (``importers.command.run_import``, as the console and `isoko import` call
   it: parse, stamp taxes, stage, check, upsert, trace, refresh the aggregates);
3. the same import again (everything unchanged);
4. writing the imported rows alone: INSERT … SELECT of them, copied aside, into
   sale_order and order_line (their constraints and indexes), rolled back — what any
   importer pays, whatever its parsing.

It runs last: the imported orders stay in the database.

Then, on SQLite (the first-run database), a small seeded database of its own imports
files of 50 000 and 200 000 new lines: the import must grow linearly with the file, so
both rates are printed with their ratio (the two should agree within ±25 %).
"""

from __future__ import annotations

import random
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from .common import SEED, UNTIL, Dataset, bench_config, isoko
from .table import Row, heading, number, rate_row

# Lines of the two SQLite files, and the orders seeded in their database first.
SQLITE_SIZES = (50_000, 200_000)
SQLITE_SEEDED_LINES = 5_000

HEADER = (
    "Référence de commande;Ligne;Date de commande;Vendeur;Acheteur;Statut;Mode de paiement;"
    "SKU;Quantité;Prix unitaire\n"
)


def sellers(app) -> list[tuple[str, list[str]]]:
    """(registration number, SKUs) of every active seeded cooperative with products."""
    from console.extensions import db

    with app.app_context():
        rows = db.session.execute(
            sa.text(
                "SELECT c.registration_number, p.sku FROM cooperative c "
                "JOIN product p ON p.cooperative_id = c.id WHERE c.status = 'active' ORDER BY 1, 2"
            )
        ).all()
    skus: dict[str, list[str]] = {}
    for registration, sku in rows:
        skus.setdefault(registration, []).append(sku)
    return list(skus.items())


def write_orders(
    path: Path,
    lines: int,
    known: list[tuple[str, list[str]]],
    seed: int = 2023,
    prefix: str = "BENCH",
) -> None:
    """An export: ~3 lines per order, French dates, decimal commas, spaced thousands."""
    rng = random.Random(seed)
    statuses = ["Livrée", "Payée", "Passée"]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        written, order = 0, 0
        while written < lines:
            order += 1
            seller, skus = known[rng.randrange(len(known))]
            placed = (
                f"{1 + rng.randrange(28):02d}/{1 + rng.randrange(6):02d}/2026 "
                f"{rng.randrange(7, 19):02d}:{rng.randrange(60):02d}"
            )
            buyer = f"Client {rng.randrange(20000)}"
            status, payment = rng.choice(statuses), rng.choice(["Espèces", "Banque", "Autre"])
            for line_no in range(1, min(1 + rng.randrange(5), lines - written) + 1):
                quantity = f"{rng.randrange(1, 500)},{rng.randrange(10)}"
                price = f"{rng.randrange(1, 60)} {rng.randrange(1000):03d}"
                out.write(
                    f"{prefix}-{order:08d};{line_no};{placed};{seller};{buyer};{status};"
                    f"{payment};{rng.choice(skus)};{quantity};{price}\n"
                )
                written += 1


def plain_copy(app, path: Path) -> float:
    """Seconds to COPY the file into a bare table of text columns."""
    from console.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        columns = ", ".join(f"c{n} text" for n in range(1, 11))
        cursor.execute(f"CREATE TABLE bench_bare ({columns})")
        raw.commit()
        started = time.perf_counter()
        with (
            path.open("rb") as handle,
            cursor.copy(
                "COPY bench_bare FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)"
            ) as copy,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        raw.commit()
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_bare")
        raw.commit()
        return elapsed
    finally:
        raw.close()


@contextmanager
def refresh_timer():
    """Seconds spent refreshing the dashboards' aggregates while the block runs."""
    from console.services import facts

    spent = [0.0]
    original = facts.refresh_facts

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    facts.refresh_facts = timed  # the importer imports it from the module when it runs
    try:
        yield spent
    finally:
        facts.refresh_facts = original


def timed_import(app, path: Path):
    """Seconds of one import of ``path``, its result and the seconds of aggregate refresh."""
    from console.extensions import db
    from console.security.scoping import NATIONAL
    from importers.command import ImportRequest, run_import

    with app.app_context():
        request = ImportRequest(
            kind="orders",
            path=path,
            file_name=path.name,
            user_id=None,
            username="bench",
            scope=NATIONAL,
            source="cli",
        )
        with refresh_timer() as refresh:
            started = time.perf_counter()
            result = run_import(db.session, request)
            elapsed = time.perf_counter() - started
        if not result.ok:
            raise RuntimeError(f"l'import a échoué : {result.message} {result.errors[:5]}")
        return elapsed, result, refresh[0]


def write_only(app) -> float:
    """Seconds to INSERT the imported orders and lines again, into the same tables (rolled back)."""
    from console.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(
            "CREATE TEMP TABLE bench_so AS SELECT * FROM sale_order WHERE reference LIKE 'BENCH-%'"
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_ol AS SELECT l.* FROM order_line l "
            "JOIN bench_so o ON o.id = l.order_id ORDER BY l.id"
        )
        # The untimed deletion skips the foreign-key triggers: match_suggestion(_event).order_id
        # have no index, so checking them costs a scan per deleted order (minutes at 1M lines).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM order_line WHERE order_id IN (SELECT id FROM bench_so)")
        cursor.execute("DELETE FROM sale_order WHERE id IN (SELECT id FROM bench_so)")
        cursor.execute("SET LOCAL session_replication_role = origin")
        started = time.perf_counter()
        cursor.execute("INSERT INTO sale_order SELECT * FROM bench_so")
        cursor.execute("INSERT INTO order_line SELECT * FROM bench_ol")
        elapsed = time.perf_counter() - started
        raw.rollback()
        return elapsed
    finally:
        raw.close()


def measure(app, data: Dataset, repeat: int) -> list[Row]:
    """Import, re-import and the write floor, each against its baseline (one run each)."""
    lines = data.order_lines
    with tempfile.TemporaryDirectory(prefix="isoko-bench-") as folder:
        path = Path(folder) / "commandes.csv"
        write_orders(path, lines, sellers(app))
        size = path.stat().st_size / 1e6
        copy_s = plain_copy(app, path)
        import_s, result, refresh_s = timed_import(app, path)
        again_s, again, _ = timed_import(app, path)
        if again.created or again.updated:
            raise RuntimeError("le réimport du même fichier a modifié des lignes")
    write_s = write_only(app)
    with tempfile.TemporaryDirectory(prefix="isoko-bench-sqlite-") as folder:
        on_sqlite = sqlite_rows(sqlite_rates(Path(folder)))
    copy_note = "baseline: COPY of the file into a bare table of text columns"
    return [
        heading(
            f"Orders import, {number(lines)} lines ({size:.0f} MB CSV) into the seeded database",
            "one run each; `run_import` as the console and `isoko import` call it",
        ),
        rate_row(
            "orders import (lines created)",
            lines,
            import_s,
            copy_s,
            "lines/s",
            f"{number(import_s, 1)} s, of which {number(refresh_s, 1)} s refreshing the "
            f"dashboards' aggregates; {number(result.created)} created; {copy_note}",
        ),
        rate_row(
            "orders re-import of the same file (unchanged)",
            lines,
            again_s,
            copy_s,
            "lines/s",
            f"{number(again_s, 1)} s; {number(again.unchanged)} unchanged; {copy_note}",
        ),
        rate_row(
            "orders import against writing its rows alone",
            lines,
            import_s,
            write_s,
            "lines/s",
            f"baseline: INSERT … SELECT of the imported rows into the indexed "
            f"`sale_order` and `order_line` ({number(write_s, 1)} s, rolled back): "
            "the ceiling of any importer",
        ),
        *on_sqlite,
    ]


def sqlite_rates(folder: Path) -> list[tuple[int, float, int]]:
    """(lines, seconds, created) of importing 50 000 then 200 000 new lines on SQLite."""
    from console import create_app

    url = f"sqlite:///{folder / 'isoko-bench.db'}"
    for command in (
        ("db", "upgrade", "heads"),
        ("load-reference",),
        ("init-roles",),
        (
            "seed-demo",
            "--orders",
            str(SQLITE_SEEDED_LINES),
            "--seed",
            str(SEED),
            "--until",
            UNTIL.isoformat(),
        ),
    ):
        isoko(url, *command)
    app = create_app(bench_config(url))
    known = sellers(app)
    measured = []
    for lines in SQLITE_SIZES:
        path = folder / f"commandes-{lines}.csv"
        write_orders(path, lines, known, prefix=f"SQLITE{lines}")
        seconds, result, _ = timed_import(app, path)
        print(
            f"   SQLite, {number(lines)} lignes : {seconds:.1f} s, {number(lines / seconds)} lignes/s",
            flush=True,
        )
        measured.append((lines, seconds, result.created))
        path.unlink()
    with app.app_context():
        from console.extensions import db

        db.session.remove()
        db.engine.dispose()
    return measured


def sqlite_rows(measured: list[tuple[int, float, int]]) -> list[Row]:
    """The SQLite rates, the larger file against the smaller (linear: a ratio near 1)."""
    (small, small_s, _), (large, large_s, created) = measured
    return [
        heading(
            "Orders import on SQLite (first-run database), new lines",
            f"{number(SQLITE_SEEDED_LINES)} seeded lines first; the rate must not fall with the file's size",
        ),
        Row(
            f"SQLite import, {number(large)} lines against {number(small)}",
            f"{number(large / large_s)} lines/s",
            f"{number(small / small_s)} lines/s",
            (large / large_s) / (small / small_s),
            f"{number(large_s, 1)} s against {number(small_s, 1)} s; {number(created)} created; baseline: "
            "the same import of the smaller file (linear: ratio within ±25 % of 1)",
        ),
    ]
