"""Generate an archived report: collect, render or write, hash, store, record.

``run_archived_report(archive_id)`` is the one entry point: the console calls it for
small reports, the in-process fallback and the RQ worker call it for large ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from flask import Flask, current_app, has_app_context
from sqlalchemy import update

from console.database import read_session
from console.extensions import db
from console.formatting import format_datetime
from console.models.reports import ReportArchive, ReportStatus
from console.models.types import utcnow
from console.services.audit import Actor, acting_as

from .archive import requester_scope, stored_file
from .excel import write_workbook
from .parameters import ReportParameters, resolve
from .pdf import render_html, render_pdf
from .registry import ReportSpec, get_report
from .verification import display_code, qr_data_uri

ISSUER = (
    "République du Burundi",
    "Direction de la promotion de l'économie locale, des coopératives et de l'entrepreneuriat",
    "Projet e-commerce des coopératives avec le PNUD",
)
VERIFY_HINT = "Console Isoko › Rapports › Vérifier un rapport"


class GenerationError(RuntimeError):
    """The report could not be produced; the archive entry says why."""


def run_archived_report(archive_id: int) -> str:
    """Generate the queued archive entry ``archive_id``; returns its final status."""
    if has_app_context():
        return _run(current_app._get_current_object(), archive_id)
    from console import create_app

    app = create_app()
    with app.app_context():
        return _run(app, archive_id)


def _progress_writer(archive_id: int, start: int = 10, span: int = 85):
    """A callback storing progress through its own short transaction (not the report's)."""
    last = {"value": -1}
    table = ReportArchive.__table__

    def report(done: int, total: int) -> None:
        value = start + span * min(done, total) // max(total, 1)
        if value == last["value"]:
            return
        last["value"] = value
        with db.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == archive_id).values(progress=value))

    return report


def base_context(spec: ReportSpec, params: ReportParameters, archive: ReportArchive) -> dict:
    """What every PDF template prints: issuer, title, parameters, date, user, code."""
    base_url = current_app.config.get("REPORTS_PUBLIC_URL")
    qr_text = (
        f"{base_url.rstrip('/')}/rapports/verifier/?code={archive.code}"
        if base_url
        else f"ISOKO {display_code(archive.code)}"
    )
    return {
        "issuer": ISSUER,
        "title": spec.title,
        "subtitle": spec.subtitle(params),
        "parameters": params.describe(),
        "params": params,
        "generated_at": format_datetime(archive.requested_at),
        "generated_by": archive.requested_by,
        "code": display_code(archive.code),
        "qr": qr_data_uri(qr_text),
        "verify_hint": VERIFY_HINT,
    }


def parameter_rows(spec: ReportSpec, params: ReportParameters, archive: ReportArchive) -> list:
    """The Paramètres sheet: issuer, title, parameters, generation and verification."""
    return [
        *((line, "") for line in ISSUER),
        ("", ""),
        ("Rapport", spec.title),
        *params.describe(),
        ("Généré le (heure de Bujumbura)", format_datetime(archive.requested_at)),
        ("Généré par", archive.requested_by),
        ("Code de vérification", display_code(archive.code)),
        ("Vérification", f"{VERIFY_HINT} — saisir le code et déposer ce fichier"),
    ]


def _render(
    app: Flask, spec: ReportSpec, params: ReportParameters, archive: ReportArchive, target: Path
) -> int | None:
    """Produce the file at ``target``; return the number of data rows for workbooks."""
    progress = _progress_writer(archive.id)
    # Figures come from the replica when one is configured; the archive row stays on the
    # primary. Closing afterwards ends the read transaction, so the next report sees new data.
    session = read_session()
    try:
        data = spec.collect(session, params)
        progress(1, 10)
        if archive.file_format == "pdf":
            html = render_html(spec.template, base_context(spec, params, archive) | data)
            progress(5, 10)
            target.write_bytes(render_pdf(html))
            return None
        sections = spec.excel(session, data, params)
        return write_workbook(target, sections, parameter_rows(spec, params, archive), progress)
    finally:
        session.close()


def _run(app: Flask, archive_id: int) -> str:
    session = db.session
    archive = session.get(ReportArchive, archive_id)
    if archive is None:
        raise GenerationError(f"rapport archivé n°{archive_id} introuvable")
    if archive.status == ReportStatus.DONE:
        return archive.status.value
    spec = get_report(archive.report)
    actor = Actor(archive.requested_by_id, archive.requested_by, archive.source)
    target = stored_file(app, archive)
    partial = target.with_name(target.name + ".partiel")
    with acting_as(actor):
        try:
            if spec is None:
                raise GenerationError(f"rapport inconnu : {archive.report}")
            params = resolve(
                session, spec.parameters, archive.parameters, requester_scope(session, archive)
            )
            archive.status = ReportStatus.RUNNING
            archive.progress = 5
            session.commit()
            partial.parent.mkdir(parents=True, exist_ok=True)
            rows = _render(app, spec, params, archive, partial)
            digest = hashlib.sha256()
            with open(partial, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            os.replace(partial, target)
            archive = session.get(ReportArchive, archive_id)
            archive.sha256 = digest.hexdigest()
            archive.size_bytes = target.stat().st_size
            archive.row_count = rows
            archive.status = ReportStatus.DONE
            archive.progress = 100
            archive.finished_at = utcnow()
            session.commit()
        except Exception as exc:
            session.rollback()
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            archive = session.get(ReportArchive, archive_id)
            archive.status = ReportStatus.FAILED
            archive.error = f"La génération a échoué : {exc}"[:2000]
            archive.finished_at = utcnow()
            session.commit()
            raise
    return ReportStatus.DONE.value
