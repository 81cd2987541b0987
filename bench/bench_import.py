"""Time the order-lines import against a plain COPY of the same file, on PostgreSQL.

    /work/venv/bin/python bench/bench_import.py [--lines 1000000] [--url postgresql+psycopg://…]

Creates a throw-away database (unless --url is given), loads the reference data, a few
hundred sellers and products, writes an orders file of --lines lines in the marketplace
export's French format, then, in the same run:

1. COPY of the file into a bare table of text columns (no parsing, no index): the floor;
2. `isoko import orders` of the same file (parse, stamp taxes, stage via COPY, check,
   upsert, trace);
3. the same import again (everything unchanged);
4. writing the imported rows alone: INSERT … SELECT of the stored orders and lines,
   copied aside, into the emptied sale_order and order_line (their constraints and
   indexes), rolled back — what any importer pays, whatever its parsing.

It prints the times, where the import's time went (reading and checking the file by
chunks, staging COPY, checks across lines, plan, upsert, the dashboards' refresh), and
the ratio « import speed / COPY speed » (target ≥ 0.5).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SELLERS, PRODUCTS_PER_SELLER = 300, 4
HEADER = ("Référence de commande;Ligne;Date de commande;Vendeur;Acheteur;Statut;Mode de paiement;"
          "SKU;Quantité;Prix unitaire\n")


def write_orders(path: Path, lines: int, categories: list[str], seed: int = 2023) -> None:
    """A marketplace export: ~3 lines per order, French dates, decimal commas, spaced thousands."""
    rng = random.Random(seed)
    statuses = ["Livrée", "Payée", "Passée"]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        written, order = 0, 0
        while written < lines:
            order += 1
            seller = rng.randrange(SELLERS)
            day = 1 + rng.randrange(28)
            month = 1 + rng.randrange(12)
            placed = f"{day:02d}/{month:02d}/2024 {rng.randrange(7, 19):02d}:{rng.randrange(60):02d}"
            buyer = f"Client {rng.randrange(20000)}"
            status, payment = rng.choice(statuses), rng.choice(["Espèces", "Banque", "Autre"])
            for line_no in range(1, min(1 + rng.randrange(5), lines - written) + 1):
                sku = f"S{seller:04d}-P{rng.randrange(PRODUCTS_PER_SELLER)}"
                quantity = f"{rng.randrange(1, 500)},{rng.randrange(10)}"
                price = f"{rng.randrange(1, 60)} {rng.randrange(1000):03d}"
                out.write(f"CMD-{order:08d};{line_no};{placed};COOP-{seller:04d};{buyer};{status};{payment};"
                          f"{sku};{quantity};{price}\n")
                written += 1


def prepare(app) -> list[str]:
    """Sellers and products for the file; returns the category codes."""
    import sqlalchemy as sa

    from console.extensions import db
    from console.models import Category, Cooperative, Product, Province, Unit

    with app.app_context():
        provinces = db.session.scalars(sa.select(Province).where(Province.map_version == "2015")).all()
        categories = db.session.scalars(sa.select(Category)).all()
        unit = db.session.scalars(sa.select(Unit)).first()
        coops = []
        for n in range(SELLERS):
            province = provinces[n % len(provinces)]
            coops.append({"registration_number": f"COOP-{n:04d}", "name": f"Coopérative {n}",
                          "seller_kind": "cooperative", "category": "production",
                          "province_id": province.id, "province_2025_id": province.successor_id,
                          "members_total": 10, "members_women": 5, "members_youth": 2,
                          "vat_registered": n % 3 != 0, "status": "active", "is_pioneer": n < 100})
        db.session.execute(sa.insert(Cooperative.__table__), coops)
        ids = dict(db.session.execute(sa.select(Cooperative.registration_number, Cooperative.id)).all())
        products = [{"cooperative_id": ids[f"COOP-{n:04d}"], "category_id": categories[(n + p) % len(categories)].id,
                     "unit_id": unit.id, "sku": f"S{n:04d}-P{p}", "name": f"Produit {n}-{p}"}
                    for n in range(SELLERS) for p in range(PRODUCTS_PER_SELLER)]
        db.session.execute(sa.insert(Product.__table__), products)
        db.session.commit()
        return [c.code for c in categories]


def plain_copy(app, path: Path) -> float:
    """Seconds to COPY the file into a bare table of text columns."""
    from console.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("DROP TABLE IF EXISTS bench_bare; CREATE TABLE bench_bare "
                           "(c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text, c8 text, c9 text, c10 text)")
            raw.commit()
            started = time.perf_counter()
            with path.open("rb") as handle, cursor.copy(
                    "COPY bench_bare FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)") as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            raw.commit()
            elapsed = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_bare")
            raw.commit()
            return elapsed
        finally:
            raw.close()


# Steps of the import, timed by wrapping the functions that do them (module, attribute, label).
STEPS = (
    ("importers.orders_bulk", "process_chunk", "lecture + contrôles par colonnes (Python)"),
    ("importers.orders_stage", "copy_text", "texte COPY des lignes (Python)"),
    ("importers.orders_stage", "Stager.add", "COPY vers la table de préparation (dont texte)"),
    ("importers.orders_bulk", "check_lines", "contrôles entre lignes (SQL)"),
    ("importers.orders_bulk", "create_buyers", "acheteurs nouveaux"),
    ("importers.orders_bulk", "plan", "plan : jointure aux commandes stockées (SQL)"),
    ("importers.orders_bulk", "upsert", "INSERT … ON CONFLICT commandes + lignes (SQL)"),
    ("console.services.facts", "refresh_facts", "rafraîchissement des agrégats (tableaux de bord)"),
)


@contextmanager
def step_timer():
    """Time each step of STEPS while the block runs; yields {label: seconds}."""
    import importlib

    spent: dict[str, float] = defaultdict(float)
    saved = []
    for module_name, attribute, label in STEPS:
        target = importlib.import_module(module_name)
        *owners, name = attribute.split(".")
        for owner in owners:
            target = getattr(target, owner)
        original = getattr(target, name)

        def timed(*args, _original=original, _label=label, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] += time.perf_counter() - started

        saved.append((target, name, original))
        setattr(target, name, timed)
    try:
        yield spent
    finally:
        for target, name, original in saved:
            setattr(target, name, original)


def timed_import(app, path: Path):
    from console.extensions import db
    from console.security.scoping import NATIONAL
    from importers.command import ImportRequest, run_import

    with app.app_context():
        request = ImportRequest(kind="orders", path=path, file_name=path.name, user_id=None,
                                username="bench", scope=NATIONAL, source="cli")
        with step_timer() as spent:
            started = time.perf_counter()
            result = run_import(db.session, request)
            elapsed = time.perf_counter() - started
        return elapsed, result, dict(spent)


def write_only(app) -> float:
    """Seconds to INSERT the stored orders and lines again into the emptied tables (rolled back)."""
    from console.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("CREATE TEMP TABLE bench_so AS SELECT * FROM sale_order")
            cursor.execute("CREATE TEMP TABLE bench_ol AS SELECT * FROM order_line ORDER BY id")
            cursor.execute("TRUNCATE sale_order, order_line CASCADE")
            started = time.perf_counter()
            cursor.execute("INSERT INTO sale_order SELECT * FROM bench_so")
            cursor.execute("INSERT INTO order_line SELECT * FROM bench_ol")
            elapsed = time.perf_counter() - started
            raw.rollback()
            return elapsed
        finally:
            raw.close()


def _show_steps(total: float, spent: dict[str, float]) -> None:
    for _, _, label in STEPS:
        if spent.get(label):
            print(f"    {label:<52} {spent[label]:6.1f} s")
    inside = spent.get(STEPS[1][2], 0.0)  # the COPY text is built inside Stager.add
    rest = total - sum(spent.values()) + inside
    print(f"    {'reste (lecture des références, journal, trace, commit…)':<52} {rest:6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--url", default=None, help="an existing, empty PostgreSQL database")
    args = parser.parse_args()
    from tests.conftest import build_app, create_pg_database, drop_pg_database

    url = args.url or create_pg_database()
    try:
        app = build_app(url)
        categories = prepare(app)
        folder = Path(tempfile.mkdtemp(prefix="isoko-bench-"))
        path = folder / "commandes.csv"
        started = time.perf_counter()
        write_orders(path, args.lines, categories)
        print(f"fichier : {args.lines} lignes, {path.stat().st_size / 1e6:.0f} Mo, écrit en "
              f"{time.perf_counter() - started:.1f} s")
        copy_s = plain_copy(app, path)
        import_s, result, spent = timed_import(app, path)
        assert result.ok, result.errors[:5]
        again_s, again, again_spent = timed_import(app, path)
        assert again.created == again.updated == 0
        write_s = write_only(app)
        print(f"COPY brut (table nue, colonnes texte) : {copy_s:.1f} s ({args.lines / copy_s:,.0f} lignes/s)")
        print(f"import (création)                     : {import_s:.1f} s ({args.lines / import_s:,.0f} lignes/s) "
              f"— {result.created} créées")
        _show_steps(import_s, spent)
        print(f"réimport (tout inchangé)               : {again_s:.1f} s ({args.lines / again_s:,.0f} lignes/s) "
              f"— {again.unchanged} inchangées")
        _show_steps(again_s, again_spent)
        print(f"écriture seule (INSERT des lignes typées dans sale_order + order_line vides) : {write_s:.1f} s")
        print(f"rapport vitesse import / COPY          : {copy_s / import_s:.3f} (cible ≥ 0,5)")
        refresh = spent.get(STEPS[-1][2], 0.0)
        if refresh:
            print(f"  hors rafraîchissement des agrégats   : {copy_s / (import_s - refresh):.3f}")
        print(f"rapport vitesse réimport / COPY        : {copy_s / again_s:.3f}")
        print(f"plafond : écriture seule / COPY        : {copy_s / write_s:.3f} (aucun import ne peut faire mieux)")
        path.unlink()
        with app.app_context():
            from console.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        if not args.url:
            drop_pg_database(url)


if __name__ == "__main__":
    main()
