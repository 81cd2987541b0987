"""Benchmark the reports on PostgreSQL with seeded demo data.

    python bench/bench_reports.py                   # scratch database, seeded, dropped after
    python bench/bench_reports.py --lines 2000000 --period 2024 --until 2024-12-31
    python bench/bench_reports.py --database-url postgresql+psycopg://…/isoko_bench --no-seed

Measures:

1. the national monthly sales PDF (collect + render + archive), target < 3 s;
2. the tax statement workbook of a period carrying every order line (about a million
   rows with the defaults), in a fresh subprocess: rows per second and peak RSS
   (target < 300 MB);
3. the baseline: a bare openpyxl write-only loop over the same rows (same streamed
   query, plain ``ws.append``, no styles), in its own subprocess; prints the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("ISOKO_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PDF_TARGET_S = 3.0
RSS_TARGET_MB = 300


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB.

    Linux's VmHWM starts afresh at exec; ``ru_maxrss`` would carry over the peak of the
    parent that forked us (the seeding bench process), so it is only the fallback.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_app(database_url: str, reports_dir: str):
    """The app on the bench database, with no Redis (everything runs in this process)."""
    from config import Config
    from console import create_app

    class BenchConfig(Config):
        ENV_NAME = "testing"
        SECRET_KEY = "bench-only"
        SQLALCHEMY_DATABASE_URI = database_url
        REDIS_URL = None
        SLOW_QUERY_MS = 600_000  # the bench measures; it does not need the slow-query log

    app = create_app(BenchConfig)
    app.config["REPORTS_DIR"] = reports_dir
    return app


def create_database() -> str:
    import sqlalchemy as sa

    name = f"isoko_bench_reports_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL)


def drop_database(url: str) -> None:
    import sqlalchemy as sa

    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                             "AND pid <> pg_backend_pid()"), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def prepare(database_url: str, lines: int, until: dt.date, reports_dir: str) -> None:
    """Migrate, load reference data and seed the demo data."""
    from flask_migrate import upgrade

    from console.demo.seed import seed_demo
    from console.extensions import db
    from console.reference.loader import load_reference

    app = make_app(database_url, reports_dir)
    with app.app_context():
        upgrade(revision="heads")
        load_reference(db.session)
        db.session.commit()
        started = time.perf_counter()
        seed_demo(db, order_lines=lines, seed=2023, until=until)
        print(f"données : {n(lines)} lignes de commande générées en {time.perf_counter() - started:.0f} s "
              f"(jusqu'au {until:%d/%m/%Y})")
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()


def _archive_and_run(app, key: str, raw: dict, fmt: str):
    from console.extensions import db
    from console.models import ReportArchive
    from console.security.scoping import NATIONAL
    from reports.archive import Requester, create_entry, stored_file
    from reports.generation import run_archived_report
    from reports.parameters import resolve
    from reports.registry import get_report

    spec = get_report(key)
    params = resolve(db.session, spec.parameters, raw, NATIONAL)
    archive = create_entry(db.session, spec, params, fmt, Requester(None, "bench", "cli"))
    db.session.commit()
    started = time.perf_counter()
    run_archived_report(archive.id)
    elapsed = time.perf_counter() - started
    archive = db.session.get(ReportArchive, archive.id)
    return elapsed, archive, stored_file(app, archive)


def busiest_month(app) -> str:
    """The month with the most order lines (the heaviest monthly report)."""
    from sqlalchemy import func, select

    from console import models as m
    from console.extensions import db
    from reports.queries import local_day

    with app.app_context():
        day = local_day(db.session, m.Order.placed_at)
        month = func.to_char(day, "YYYY-MM")
        row = db.session.execute(
            select(month, func.count()).select_from(m.OrderLine).join(m.Order)
            .group_by(month).order_by(func.count().desc()).limit(1)
        ).one()
        return row[0]


def bench_pdf(database_url: str, reports_dir: str, repeat: int) -> None:
    app = make_app(database_url, reports_dir)
    month = busiest_month(app)
    times = []
    with app.app_context():
        _archive_and_run(app, "ventes-mensuel", {"period": month, "province": ""}, "pdf")  # warm-up
        for _ in range(repeat):
            elapsed, archive, path = _archive_and_run(app, "ventes-mensuel", {"period": month, "province": ""}, "pdf")
            times.append(elapsed)
    verdict = "OK" if statistics.median(times) < PDF_TARGET_S else "AU-DESSUS DE LA CIBLE"
    print(f"PDF national des ventes ({month}) : médiane {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s sur {repeat} essais — cible < {PDF_TARGET_S:.0f} s : {verdict} "
          f"({path.stat().st_size // 1024} Ko)")


def child_report(database_url: str, reports_dir: str, period: str) -> dict:
    """In a fresh process: the full tax statement workbook."""
    app = make_app(database_url, reports_dir)
    with app.app_context():
        cpu = time.process_time()
        elapsed, archive, path = _archive_and_run(app, "recettes-fiscales", {"period": period, "province": ""}, "xlsx")
        cpu = time.process_time() - cpu
    return {"seconds": elapsed, "cpu": cpu, "rows": archive.row_count, "rss_mb": peak_rss_mb(),
            "bytes": path.stat().st_size, "status": archive.status.value}


def child_baseline(database_url: str, reports_dir: str, period: str) -> dict:
    """In a fresh process: a bare write-only loop over the same streamed rows."""
    from openpyxl import Workbook

    from console.extensions import db
    from console.security.scoping import NATIONAL
    from reports.definitions.tax_statement import order_lines
    from reports.parameters import resolve
    from reports.registry import get_report

    app = make_app(database_url, reports_dir)
    with app.app_context():
        spec = get_report("recettes-fiscales")
        params = resolve(db.session, spec.parameters, {"period": period, "province": ""}, NATIONAL)
        started, cpu = time.perf_counter(), time.process_time()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Lignes")
        rows = 0
        for row in order_lines(db.session, params):
            ws.append(row)
            rows += 1
        target = Path(reports_dir) / "baseline.xlsx"
        wb.save(target)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": elapsed, "cpu": cpu, "rows": rows, "rss_mb": peak_rss_mb(), "bytes": target.stat().st_size}


def run_child(kind: str, database_url: str, reports_dir: str, period: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--database-url", database_url, "--reports-dir", reports_dir,
         "--period", period],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} a échoué :\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def n(value: float) -> str:
    """A count with French digit grouping."""
    return f"{value:,.0f}".replace(",", "\u202f")


def bench_excel(database_url: str, reports_dir: str, period: str) -> None:
    ours = run_child("report", database_url, reports_dir, period)
    base = run_child("baseline", database_url, reports_dir, period)
    ratio = ours["seconds"] / base["seconds"]
    cpu_ratio = ours["cpu"] / base["cpu"]
    verdict = "OK" if ours["rss_mb"] < RSS_TARGET_MB else "AU-DESSUS DE LA CIBLE"
    print(f"Classeur du relevé fiscal ({period}) : {n(ours['rows'])} lignes en {ours['seconds']:.1f} s "
          f"(CPU {ours['cpu']:.1f} s) = {n(ours['rows'] / ours['seconds'])} lignes/s, RSS max "
          f"{ours['rss_mb']:.0f} Mo (cible < {RSS_TARGET_MB} Mo : {verdict}), fichier {ours['bytes'] / 1e6:.0f} Mo")
    print(f"Référence openpyxl nue (mêmes lignes) : {n(base['rows'])} lignes en {base['seconds']:.1f} s "
          f"(CPU {base['cpu']:.1f} s) = {n(base['rows'] / base['seconds'])} lignes/s, RSS max "
          f"{base['rss_mb']:.0f} Mo")
    print(f"Rapport / référence : {ratio:.2f} × le temps de la boucle nue ({cpu_ratio:.2f} × en temps CPU ; "
          "le rapport ajoute la synthèse par vendeur et les signalements)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000, help="lignes de commande à générer")
    parser.add_argument("--until", type=dt.date.fromisoformat, default=dt.date(2024, 12, 31))
    parser.add_argument("--period", default="2024", help="période du classeur (≈ 1 million de lignes)")
    parser.add_argument("--repeat", type=int, default=5, help="essais du PDF")
    parser.add_argument("--database-url", help="base existante (sinon une base jetable est créée)")
    parser.add_argument("--no-seed", action="store_true", help="la base contient déjà les données")
    parser.add_argument("--keep", action="store_true", help="ne pas supprimer la base jetable")
    parser.add_argument("--reports-dir")
    parser.add_argument("--child", choices=["report", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        run = child_report if args.child == "report" else child_baseline
        print(json.dumps(run(args.database_url, args.reports_dir, args.period)))
        return

    url = args.database_url or create_database()
    with tempfile.TemporaryDirectory(prefix="isoko-bench-") as reports_dir:
        try:
            if not args.no_seed:
                prepare(url, args.lines, args.until, reports_dir)
            bench_pdf(url, reports_dir, args.repeat)
            bench_excel(url, reports_dir, args.period)
        finally:
            if not args.database_url and not args.keep:
                drop_database(url)


if __name__ == "__main__":
    main()
