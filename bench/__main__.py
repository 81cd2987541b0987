"""`python -m bench --scale 1m`: every benchmark on one seeded dataset, one table.

Builds a scratch PostgreSQL database with the isoko commands (seed-demo and the rest),
measures each section against its baseline in the same run, prints one Markdown table
and writes it, with the machine's description, into the ``bench`` section of
bench/RESULTS.md. The scratch database is dropped at the end, also on failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from . import (
    console_pages,
    dashboards,
    ingest,
    ingest_profile,
    orders_import,
    page_weight,
    reconciliation,
    reports,
    seeding,
)
from .common import PG_ADMIN_URL, bench_config, build_dataset, drop_database, parse_scale
from .results import machine_description, write_section
from .table import markdown, number

# In this order: the ingest and the import run last, since they add orders to the dataset.
SECTIONS = {
    "seeding": seeding.measure,
    "dashboards": dashboards.measure,
    "console": console_pages.measure,
    "reports": reports.measure,
    "reconciliation": reconciliation.measure,
    "pages": page_weight.measure,  # through nginx, in Chromium
    "ingest-profile": ingest_profile.measure,  # in process: queries and ms per order
    "ingest": ingest.measure,
    "drill": ingest.measure_drill,
    "import": orders_import.measure,
}
RATIO = (
    "Ratio = Isoko ÷ baseline of the figures shown (of the medians for p50 / p95 pairs): "
    "above 1 a time or a memory costs more than its baseline, below 1 a rate is slower."
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Tous les bancs d'essai sur un seul jeu de données PostgreSQL, un seul tableau.",
    )
    parser.add_argument(
        "--scale", default="1m", help="lignes de commande : 1m, 100k, 20k ou un nombre"
    )
    parser.add_argument(
        "--repeat", type=int, default=15, help="mesures par figure (après une de chauffe)"
    )
    parser.add_argument("--keep", action="store_true", help="garder la base de travail")
    parser.add_argument(
        "--database",
        help="URL d'une base gardée par --keep : la réutiliser (ni construite ni supprimée)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="afficher seulement, sans écrire RESULTS.md"
    )
    parser.add_argument(
        "--only",
        help=f"sections, séparées par des virgules : {', '.join(SECTIONS)} "
        "(n'écrit pas RESULTS.md)",
    )
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",")] if args.only else list(SECTIONS)
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"section inconnue : {', '.join(sorted(unknown))}")
    if args.repeat < 1:
        parser.error("--repeat doit être au moins 1")
    return args


def dataset_line(data, seconds: float) -> str:
    """What the dataset holds and what building it cost, step by step."""
    counts = ", ".join(f"{number(n)} {table}" for table, n in data.counts.items())
    if not data.timings:
        return f"Dataset: {counts}; a database kept by an earlier run (--database)."
    steps = ", ".join(f"{name[:-2]} {value:.0f} s" for name, value in data.timings.items())
    return f"Dataset: {counts}; built by the `isoko` commands in {seconds:.0f} s ({steps})."


def reuse_dataset(url: str, order_lines: int):
    """A database kept by an earlier run (``--keep``), as it is now."""
    import sqlalchemy as sa

    from .common import Dataset

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = {
            table: conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("order_line", "sale_order", "payment", "listing", "cooperative")
        }
    engine.dispose()
    return Dataset(url, order_lines, counts=counts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    order_lines = parse_scale(args.scale)
    started = time.perf_counter()
    machine = machine_description(PG_ADMIN_URL)  # the load average before the run starts
    print(f"Jeu de données : {number(order_lines)} lignes de commande…", flush=True)
    data = reuse_dataset(args.database, order_lines) if args.database else None
    data = data or build_dataset(order_lines, args.scale)
    try:
        built = time.perf_counter() - started
        print(dataset_line(data, built), flush=True)
        from console import create_app

        app = create_app(bench_config(data.url))
        rows = []
        for name in args.sections:
            section_started = time.perf_counter()
            print(f"== {name}", flush=True)
            rows += SECTIONS[name](app, data, args.repeat)
            print(f"   ({time.perf_counter() - section_started:.0f} s)", flush=True)
        with app.app_context():
            from console.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        if args.keep or args.database:
            print(f"Base conservée : {data.url}")
        else:
            drop_database(data.url)
    minutes = (time.perf_counter() - started) / 60
    command = " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])])
    text = "\n\n".join(
        [
            f"### `{command}` — {dt.date.today().isoformat()}",
            machine,
            dataset_line(data, built),
            RATIO,
            markdown(rows),
            f"Whole run: {minutes:.1f} min.",
        ]
    )
    print("\n" + text)
    if args.no_write or args.only:
        print("\n(RESULTS.md inchangé : --no-write ou --only)")
    else:
        print(f"\nÉcrit dans {write_section('bench', text)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
