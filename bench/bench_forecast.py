"""Backtest the mévente forecast against seasonal-naive (same week last year), same run.

    /work/venv/bin/python bench/bench_forecast.py [--lines 20000] [--origins 12]
        [--horizon 4] [--until 2024-12-31] [--postgresql | --url URL] [--no-cells]

Builds a scratch database (SQLite by default, PostgreSQL with --postgresql), migrates
it, loads the demo history with ``console.demo.seed.seed_demo`` (two years of orders
ending on --until) — or, with --url, uses an existing database as it is (imported
history) — computes the weekly indicators, then for each value chain backtests, with
rolling origins over the last --origins weeks and a --horizon-week horizon:

- the model (exponential smoothing chosen by history length, console.services.mevente.forecast),
- seasonal-naive (the value of the same week a year earlier),

on the national series (2025 map, provinces summed), and with --cells (default) on every
value chain × province series of the 2025 map, errors pooled per value chain. It prints
MAE and MAPE per value chain and overall for the weekly sell-through (in percentage
points) and the unsold stock (in francs), and stores the method kept per value chain
(mevente_forecast_choice) exactly as `isoko mevente-refresh` does. A scratch database
is dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _fmt(value: float | None, scale: float = 1.0, decimals: int = 2) -> str:
    return (
        "—"
        if value is None
        else f"{value * scale:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    )


def _table(title: str, rows, metric, names) -> list[str]:
    """Markdown rows: value chain, model used, MAE and MAPE of both, verdict."""
    from console.models.mevente import ForecastMetric
    from console.services.mevente.forecast import METHOD_LABELS
    from console.services.mevente.forecast_backtest import Errors

    money = metric == ForecastMetric.UNSOLD_VALUE
    scale, unit, decimals = (1.0, "FBu", 0) if money else (100.0, "points", 2)
    lines = [
        f"\n### {title}\n",
        f"| Filière | Modèle testé | Origines | MAE modèle ({unit}) | MAE saisonnier naïf ({unit}) "
        "| MAPE modèle | MAPE saisonnier naïf | Retenu |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    overall_model, overall_base, kept = Errors(), Errors(), 0
    for chain in sorted(rows, key=lambda c: names[c]):
        model, base, method, origins = rows[chain]
        overall_model.extend(model)
        overall_base.extend(base)
        wins = base.mae is None or (model.mae is not None and model.mae < base.mae)
        kept += wins
        lines.append(
            f"| {names[chain]} | {METHOD_LABELS.get(method, method)} | {origins} | {_fmt(model.mae, scale, decimals)} "
            f"| {_fmt(base.mae, scale, decimals)} | {_fmt(model.mape)} % | {_fmt(base.mape)} % "
            f"| {'modèle' if wins else 'saisonnier naïf'} |"
        )
    lines.append(
        f"| **Ensemble** | | | **{_fmt(overall_model.mae, scale, decimals)}** | **{_fmt(overall_base.mae, scale, decimals)}** "
        f"| **{_fmt(overall_model.mape)} %** | **{_fmt(overall_base.mape)} %** | modèle gardé pour {kept}/{len(rows)} |"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20000, help="order lines of the demo history")
    parser.add_argument("--origins", type=int, default=12)
    parser.add_argument("--horizon", type=int, default=4)
    parser.add_argument("--until", default="2024-12-31", help="last day of the demo history")
    parser.add_argument("--postgresql", action="store_true", help="scratch PostgreSQL database")
    parser.add_argument("--url", default=None, help="an existing database with its own history")
    parser.add_argument("--no-cells", dest="cells", action="store_false")
    args = parser.parse_args()

    import tempfile

    from tests.conftest import build_app, create_pg_database, drop_pg_database

    scratch = args.url is None
    tmp = tempfile.TemporaryDirectory()
    url = args.url or (
        create_pg_database() if args.postgresql else f"sqlite:///{tmp.name}/bench.db"
    )
    until = dt.date.fromisoformat(args.until)
    report: list[str] = []
    try:
        app = build_app(url)
        from sqlalchemy import func, select

        from console import models as m
        from console.extensions import db
        from console.models.mevente import ForecastMetric
        from console.services.mevente.forecast_backtest import (
            METRIC_BOUNDS,
            Errors,
            backtest_series,
            cell_series,
            choose_methods,
        )
        from console.services.mevente.indicators import refresh_weekly_indicators

        with app.app_context():
            session = db.session
            if scratch:
                from console.demo.seed import seed_demo

                started = time.perf_counter()
                seed_demo(db, order_lines=args.lines, seed=2023, until=until)
                print(
                    f"historique de démonstration : {args.lines} lignes en {time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                )
            last_order = session.scalar(select(func.max(m.Order.placed_at)))
            as_of = (last_order.date() if hasattr(last_order, "date") else until) + dt.timedelta(
                days=1
            )
            started = time.perf_counter()
            rows = refresh_weekly_indicators(session, as_of)
            indicators_s = time.perf_counter() - started
            names = dict(session.execute(select(m.ValueChain.id, m.ValueChain.name)).all())

            started = time.perf_counter()
            national = choose_methods(session, args.horizon, args.origins)
            national_s = time.perf_counter() - started
            session.commit()

            for metric, label in (
                (ForecastMetric.SELL_THROUGH, "taux d'écoulement hebdomadaire"),
                (ForecastMetric.UNSOLD_VALUE, "stock invendu (valeur)"),
            ):
                by_chain = {
                    chain: (r.model, r.baseline, r.model_method, r.origins)
                    for (chain, met), r in national.items()
                    if met == metric
                }
                report += _table(
                    f"Séries nationales par filière — {label}", by_chain, metric, names
                )
                if args.cells:
                    started = time.perf_counter()
                    pooled: dict[int, list] = {}
                    for (chain, _province), values in cell_series(session, metric).items():
                        result = backtest_series(
                            values, args.horizon, args.origins, METRIC_BOUNDS[metric]
                        )
                        entry = pooled.setdefault(
                            chain, [Errors(), Errors(), result.model_method, 0]
                        )
                        entry[0].extend(result.model)
                        entry[1].extend(result.baseline)
                        entry[3] += result.origins
                    report += _table(
                        f"Cellules filière × province (carte 2025), erreurs regroupées — {label}",
                        {c: tuple(v) for c, v in pooled.items()},
                        metric,
                        names,
                    )
                    report.append(f"\n({time.perf_counter() - started:.1f} s pour ces cellules)")
            weeks = max((r.history_weeks for r in national.values()), default=0)
    finally:
        if scratch and args.postgresql:
            drop_pg_database(url)
        tmp.cleanup()

    source = f"démo {args.lines} lignes jusqu'au {until:%d/%m/%Y}" if scratch else "base existante"
    print(f"# Backtest des prévisions de mévente ({source})\n")
    print(
        f"Origines glissantes : les {args.origins} dernières semaines, horizon {args.horizon} semaines ; "
        f"historique national le plus long : {weeks} semaines ; {rows} lignes d'indicateurs "
        f"calculées en {indicators_s:.1f} s ; backtest national en {national_s:.1f} s. "
        "Taux d'écoulement : erreurs en points de pourcentage ; MAPE hors semaines à zéro."
    )
    print("\n".join(report))


if __name__ == "__main__":
    main()
