"""The schedule `isoko worker` keeps: subscriptions, the nightly checks, the weekly mévente refresh.

No cron line: the worker's maintenance (every minute) asks :func:`is_due` and, when
something is, queues one :func:`schedule_job` on the reports queue (at most one queued at a
time). That job claims the subscription runs due and queues one job per run and one per
task due: short jobs, between which the worker serves the small reports people wait for.
Each task and each subscription claims its period's row (unique per task or subscription
and period) before working, so several workers, a restart or a second pass never run a
period twice (a task queued twice runs once; the second job finds its row and stops).
``isoko run-schedule`` (:func:`run_schedule`) does the same in one pass, in-process, by
hand or from cron on an installation without Redis.

Periods come from console.services.periods.previous_complete_period: a period is due
ISOKO_SCHEDULE_HOUR hours (default 5) after its last Bujumbura midnight.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.extensions import db
from console.models import RunStatus, ScheduledTaskRun
from console.models.types import utcnow
from console.services.audit import Actor, acting_as
from console.services.periods import DAY, WEEK, Period, add_months, previous_complete_period

from . import subscriptions

log = logging.getLogger(__name__)
JOB_ID = "isoko-planification"  # + the queue's name: one pass queued per installation
JOB_TIMEOUT = 4 * 3600
STALE_AFTER = dt.timedelta(hours=4)


def nightly_checks(session: Session, period: Period) -> str:
    """The nightly checks: the days API writes left pending, then the aggregates of the
    current and previous months again, with the tax leakage flags as of today (a remittance
    that fell overdue overnight is flagged in the morning)."""
    from console.services.facts import refresh_facts
    from console.services.facts_pending import refresh_pending_facts

    pending = refresh_pending_facts(session)
    since = add_months(period.start, -1)
    result = refresh_facts(session, since=since)
    return (
        (
            "aucun jour en attente"
            if pending is None
            else f"jours en attente depuis le {pending.since:%d/%m/%Y}"
        )
        + f" ; agrégats et signalements fiscaux recalculés depuis le {since:%d/%m/%Y} : "
        f"{result.rows_written} lignes"
    )


def mevente_refresh(session: Session, period: Period) -> str:
    """The weekly mévente refresh (`isoko mevente-refresh`), on the Monday after the week."""
    from console.services.mevente.refresh import refresh_mevente

    summary = refresh_mevente(session, None, backtest=True, actor=(None, "isoko worker"))
    return summary.describe().replace("\n", " ; ")


@dataclass(frozen=True)
class Task:
    name: str  # as in the run log and `isoko run-schedule --task`
    label: str
    grain: str
    run: Callable[[Session, Period], str]


TASKS = (
    Task("verifications-nuit", "Vérifications de la nuit", DAY, nightly_checks),
    Task("mevente-refresh", "Indicateurs de mévente de la semaine", WEEK, mevente_refresh),
)


@dataclass
class ScheduleSummary:
    tasks: list[tuple[str, str, str]] = field(default_factory=list)  # (task, period, outcome)
    subscriptions: subscriptions.RunSummary | None = None

    def describe(self) -> str:
        lines = [] if self.subscriptions is None else [self.subscriptions.describe()]
        lines += [f"{name} ({period}) : {outcome}" for name, period, outcome in self.tasks]
        return "\n".join(lines) or "Rien à faire."


def _task_period(app: Flask, task: Task, now: dt.datetime) -> Period:
    return previous_complete_period(task.grain, now, app.config["SCHEDULE_HOUR"])


def run_tasks(app: Flask, now: dt.datetime, only: str | None = None) -> list:
    """Run each task whose period has no run yet (or whose run was cut off)."""
    session = db.session
    done = []
    for task in TASKS:
        if only and task.name != only:
            continue
        period = _task_period(app, task, now)
        run = session.scalar(
            select(ScheduledTaskRun).where(
                ScheduledTaskRun.task == task.name, ScheduledTaskRun.period_key == period.key
            )
        )
        if run is not None:
            if run.status != RunStatus.RUNNING or run.started_at >= now - STALE_AFTER:
                continue
            run.started_at = now  # cut off by a crash: the tasks are idempotent, run again
        else:
            run = ScheduledTaskRun(
                task=task.name, period_key=period.key, status=RunStatus.RUNNING, started_at=now
            )
            session.add(run)
        try:
            session.commit()
        except IntegrityError:  # another worker claimed it a moment ago
            session.rollback()
            continue
        run_id = run.id
        try:
            with acting_as(Actor(None, "isoko worker", "cli")):
                detail = task.run(session, period)
            run = session.get(ScheduledTaskRun, run_id)
            run.status, run.detail = RunStatus.DONE, detail
        except Exception as exc:
            log.exception("tâche planifiée %s", task.name)
            session.rollback()
            run = session.get(ScheduledTaskRun, run_id)
            run.status, run.detail = RunStatus.FAILED, f"{exc.__class__.__name__} : {exc}"[:2000]
        run.finished_at = utcnow()
        session.commit()
        done.append((task.name, period.label, f"{run.status.label} — {run.detail}"))
    return done


def run_schedule(app: Flask, now: dt.datetime | None = None, tasks: bool = True) -> ScheduleSummary:
    """One pass: the subscriptions due (and their mails to retry: people wait for them),
    then the tasks due."""
    now = now or utcnow()
    summary = ScheduleSummary()
    summary.subscriptions = subscriptions.run_subscriptions(app, now)
    if tasks:
        summary.tasks = run_tasks(app, now)
    return summary


def is_due(app: Flask, now: dt.datetime | None = None) -> bool:
    """Whether a pass would do anything (cheap: the worker asks every minute)."""
    now = now or utcnow()
    return any(_task_due(app, task, now) for task in TASKS) or subscriptions.is_due(app, now)


def _task_due(app: Flask, task: Task, now: dt.datetime) -> bool:
    """The task's period has no run yet, or its run was cut off."""
    run = db.session.scalar(
        select(ScheduledTaskRun).where(
            ScheduledTaskRun.task == task.name,
            ScheduledTaskRun.period_key == _task_period(app, task, now).key,
        )
    )
    return run is None or (run.status == RunStatus.RUNNING and run.started_at < now - STALE_AFTER)


def _in_app(function, *args):
    """Run ``function(app, *args)`` in the worker's app context (or a new app's)."""
    if has_app_context():
        return function(current_app._get_current_object(), *args)
    from console import create_app

    app = create_app()
    with app.app_context():
        return function(app, *args)


def schedule_job() -> str:
    """RQ job: claim what is due, then queue one job per subscription run and per task.

    Small jobs, not one long pass: between two of them the worker takes the small reports
    people are waiting for (its immediate queue comes first)."""
    return _in_app(_dispatch)


def _dispatch(app: Flask) -> str:
    from rq import get_current_job

    from .queue import JOB_TIMEOUT as REPORT_TIMEOUT
    from .queue import report_queue

    now = utcnow()
    queue = report_queue(app, get_current_job().connection)
    summary = subscriptions.RunSummary()
    run_ids = subscriptions.claim_due(app, now, summary)
    for run_id in run_ids:
        queue.enqueue(
            subscription_run_job,
            run_id,
            job_timeout=REPORT_TIMEOUT,
            result_ttl=7 * 24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=f"Abonnement : envoi n°{run_id}",
        )
    due = [task for task in TASKS if _task_due(app, task, now)]
    for task in due:
        queue.enqueue(
            task_job,
            task.name,
            job_timeout=JOB_TIMEOUT,
            result_ttl=7 * 24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=task.label,
        )
    return f"{len(run_ids)} envoi(s) d'abonnement et {len(due)} tâche(s) mis dans la file."


def subscription_run_job(run_id: int) -> str:
    """RQ job: one claimed subscription run (a run lost with its job is taken up again
    once stale, by a later pass)."""

    def run(app: Flask) -> str:
        return subscriptions.process_run(app, run_id, utcnow(), subscriptions.RunSummary()).label

    return _in_app(run)


def task_job(name: str) -> str:
    """RQ job: one scheduled task, if still due (claimed by its unique row)."""
    return _in_app(lambda app: repr(run_tasks(app, utcnow(), only=name)))


def queue_schedule(app: Flask, connection) -> bool:
    """Queue a pass when something is due and no pass is queued or running already."""
    if not app.config.get("SCHEDULE_ENABLED", True):
        return False
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    from .queue import report_queue

    try:
        due = is_due(app)
    finally:
        db.session.remove()
    if not due:
        return False
    queue = report_queue(app, connection)
    job_id = f"{JOB_ID}-{queue.name}"
    try:
        status = Job.fetch(job_id, connection=connection).get_status()
    except NoSuchJobError:
        status = None
    if status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
        return False
    queue.enqueue(
        schedule_job,
        job_id=job_id,
        job_timeout=JOB_TIMEOUT,
        result_ttl=7 * 24 * 3600,
        failure_ttl=7 * 24 * 3600,
        description="Planification : abonnements, vérifications de la nuit, mévente",
    )
    return True
