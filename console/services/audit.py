"""The automatic audit trail: one AuditEvent per row inserted, updated or deleted.

Written in the same transaction as the change (after_flush), so a rolled-back change
leaves no audit event and a committed one always has its event.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import enum
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from console.models.audit import AuditEvent
from console.models.types import utcnow
from console.services import driver_sql

# Tables whose changes are not audited: the audit trail itself and FAB's bookkeeping.
# Aggregate tables (fact_*) are derived data rebuilt from audited records, not changes.
# The integration API's call log and idempotency keys are themselves a record of the calls.
UNAUDITED_PREFIXES = (
    "audit_event",
    "ab_permission",
    "ab_view_menu",
    "ab_register_user",
    "fact_",
    "api_call",
    "api_idempotency_key",
)
# Login bookkeeping FAB updates on every sign-in: not an administrative change.
# An API client's last call (console.api.guard) is bookkeeping of the same kind.
LOGIN_BOOKKEEPING = frozenset(
    {"last_login", "login_count", "fail_login_count", "changed_on", "last_used_at"}
)


@dataclass(frozen=True)
class Actor:
    """Who is changing data outside a web request (command line, importer, worker)."""

    user_id: int | None
    username: str
    source: str = "cli"


_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("audit_actor", default=None)


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Attribute the changes made inside the block to this actor."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Actor:
    """The explicit actor if set, else the logged-in web user, else the system."""
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    try:
        from flask import g, has_request_context

        if has_request_context():
            user = getattr(g, "user", None)
            if user is not None and getattr(user, "is_authenticated", False):
                return Actor(user.id, user.username, "console")
    except ImportError:  # pragma: no cover - flask is always installed
        pass
    return Actor(None, "système", "cli")


def _jsonable(value):
    """A JSON-safe rendering of a column value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    return value


def _row_changes(obj, action: str) -> dict | None:
    """Column values for an insert/delete; old and new values for an update."""
    state = inspect(obj)
    changes: dict = {}
    for attr in state.mapper.column_attrs:
        if attr.key in {"password"}:
            continue  # never copy secrets into the trail
        if action == "update":
            history = state.attrs[attr.key].history
            if history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                changes[attr.key] = [_jsonable(old), _jsonable(new)]
        else:
            changes[attr.key] = _jsonable(getattr(obj, attr.key, None))
    return changes or None


def _audited(obj) -> bool:
    return _audited_table(getattr(obj, "__tablename__", ""))


def _audited_table(table: str) -> bool:
    return bool(table) and not table.startswith(UNAUDITED_PREFIXES)


def _event(actor: Actor, at: dt.datetime, table: str, row_id, action: str, changes) -> dict:
    """One audit_event row."""
    return {
        "at": at,
        "user_id": actor.user_id,
        "username": actor.username,
        "source": actor.source,
        "table_name": table,
        "row_id": row_id,
        "action": action,
        "changes": changes,
    }


def record_inserts(session: Session, objects) -> None:
    """The insert events of objects written without the unit of work (row_inserts.insert_new),
    their stored values set back on them: the events the flush hooks write for new rows."""
    if not objects or not _audited(objects[0]):
        return
    actor, at = current_actor(), utcnow()
    table = objects[0].__tablename__
    session.info.setdefault(_WRITTEN_ROWS, []).extend(
        _event(actor, at, table, obj.id, "insert", _row_changes(obj, "insert")) for obj in objects
    )


# session.info: events of rows written without the unit of work, written with the next
# flush's events or just before the commit (one insert for all of them).
_WRITTEN_ROWS = "audit_written_rows"


_INSERT_EVENTS = insert(AuditEvent.__table__)  # built once


def _write_events(session: Session, rows: list[dict]) -> None:
    rows += session.info.pop(_WRITTEN_ROWS, [])
    if rows:
        driver_sql.execute(session, _INSERT_EVENTS, rows)


def install_audit_listener(session_factory) -> None:
    """Register the flush hooks on the scoped session's class (idempotent)."""
    if getattr(install_audit_listener, "_installed", False):
        return
    install_audit_listener._installed = True

    @event.listens_for(Session, "before_flush")
    def _collect(session: Session, _ctx, _instances):
        pending = session.info.setdefault("audit_pending", [])
        for obj in session.dirty:
            if _audited(obj) and session.is_modified(obj, include_collections=False):
                changes = _row_changes(obj, "update")
                if changes and not set(changes) <= LOGIN_BOOKKEEPING:
                    pending.append((obj, "update", changes))
        for obj in session.deleted:
            if _audited(obj):
                pending.append((obj, "delete", _row_changes(obj, "delete")))
        session.info.setdefault("audit_new", []).extend(o for o in session.new if _audited(o))

    @event.listens_for(Session, "after_flush")
    def _write(session: Session, _ctx):
        pending = session.info.pop("audit_pending", [])
        new = session.info.pop("audit_new", [])
        if not pending and not new:
            _write_events(session, [])
            return
        actor = current_actor()
        at = utcnow()
        rows = [
            _event(actor, at, obj.__tablename__, getattr(obj, "id", None), action, changes)
            for obj, action, changes in pending
        ]
        rows += [
            _event(
                actor,
                at,
                obj.__tablename__,
                getattr(obj, "id", None),
                "insert",
                _row_changes(obj, "insert"),
            )
            for obj in new
        ]
        _write_events(session, rows)

    @event.listens_for(Session, "before_commit")
    def _write_remaining(session: Session):
        _write_events(session, [])

    @event.listens_for(Session, "after_rollback")
    def _forget(session: Session):
        session.info.pop("audit_pending", None)
        session.info.pop("audit_new", None)
        session.info.pop(_WRITTEN_ROWS, None)
