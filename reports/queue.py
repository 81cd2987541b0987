"""The background queue for large reports: RQ on Redis, or in-process without Redis."""

from __future__ import annotations

from flask import Flask

from console.extensions import db
from console.models.reports import ReportArchive, ReportStatus

from .generation import run_archived_report

JOB_TIMEOUT = 4 * 3600  # a million-row workbook takes minutes; leave ample room
RESULT_TTL = 7 * 24 * 3600


def redis_connection(app: Flask):
    """A Redis client for ISOKO_REDIS_URL, or None for the embedded (in-process) mode."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis

    return Redis.from_url(url)


def report_queue(app: Flask, connection=None):
    """The app's RQ queue (ISOKO_REPORTS_QUEUE, default ``isoko-reports``)."""
    from rq import Queue

    connection = connection or redis_connection(app)
    return Queue(app.config["REPORTS_QUEUE"], connection=connection)


class QueueUnavailable(RuntimeError):
    """Redis did not answer: the report was recorded as failed, with this message."""


def submit(app: Flask, archive: ReportArchive) -> None:
    """Queue a committed archive entry on Redis, or generate it now when there is no Redis."""
    connection = redis_connection(app)
    if connection is None:
        run_archived_report(archive.id)
        return
    from redis.exceptions import RedisError

    try:
        job = report_queue(app, connection).enqueue(
            run_archived_report,
            archive.id,
            job_id=f"isoko-report-{archive.code}",
            job_timeout=JOB_TIMEOUT,
            result_ttl=RESULT_TTL,
            failure_ttl=RESULT_TTL,
            description=archive.title,
        )
    except RedisError as exc:
        message = ("La file d'attente des rapports (Redis) ne répond pas : réessayez plus tard ou "
                   "prévenez l'administrateur.")
        archive.status = ReportStatus.FAILED
        archive.error = message
        db.session.commit()
        raise QueueUnavailable(message) from exc
    archive.job_id = job.id
    db.session.commit()


def reconcile_lost_jobs(app: Flask, archives: list[ReportArchive]) -> None:
    """Mark as failed the entries whose RQ job failed or vanished without recording it."""
    pending = [a for a in archives if a.job_id and a.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)]
    connection = redis_connection(app) if pending else None
    if connection is None:
        return
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    changed = False
    for archive in pending:
        try:
            status = Job.fetch(archive.job_id, connection=connection).get_status()
        except NoSuchJobError:
            status = None
        except RedisError:
            return  # Redis is down: say nothing rather than fail the page
        if status in (None, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            db.session.refresh(archive)
            if archive.status in (ReportStatus.QUEUED, ReportStatus.RUNNING):
                archive.status = ReportStatus.FAILED
                archive.error = "La tâche de génération a été interrompue ; relancez le rapport."
                changed = True
    if changed:
        db.session.commit()
