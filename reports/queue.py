"""The background queue for large reports: RQ on Redis, or in-process without Redis."""

from __future__ import annotations

import os
from pathlib import Path

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


def report_queue(app: Flask, connection=None, immediate: bool = False):
    """The app's RQ queue (ISOKO_REPORTS_QUEUE, default ``isoko-reports``).

    ``immediate``: its sibling for small reports someone's request is waiting on
    (``isoko-reports-immediats``); workers take from it first.
    """
    from rq import Queue

    connection = connection or redis_connection(app)
    name = app.config["REPORTS_QUEUE"] + ("-immediats" if immediate else "")
    return Queue(name, connection=connection)


class QueueUnavailable(RuntimeError):
    """Redis did not answer: the report waits in the archive and is queued when it returns."""


WAITING = (
    "La file d'attente des rapports (Redis) ne répond pas : le rapport reste en attente et "
    "sera généré dès son retour, sans rien redemander."
)
# A worker killed mid-report (SIGKILL, host crash) leaves its job "started"; RQ's
# maintenance finds it abandoned and queues it again while retries are left.
RETRIES = 2
# How often the worker runs that maintenance, and queues reports left waiting by a Redis
# outage (RQ's default is 10 minutes).
MAINTENANCE_INTERVAL_S = 60
# An idle RQ worker runs its maintenance only between two waits on the queues, and waits
# worker_ttl − 15 s (405 s by default): a killed worker's report then waited 7–9 minutes.
# This TTL makes each wait last MAINTENANCE_INTERVAL_S.
WORKER_TTL_S = MAINTENANCE_INTERVAL_S + 15


def _enqueue(app: Flask, connection, archive: ReportArchive, immediate: bool = False):
    from rq import Retry

    return report_queue(app, connection, immediate).enqueue(
        run_archived_report,
        archive.id,
        job_id=f"isoko-report-{archive.code}",
        job_timeout=JOB_TIMEOUT,
        result_ttl=RESULT_TTL,
        failure_ttl=RESULT_TTL,
        description=archive.title,
        retry=Retry(max=RETRIES),
    )


def submit(app: Flask, archive: ReportArchive) -> None:
    """Queue a committed archive entry on Redis, or generate it now when there is no Redis.

    The archive row is the record of the request: if Redis does not answer, it stays
    queued without a job and ``queue_waiting`` hands it to RQ once Redis is back.
    """
    connection = redis_connection(app)
    if connection is None:
        run_archived_report(archive.id)
        return
    from redis.exceptions import RedisError

    try:
        archive.job_id = _enqueue(app, connection, archive).id
    except RedisError as exc:
        raise QueueUnavailable(WAITING) from exc
    finally:
        db.session.commit()


def generate_while_waiting(app: Flask, archive: ReportArchive) -> None:
    """Generate a small report for the request waiting on it.

    With Redis, a worker renders it while the request waits, up to REPORTS_WAIT_S
    seconds: a province's PDF is seconds of WeasyPrint, which would otherwise take a web
    worker's CPU (and its Python lock) from the pages of everyone else; the worker runs at
    a lower priority. Past the wait the report stays queued, and « Mes rapports » offers
    it when done. Without Redis, or with Redis down, it is rendered here, in the request.
    Either way the archive entry records the outcome: read it afterwards.
    """
    connection = redis_connection(app)
    if connection is not None:
        from redis.exceptions import RedisError

        try:
            job = _enqueue(app, connection, archive, immediate=True)
        except RedisError:
            pass  # rendered here below, as without Redis
        else:
            archive.job_id = job.id
            db.session.commit()
            try:
                job.latest_result(timeout=app.config["REPORTS_WAIT_S"])
            except RedisError:
                pass  # the worker still records the outcome in the archive
            db.session.refresh(archive)
            return
    run_archived_report(archive.id)


def queue_waiting(app: Flask) -> int:
    """Queue the reports left waiting while Redis was down; returns how many were queued."""
    from redis.exceptions import RedisError
    from sqlalchemy import select

    connection = redis_connection(app)
    if connection is None:
        return 0
    waiting = db.session.scalars(
        select(ReportArchive)
        .where(ReportArchive.status == ReportStatus.QUEUED, ReportArchive.job_id.is_(None))
        .order_by(ReportArchive.id)
    ).all()
    queued = 0
    try:
        for archive in waiting:
            archive.job_id = _enqueue(app, connection, archive).id
            queued += 1
    except RedisError:
        pass  # still down: the next pass queues the rest
    db.session.commit()
    return queued


def reconcile_lost_jobs(app: Flask, archives: list[ReportArchive]) -> None:
    """Mark as failed the entries whose RQ job failed or vanished without recording it."""
    if any(a.status == ReportStatus.QUEUED and not a.job_id for a in archives):
        queue_waiting(app)
    pending = [
        a for a in archives if a.job_id and a.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)
    ]
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


AUTOGROUP = Path("/proc/self/autogroup")


def lower_cpu_priority(increment: int) -> int:
    """Lower this process's CPU priority by ``increment`` (0–19); the niceness reached.

    Linux schedules each session as one group (autogroup) before the processes inside
    it: the worker, started in its own session (systemd, setsid), would otherwise share
    the cores half and half with the web server whatever its own nice. So the session's
    group gets the same niceness (raising it needs no privilege; a worker started from a
    shell lowers that shell's session with it). Under systemd with a CPU cgroup, the
    unit's CPUWeight plays that part (deploy/isoko-worker@.service).
    """
    niceness = os.nice(max(0, min(19, increment)))
    try:
        AUTOGROUP.write_text(str(niceness))
    except OSError:
        pass  # no autogroup (other kernels, cgroup-scheduled services): the nice stands alone
    return niceness


def session_niceness() -> int | None:
    """The niceness of this process's session group (None without Linux autogroups)."""
    try:
        return int(AUTOGROUP.read_text().split("nice")[1])
    except (OSError, IndexError, ValueError):
        return None
