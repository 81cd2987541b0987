"""Engine-level settings: SQLite integrity, and a log of slow queries."""

from __future__ import annotations

import logging
import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from console.text_match import register_sqlite_fold

slow_log = logging.getLogger("isoko.slow_query")


def install_engine_hooks(app: Flask, db) -> None:
    """Enforce foreign keys on SQLite and log queries slower than ISOKO_SLOW_QUERY_MS."""
    engine: Engine = db.engine
    threshold = app.config.get("SLOW_QUERY_MS", 500) / 1000
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
            register_sqlite_fold(dbapi_connection)  # accent-blind searches (text_match)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("query_start", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info["query_start"].pop()
        if elapsed >= threshold:
            slow_log.warning("requête lente %.0f ms: %s", elapsed * 1000, statement[:500])


def install_read_replica(app: Flask, db) -> None:
    """Bind read-only work (dashboards, reports) to ISOKO_DATABASE_REPLICA_URL when set.

    Writes always go to the primary through db.session. Without a replica the reading
    engine is the primary's, so callers never need to know which one they got.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.orm import scoped_session, sessionmaker

    url = app.config.get("SQLALCHEMY_REPLICA_URI")
    engine = create_engine(url, pool_pre_ping=True) if url else db.engine
    factory = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)
    app.extensions["isoko_read_session"] = scoped_session(factory)

    @app.teardown_appcontext
    def _remove_read_session(_exc):
        app.extensions["isoko_read_session"].remove()


def read_session():
    """The session for read-only queries: the replica's when configured, else the primary's."""
    from flask import current_app

    return current_app.extensions["isoko_read_session"]()
