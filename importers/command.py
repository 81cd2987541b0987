"""The import command: validate the whole file, then write it all in one transaction, or nothing.

``run_import`` is what the console, the command line and the background worker call.
Whatever happens, one ImportBatch row records the attempt (who, when, file, SHA-256,
counts, outcome, errors); domain tables change only when the file is entirely valid
and the run is not a dry run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from console.models.imports import ImportOutcome
from console.models.types import utcnow
from console.security.policy import allows
from console.security.scoping import ProvinceScope
from console.services.audit import Actor, acting_as

from . import registry
from .batches import record_batch, record_trace
from .errors import ErrorLog, FileRefused, RowError
from .heading_row import HeaderMap, find_header, match_headers
from .progress import AGGREGATES, READ, WRITE, Progress
from .reading import FileFacts, inspect_file, iter_rows
from .references import References
from .rowwise import CREATE, UNCHANGED, UPDATE, Written
from .schema import Dataset, parse_rows

log = logging.getLogger("isoko.importers")

CONCURRENT = (
    "Conflit d'écriture avec une autre modification simultanée (un autre import du même "
    "fichier ?) : rien n'a été écrit, relancez l'import."
)
NO_ROWS = "Aucune ligne de données sous la ligne d'en-têtes."


@dataclass
class ImportRequest:
    """Who imports which file into which dataset, and how."""

    kind: str
    path: Path
    file_name: str
    user_id: int | None
    username: str
    scope: ProvinceScope
    dry_run: bool = False
    sheet: str | None = None
    source: str = "console"  # console, cli, job
    batch_id: int | None = None  # a batch already logged as queued (background job)
    roles: frozenset[str] | None = None  # the user's roles; None: the command line, unrestricted

    def may(self, permission: str, resource: str) -> bool:
        """Whether one of the user's roles grants this console permission (policy table)."""
        return self.roles is None or any(allows(role, permission, resource) for role in self.roles)


@dataclass
class ImportInput:
    """What a dataset's importer works from: the request, the file's data rows under its
    heading row, the lookups of the user's scope, and where errors and progress go."""

    session: Session
    request: ImportRequest
    dataset: Dataset
    facts: FileFacts
    rows: Iterator[tuple[int, list]]  # (file row number, cells), the heading row consumed
    header: HeaderMap
    width: int | None  # a CSV's heading width (rows must match it); None for a workbook
    refs: References
    errors: ErrorLog
    progress: Progress | None
    actor: Actor


@dataclass
class ImportResult:
    """What an import did (or would do, for a dry run)."""

    batch_id: int
    kind: str
    outcome: ImportOutcome
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    message: str | None = None
    details: dict = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)  # heading row used, columns ignored…

    @property
    def ok(self) -> bool:
        return self.outcome in (ImportOutcome.APPLIED, ImportOutcome.DRY_RUN)

    def summary(self) -> str:
        """One French sentence for screens and the command line."""
        if not self.ok:
            return (
                self.message or f"Import refusé : {self.error_count} erreur(s), rien n'a été écrit."
            )
        prefix = (
            "Simulation, rien n'a été écrit — " if self.outcome == ImportOutcome.DRY_RUN else ""
        )
        return (
            f"{prefix}{self.rows_total} ligne(s) : {self.created} à créer, {self.updated} à mettre "
            f"à jour, {self.unchanged} inchangée(s)."
            if prefix
            else f"{self.rows_total} ligne(s) : {self.created} créée(s), {self.updated} mise(s) à jour, "
            f"{self.unchanged} inchangée(s)."
        )


def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def lock_dataset(session: Session, kind: str) -> None:
    """Serialise imports of one dataset on PostgreSQL (released at commit or rollback)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"isoko-import-{kind}"))))


def run_import(
    session: Session, request: ImportRequest, progress: Progress | None = None
) -> ImportResult:
    """Validate and import a file; log the batch; never leave a partial write."""
    dataset = registry.get(request.kind)
    errors = ErrorLog()
    started = utcnow()
    facts: FileFacts | None = None
    session.rollback()  # a clean transaction: nothing of the caller's may ride along
    outcome, counts, message, details = ImportOutcome.REJECTED, (0, 0, 0, 0), None, {}
    refresh_since = None  # row-wise datasets: recompute every day's aggregates
    try:
        facts = inspect_file(request.path, request.file_name)
        lock_dataset(session, request.kind)
        rows = iter_rows(request.path, facts, request.sheet)
        header_row, header_cells = find_header(dataset, rows)
        header = match_headers(dataset, header_cells, header_row)
        for notice in header.notices():
            errors.notice(notice)
        work = ImportInput(
            session=session,
            request=request,
            dataset=dataset,
            facts=facts,
            rows=rows,
            header=header,
            width=len(header_cells) if facts.kind == "csv" else None,
            refs=References(session, request.scope),
            errors=errors,
            progress=progress,
            actor=Actor(request.user_id, request.username, "import"),
        )
        if dataset.bulk is not None:
            result = dataset.bulk(work)
            counts, details = result.counts, result.details
            written, refresh_since = result.written, result.refresh_since
        else:
            counts, written = _run_rowwise(work)
        if errors:
            session.rollback()
        elif request.dry_run:
            session.rollback()
            outcome = ImportOutcome.DRY_RUN
        else:
            outcome = ImportOutcome.APPLIED
    except FileRefused as exc:
        session.rollback()
        errors.extend(exc.errors)
        message = exc.message
    except (IntegrityError, DBAPIError) as exc:
        session.rollback()
        log.warning("import %s refusé par la base : %s", request.kind, exc)
        outcome, message = ImportOutcome.FAILED, CONCURRENT
        errors.add(None, None, "", CONCURRENT)
    rows_total, created, updated, unchanged = counts
    if outcome == ImportOutcome.REJECTED and not message:
        message = f"Import refusé : {errors.count} erreur(s) dans le fichier, rien n'a été écrit."
    if facts is None:
        sha, size = sha256_of(request.path)
    else:
        sha, size = facts.sha256, facts.size
    fields = dict(
        dataset=request.kind,
        file_name=request.file_name[:255],
        file_sha256=sha,
        file_size=size,
        sheet=request.sheet,
        user_id=request.user_id,
        username=request.username,
        source=request.source,
        dry_run=request.dry_run,
        started_at=started,
        outcome=outcome,
        rows_total=rows_total,
        created=created,
        updated=updated,
        unchanged=unchanged,
        errors_log=errors,
        message=message,
        notices=errors.notices or None,
    )
    if outcome == ImportOutcome.APPLIED:
        # Same transaction as the writes: the batch and its trace commit with them.
        batch_id = record_batch(session, batch_id=request.batch_id, **fields)
        if dataset.bulk is None:
            record_trace(session, batch_id, written.ids)
        else:
            written(batch_id)
        if created or updated:
            # The dashboards read aggregate tables: bring them up to date in the same
            # transaction, so a committed import is always visible on the dashboards.
            # Orders recompute only from the first day they change.
            from console.services.facts import refresh_facts

            if progress:
                progress(0, AGGREGATES)
            refresh_facts(session, since=refresh_since)
    else:
        batch_id = record_batch(session, batch_id=request.batch_id, **fields)
    session.commit()
    return ImportResult(
        batch_id=batch_id,
        kind=request.kind,
        outcome=outcome,
        rows_total=rows_total,
        created=created,
        updated=updated,
        unchanged=unchanged,
        error_count=errors.count,
        errors=errors.sorted(),
        message=message,
        details=details,
        notices=list(errors.notices),
    )


def _run_rowwise(work: ImportInput) -> tuple[tuple[int, int, int, int], Written]:
    """Parse every row, plan, and (unless errors or dry run) write through the ORM."""
    dataset, request, errors, progress = work.dataset, work.request, work.errors, work.progress
    parsed = []
    for row in parse_rows(dataset, work.header, work.rows, errors, work.width):
        parsed.append(row)
        if progress and len(parsed) % 500 == 0:
            progress(500, READ)
    if progress:
        progress(len(parsed) % 500, READ)
    if not parsed:
        raise FileRefused(NO_ROWS)
    can_create = dataset.create_permission is None or request.may(*dataset.create_permission)
    importer = dataset.importer(work.session, work.refs, errors, work.header, can_create)
    importer.dataset = dataset
    operations = importer.plan(parsed)
    created = sum(op.action == CREATE for op in operations)
    updated = sum(op.action == UPDATE for op in operations)
    unchanged = sum(op.action == UNCHANGED for op in operations)
    written = Written()
    if not errors and not request.dry_run:
        if progress:
            progress(0, WRITE)
        with acting_as(work.actor):
            importer.apply(operations, written)
        if progress:
            progress(len(parsed), WRITE)
    return (len(parsed), created, updated, unchanged), written
