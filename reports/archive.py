"""The report archive: create an entry, place its file, and decide who may fetch it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.models.reports import ReportArchive, ReportStatus
from console.models.types import utcnow
from console.security.scoping import NATIONAL, ProvinceScope, scope_for_user

from .parameters import OutOfScope, ParameterError, ReportParameters, resolve
from .registry import ReportSpec, get_report
from .verification import new_code

MIME_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CRON_USER = "cron"


@dataclass(frozen=True)
class Requester:
    """Who asked for a report: a console user, or the command line (cron)."""

    user_id: int | None
    username: str
    source: str  # console, cli


def reports_dir(app: Flask) -> Path:
    """Where archived files are stored (ISOKO_REPORTS_DIR, else instance/reports)."""
    return Path(app.config["REPORTS_DIR"])


def stored_file(app: Flask, archive: ReportArchive) -> Path:
    """The absolute path of an archived file."""
    return reports_dir(app) / archive.storage_path


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:80]


def download_name(spec: ReportSpec, params: ReportParameters, code: str, fmt: str) -> str:
    """A readable file name: ``ventes-mensuel_mai-2024_gitega_K7QF2M4XRA.pdf``."""
    parts = [spec.key, *(_slug(p) for p in spec.subtitle(params).split(" — ") if p), code]
    return "_".join(parts) + f".{fmt}"


def create_entry(
    session: Session, spec: ReportSpec, params: ReportParameters, fmt: str, requester: Requester
) -> ReportArchive:
    """Add a queued archive entry with a fresh unique code (flushed, not committed)."""
    subtitle = spec.subtitle(params)
    for _attempt in range(5):
        code = new_code()
        if session.scalar(select(ReportArchive.id).where(ReportArchive.code == code)) is None:
            break
    else:  # pragma: no cover - 50 random bits do not collide five times
        raise IntegrityError("code de vérification", None, None)
    now = utcnow()
    archive = ReportArchive(
        code=code,
        report=spec.key,
        title=f"{spec.title} — {subtitle}" if subtitle else spec.title,
        file_format=fmt,
        parameters=dict(params.raw),
        status=ReportStatus.QUEUED,
        progress=0,
        requested_by_id=requester.user_id,
        requested_by=requester.username,
        source=requester.source,
        requested_at=now,
        file_name=download_name(spec, params, code, fmt),
        storage_path=f"{now:%Y}/{now:%m}/{code}.{fmt}",
    )
    session.add(archive)
    session.flush()
    return archive


def requester_scope(session: Session, archive: ReportArchive) -> ProvinceScope:
    """The scope of whoever asked for an archived report (the command line sees everything)."""
    if archive.requested_by_id is None:
        return NATIONAL
    from flask_appbuilder.security.sqla.models import User

    return scope_for_user(session.get(User, archive.requested_by_id))


def may_download(session: Session, archive: ReportArchive, user, has_access) -> bool:
    """Whether ``user`` may fetch this archived file: allowed the report, and its parameters.

    ``has_access(permission, resource)`` is the security manager's check for the user.
    """
    spec = get_report(archive.report)
    if spec is None or not has_access("can_read", spec.resource):
        return False
    try:
        resolve(session, spec.parameters, archive.parameters or {}, scope_for_user(user))
    except (OutOfScope, ParameterError):
        return False
    return True
