"""Time one year of tax reconciliation against a plain GROUP BY month, on PostgreSQL.

    /work/venv/bin/python bench/bench_reconciliation.py [--lines 1000000] [--runs 5]
        [--url postgresql+psycopg://…]

Creates a throw-away database (unless --url is given), migrates it, loads the demo data
set with ``console.demo.seed.seed_demo`` (--lines order lines over two years ending on
31/12/2024), runs ANALYZE, then times, in the same run, the median of --runs runs
after one warm-up of:

1. the baseline: ``SELECT month, sum(tax) FROM order_line JOIN sale_order … GROUP BY
   month`` over every line, and over the year 2024 only;
2. ``reconcile`` for 2024 by month (due, collected, remitted per seller and month) and
   by quarter;
3. ``leakage_flags`` for 2024 (every flag kind) and ``what_if_period`` for 2024 with
   the standard VAT rate raised to 20 % (for information: the target is on 2).

It prints a Markdown table with the ratio to the same-year baseline (target: the
reconciliation under 3 s). The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

YEAR_START, YEAR_END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
TARGET_SECONDS = 3.0


def median_time(function, runs: int) -> float:
    """Median wall time of ``runs`` calls, after one warm-up call."""
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def baseline(session, year_only: bool):
    """A plain GROUP BY month over the order lines (joined to their order for the date)."""
    from sqlalchemy import text

    where = "WHERE o.placed_at >= :start AND o.placed_at < :end" if year_only else ""
    sql = text(
        "SELECT date_trunc('month', o.placed_at) AS month, sum(l.tax) "
        f"FROM order_line l JOIN sale_order o ON o.id = l.order_id {where} GROUP BY 1"
    )
    params = {"start": dt.datetime(2023, 12, 31, 22), "end": dt.datetime(2024, 12, 31, 22)}
    return lambda: session.execute(sql, params if year_only else {}).all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", default=None, help="an existing, empty PostgreSQL database")
    args = parser.parse_args()

    from tests.conftest import build_app, create_pg_database, drop_pg_database

    url = args.url or create_pg_database()
    try:
        app = build_app(url)
        from console.demo.seed import seed_demo
        from console.extensions import db
        from console.security.scoping import NATIONAL
        from console.services.leakage import leakage_flags
        from console.services.reconciliation import reconcile
        from console.services.tax_stamping import load_rules
        from console.services.tax_what_if import draft_with_rate, what_if_period

        with app.app_context():
            started = time.perf_counter()
            seed_demo(db, order_lines=args.lines, seed=2023, until=YEAR_END)
            print(f"données : {args.lines} lignes de commande chargées en "
                  f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
            session = db.session
            in_year = session.execute(
                db.text("SELECT count(*) FROM order_line l JOIN sale_order o ON o.id = l.order_id "
                        "WHERE o.placed_at >= '2023-12-31 22:00' AND o.placed_at < '2024-12-31 22:00'")
            ).scalar()
            rules = load_rules(session)
            standard = next(rule for rule in rules if rule.code == "TVA-18")
            draft = draft_with_rate(rules, standard.id, Decimal("0.20"))
            as_of = YEAR_END + dt.timedelta(days=45)
            measures = [
                ("GROUP BY mois, toutes les lignes (référence)", baseline(session, False)),
                ("GROUP BY mois, année 2024 (référence)", baseline(session, True)),
                ("reconcile 2024, par mois", lambda: reconcile(session, NATIONAL, YEAR_START, YEAR_END)),
                ("reconcile 2024, par trimestre",
                 lambda: reconcile(session, NATIONAL, YEAR_START, YEAR_END, "quarter")),
                ("leakage_flags 2024 (tous les signalements)",
                 lambda: leakage_flags(session, NATIONAL, YEAR_START, YEAR_END, as_of=as_of)),
                ("what_if_period 2024 (TVA 18 % → 20 %)",
                 lambda: what_if_period(session, NATIONAL, YEAR_START, YEAR_END, draft, current_rules=rules)),
            ]
            results = [(label, median_time(function, args.runs)) for label, function in measures]
            session.rollback()
    finally:
        if not args.url:
            drop_pg_database(url)

    reference = results[1][1]
    def count(n: int) -> str:
        return f"{n:,}".replace(",", "\u202f")

    print(f"\n{count(args.lines)} lignes de commande au total, {count(in_year)} en 2024 ; médiane de "
          f"{args.runs} exécutions après une de chauffe ; PostgreSQL.\n")
    print("| Requête | Durée (s) | Rapport à la référence 2024 |")
    print("|---|---:|---:|")
    for label, seconds in results:
        print(f"| {label} | {seconds:.3f} | {seconds / reference:.1f} × |")
    reconciliation = results[2][1]
    verdict = "atteint" if reconciliation < TARGET_SECONDS else "MANQUÉ"
    print(f"\nObjectif « rapprochement d'une année < {TARGET_SECONDS:.0f} s » : {verdict} "
          f"({reconciliation:.2f} s).")


if __name__ == "__main__":
    main()
