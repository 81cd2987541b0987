"""Every report and format: time and peak memory against WeasyPrint or openpyxl alone.

Each measure runs in a fresh child process (bench.report_runs), so that one report's
memory does not hide in another's: the report as the console generates it (archive
entry, collect, render or write, hash, store), then, in another process, the bare
library on the same content — the report's HTML laid out by WeasyPrint with the same
stylesheet, or the report's rows, sheet by sheet, appended to a write-only openpyxl
workbook. Memory is the peak RSS growth during the runs, above the process's RSS once
its imports are done (the app's own footprint is in the note).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

from .common import ROOT, Dataset
from .table import Row, heading, memory_row, number, timing_row


def cases(app) -> list[tuple[str, str, dict, str]]:
    """(report key, format, parameters, description): every report in each of its formats."""
    from console.extensions import db
    from reports.registry import reports

    with app.app_context():
        month = db.session.scalar(
            sa.text(
                "SELECT to_char(o.placed_at AT TIME ZONE 'Africa/Bujumbura', 'YYYY-MM') FROM order_line l "
                "JOIN sale_order o ON o.id = l.order_id GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            )
        )
        seller = db.session.scalar(
            sa.text(
                "SELECT seller_id FROM sale_order GROUP BY seller_id ORDER BY count(*) DESC LIMIT 1"
            )
        )
        assignment = db.session.scalar(sa.text("SELECT min(id) FROM device_assignment"))
        longest_order = db.session.scalar(
            sa.text(
                "SELECT o.reference FROM sale_order o JOIN order_line l ON l.order_id = o.id "
                "GROUP BY o.id, o.reference ORDER BY count(*) DESC, o.id LIMIT 1"
            )
        )
    chosen = {
        "ventes-mensuel": ({"period": month, "province": ""}, f"{month}, national"),
        "recettes-fiscales": ({"period": "2025", "province": ""}, "year 2025, national"),
        "fiche-cooperative": (
            {"cooperative": str(seller), "period": "2026-06"},
            "busiest seller, 12 months to June 2026",
        ),
        "inventaire-tablettes": ({"province": ""}, "national"),
        "bon-de-remise": ({"assignment": str(assignment)}, "one handover"),
        "facture": ({"order": longest_order}, "the order with the most lines"),
        "programme-pilote": (
            {"period": "2025", "province": "", "cohort": ""},
            "year 2025, national, all cohorts",
        ),
    }
    missing = set(reports()) - set(chosen)
    if missing:  # a new report must be benchmarked too: say which parameters it takes
        raise RuntimeError(f"rapports sans paramètres de mesure : {', '.join(sorted(missing))}")
    return [(key, fmt, *chosen[key]) for key, spec in reports().items() for fmt in spec.formats]


def child(mode: str, args: dict) -> dict:
    """Run one measure in a fresh process; its last output line is the JSON result."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.report_runs", mode, json.dumps(args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"mesure {mode} {args.get('key', '')} a échoué :\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(app, data: Dataset, repeat: int) -> list[Row]:
    """Two rows per report and format: time, then peak memory."""
    rows = [
        heading(
            "Reports, each in a fresh process (p50 / p95)",
            "Isoko: the report as the console generates it (archive entry, data, render, hash, "
            "store); baseline: WeasyPrint alone on the same HTML and stylesheet, or a bare "
            "write-only openpyxl workbook of the same rows; memory: peak RSS growth during the runs",
        )
    ]
    with tempfile.TemporaryDirectory(prefix="isoko-bench-") as folder:
        for key, fmt, raw, description in cases(app):
            content = str(Path(folder) / f"{key}.{fmt}.content")
            ours = child(
                "report",
                {
                    "url": data.url,
                    "reports_dir": folder,
                    "key": key,
                    "format": fmt,
                    "raw": raw,
                    "repeat": repeat,
                    "content": content,
                },
            )
            base = child("bare", {"format": fmt, "content": content, "runs": len(ours["ms"])})
            label = f"report `{key}` {fmt.upper()} ({description})"
            size = f"{number(ours['bytes'] / 1e3)} kB"
            if ours["rows"]:
                size += f", {number(ours['rows'])} rows"
            runs = f"{len(ours['ms'])} run(s)"
            rows.append(timing_row(label, ours["ms"], base["ms"], f"{size}; {runs}"))
            rows.append(
                memory_row(
                    f"report `{key}` {fmt.upper()}, peak memory",
                    ours["peak_mb"] - ours["start_mb"],
                    base["peak_mb"] - base["start_mb"],
                    f"process peak RSS {number(ours['peak_mb'])} MB with the app loaded "
                    f"({number(ours['start_mb'])} MB before the run); bare process peak "
                    f"{number(base['peak_mb'])} MB",
                )
            )
            print(
                f"   {label:<70} {rows[-2].isoko:>22} {rows[-2].baseline:>22}  "
                f"{rows[-1].isoko:>8} {rows[-1].baseline:>8}",
                flush=True,
            )
    return rows
