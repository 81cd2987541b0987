"""What runs inside the reports benchmark's child processes, one fresh process per measure.

    python -m bench.report_runs report '{"url": …, "key": …, "format": …, …}'
    python -m bench.report_runs bare '{"format": …, "content": …, "runs": …}'

``report`` generates an archived report as the console does, then writes its content
(the HTML, or the rows pickled one by one) for ``bare``, which lays out the same HTML
with WeasyPrint alone or writes the same rows with a bare write-only openpyxl workbook.
Each prints one JSON line: the run times (ms), the peak RSS and the RSS at the start.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import resource
import sys
from pathlib import Path

from .common import ROOT, bench_config, sample

PDF_TEMPLATES = ROOT / "reports" / "templates" / "reports" / "pdf"
BUDGET_S = 20.0  # repeats stop after this much: a national workbook takes minutes at 1M


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak() -> float:
    """Make the peak RSS start again from the current RSS (Linux); return the current RSS in MB.

    The peak would otherwise include start-up (imports, app creation), which is not the run.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return 0.0
    return _status_mb("VmRSS") or 0.0


def peak_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _plain(value):
    """A value a bare openpyxl accepts (it refuses time-zone-aware date-times)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def dump_rows(path: Path, sheets) -> None:
    """Pickle ``(header, rows)`` sheets one object at a time: a dict opens a sheet, a list is a row."""
    with path.open("wb") as out:
        for header, rows in sheets:
            pickle.dump({"header": header}, out)
            for row in rows:
                pickle.dump([_plain(v) for v in row], out)


def report(args: dict) -> dict:
    """Generate the report ``runs`` times (within the budget); then write its content."""
    from console import create_app
    from console.extensions import db
    from console.models.reports import ReportArchive
    from console.security.scoping import NATIONAL
    from reports.archive import Requester, create_entry, stored_file
    from reports.generation import base_context, parameter_rows, run_archived_report
    from reports.parameters import resolve
    from reports.pdf import render_html
    from reports.registry import get_report

    app = create_app(bench_config(args["url"], REPORTS_DIR=args["reports_dir"]))
    with app.app_context():
        spec = get_report(args["key"])
        params = resolve(db.session, spec.parameters, args["raw"], NATIONAL)
        made: list[int] = []

        def generate() -> None:
            archive = create_entry(
                db.session, spec, params, args["format"], Requester(None, "bench", "cli")
            )
            db.session.commit()
            made.append(archive.id)
            run_archived_report(archive.id)

        start = reset_peak()
        times = sample(generate, args["repeat"], BUDGET_S, warm_up=False)
        peak = peak_mb()
        archive = db.session.get(ReportArchive, made[-1])
        result = {
            "ms": times,
            "peak_mb": peak,
            "start_mb": start,
            "rows": archive.row_count,
            "bytes": stored_file(app, archive).stat().st_size,
        }
        # The same content for the bare run, untimed: the HTML, or every sheet's rows.
        data = spec.collect(db.session, params)
        content = Path(args["content"])
        if args["format"] == "pdf":
            content.write_text(
                render_html(spec.template, base_context(spec, params, archive) | data)
            )
        else:
            sheets = [(None, parameter_rows(spec, params, archive))]
            for section in spec.excel(db.session, data, params):
                notes = [[note] for note in section.notes]
                sheets.append(([c.header for c in section.columns], [*section.rows, *notes]))
            dump_rows(content, sheets)
    return result


def bare(args: dict) -> dict:
    """Lay out the HTML with WeasyPrint alone, or write the rows with bare openpyxl."""
    content, runs = Path(args["content"]), args["runs"]
    target = content.with_name(f"{content.name}.bare.{args['format']}")  # the caller's folder
    if args["format"] == "pdf":
        from weasyprint import CSS, HTML

        html = content.read_text()

        def write() -> None:
            document = HTML(string=html, base_url=str(PDF_TEMPLATES) + "/")
            document.write_pdf(
                target, stylesheets=[CSS(filename=str(PDF_TEMPLATES / "report.css"))]
            )
    else:
        from openpyxl import Workbook

        def write() -> None:
            workbook = Workbook(write_only=True)
            sheet = None
            with content.open("rb") as source:
                while True:
                    try:
                        item = pickle.load(source)
                    except EOFError:
                        break
                    if isinstance(item, dict):
                        sheet = workbook.create_sheet(f"Feuille {len(workbook.worksheets) + 1}")
                        if item["header"]:
                            sheet.append(item["header"])
                    else:
                        sheet.append(item)
            workbook.save(target)

    start = reset_peak()
    times = sample(write, runs, float("inf"), warm_up=False)
    return {"ms": times, "peak_mb": peak_mb(), "start_mb": start, "bytes": target.stat().st_size}


if __name__ == "__main__":
    mode, arguments = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps((report if mode == "report" else bare)(arguments)))
