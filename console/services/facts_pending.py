"""Incremental refresh of the dashboards' aggregates after live writes (the integration API).

A write marks its sale's Bujumbura day pending (:func:`mark_day_pending`, in the write's
transaction, an upsert that stamps the time, written just before the commit).
:func:`refresh_pending_facts` refreshes from the earliest pending day
(console.services.facts.refresh_facts, the same code as a full rebuild) and clears only
the pending rows it read unchanged: a day written again meanwhile keeps its newer stamp
and is refreshed next time. On PostgreSQL one
refresher runs at a time (an advisory lock); another one skips and tries again later.

Who calls it: :func:`schedule_refresh` after each API commit (a per-process timer,
batched: one refresh ``FACTS_REFRESH_DELAY_S`` after the first write, whatever their number), and
``isoko refresh-facts --pending`` from cron as a safety net.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading

from sqlalchemy import and_, delete, event, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from console import models as m
from console.models.types import utcnow
from console.services import driver_sql
from console.services.facts import RefreshResult, refresh_facts

log = logging.getLogger(__name__)
ADVISORY_LOCK = 0x150C0FAC  # "isoko facts": one refresher at a time on PostgreSQL


_PENDING = "isoko_fact_pending_days"  # session.info: the days this transaction changed


def mark_day_pending(session: Session, day: dt.date) -> None:
    """Queue a Bujumbura day for the next incremental refresh, in the caller's transaction.

    The mark is written at commit, as the transaction's last statement (one upsert for
    every day it changed): the upsert locks the day's row until the commit, and every
    writer of the same day queues on that lock, so it must be held for the commit alone.
    """
    session.info.setdefault(_PENDING, set()).add(day)


@event.listens_for(Session, "before_commit")
def _write_marks(session: Session) -> None:
    days = session.info.pop(_PENDING, None)
    if not days:
        return
    session.flush()  # the transaction's own rows first
    now = utcnow()
    driver_sql.execute(
        session,
        _mark_days(session.get_bind().dialect.name),
        [{"day": day, "requested_at": now} for day in sorted(days)],
    )


@functools.cache
def _mark_days(dialect: str):
    """The upsert of pending days (built once per dialect). An update, not "do nothing":
    a refresher deletes only the marks it read unchanged, and waits on this row lock, so
    a day written during a refresh stays pending."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(m.FactPendingDay.__table__)
    return statement.on_conflict_do_update(
        index_elements=["day"], set_={"requested_at": statement.excluded.requested_at}
    )


@event.listens_for(Session, "after_rollback")
def _forget_marks(session: Session) -> None:
    session.info.pop(_PENDING, None)


def refresh_pending_facts(session: Session) -> RefreshResult | None:
    """Refresh the aggregates from the earliest pending day; None when nothing was pending
    or another refresher holds the lock. Flushes; the caller commits."""
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
        select(func.pg_try_advisory_xact_lock(ADVISORY_LOCK))
    ):
        return None
    pending = session.execute(select(m.FactPendingDay.day, m.FactPendingDay.requested_at)).all()
    if not pending:
        return None
    result = refresh_facts(session, since=min(day for day, _ in pending))
    session.execute(
        delete(m.FactPendingDay).where(
            or_(
                *(
                    and_(m.FactPendingDay.day == day, m.FactPendingDay.requested_at == at)
                    for day, at in pending
                )
            )
        )
    )
    session.flush()
    return result


_timers: dict[int, threading.Timer] = {}
_lock = threading.Lock()


def schedule_refresh(app) -> None:
    """Refresh the pending days a few seconds from now in this process (one timer at a time)."""
    delay = app.config.get("FACTS_REFRESH_DELAY_S")
    if delay is None:
        return
    with _lock:
        if id(app) in _timers:
            return
        timer = threading.Timer(float(delay), _run, args=(app,))
        timer.daemon = True
        _timers[id(app)] = timer
    timer.start()


def _run(app) -> None:
    from console.extensions import db

    with _lock:
        _timers.pop(id(app), None)
    with app.app_context():
        try:
            result = refresh_pending_facts(db.session)
            db.session.commit()
        except Exception:  # noqa: BLE001 - a failed refresh is retried at the next write or by cron
            db.session.rollback()
            log.exception("Rafraîchissement incrémental des agrégats en échec")
            return
        finally:
            db.session.remove()
    if result is None and _still_pending(app):
        schedule_refresh(app)  # another process held the lock: try again later


def _still_pending(app) -> bool:
    from console.extensions import db

    with app.app_context():
        try:
            return bool(db.session.scalar(select(func.count()).select_from(m.FactPendingDay)))
        finally:
            db.session.remove()
