"""Big files go to the background queue (RQ over Redis) when Redis is configured.

No shared queue helper existed in reports/ when this was written, so this module uses
rq directly, on its own queue « imports ». Run a worker with
``rq worker imports --url $ISOKO_REDIS_URL`` (with ISOKO_* settings in its environment).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from console.models.imports import ImportOutcome

from .batches import record_batch

QUEUE = "imports"
# Files of at least this many rows are imported in the background (the brief's threshold).
BACKGROUND_ROWS = 100_000


def queue_available(app) -> bool:
    """Redis is configured and answers; otherwise a big file is imported in the request."""
    url = app.config.get("REDIS_URL")
    if not url:
        return False
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except RedisError:
        return False


def spool_dir(app) -> Path:
    """Where uploaded files wait for the worker (instance/imports)."""
    from config import INSTANCE_DIR

    path = Path(app.config.get("IMPORT_SPOOL_DIR") or INSTANCE_DIR / "imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def enqueue_import(app, session, request, *, is_async: bool = True) -> int:
    """Log a queued batch, keep the file for the worker, enqueue the job; return the batch id."""
    from redis import Redis
    from rq import Queue

    from .command import sha256_of

    sha, size = sha256_of(request.path)
    batch_id = record_batch(
        session,
        dataset=request.kind,
        file_name=request.file_name[:255],
        file_sha256=sha,
        file_size=size,
        sheet=request.sheet,
        user_id=request.user_id,
        username=request.username,
        source="job",
        dry_run=request.dry_run,
        outcome=ImportOutcome.QUEUED,
        finished_at=None,
    )
    session.commit()
    kept = spool_dir(app) / f"batch-{batch_id}{Path(request.file_name).suffix.lower()[:6]}"
    shutil.copyfile(request.path, kept)
    queue = Queue(QUEUE, connection=Redis.from_url(app.config["REDIS_URL"]), is_async=is_async)
    queue.enqueue(
        run_import_job,
        batch_id,
        request.kind,
        str(kept),
        request.file_name,
        request.user_id,
        request.username,
        request.dry_run,
        request.sheet,
        sorted(request.roles) if request.roles is not None else None,
        job_timeout=4 * 3600,
    )
    return batch_id


def run_import_job(
    batch_id: int,
    kind: str,
    path: str,
    file_name: str,
    user_id: int | None,
    username: str,
    dry_run: bool,
    sheet: str | None,
    roles: list[str] | None = None,
) -> int:
    """The worker's side: run the import in an app context, in the user's scope."""
    from flask import current_app, has_app_context

    from console import create_app
    from console.extensions import db
    from console.security.scoping import NATIONAL, NOTHING, scope_for_user

    from .command import ImportRequest, run_import

    def work() -> int:
        user = current_app.appbuilder.sm.get_user_by_id(user_id) if user_id else None
        scope = (
            scope_for_user(user) if user is not None else (NATIONAL if user_id is None else NOTHING)
        )
        record_batch(db.session, batch_id=batch_id, outcome=ImportOutcome.RUNNING, finished_at=None)
        db.session.commit()
        request = ImportRequest(
            kind=kind,
            path=Path(path),
            file_name=file_name,
            user_id=user_id,
            username=username,
            scope=scope,
            dry_run=dry_run,
            sheet=sheet,
            source="job",
            batch_id=batch_id,
            roles=frozenset(roles) if roles is not None else None,
        )
        from .progress import BatchProgress

        try:
            return run_import(
                db.session, request, progress=BatchProgress(db.engine, batch_id)
            ).batch_id
        finally:
            Path(path).unlink(missing_ok=True)

    if has_app_context():
        return work()
    with create_app().app_context():
        return work()
