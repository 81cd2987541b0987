"""Engine-level settings: SQLite integrity, and a log of slow queries."""

from __future__ import annotations

import logging
import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

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

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("query_start", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info["query_start"].pop()
        if elapsed >= threshold:
            slow_log.warning("requête lente %.0f ms: %s", elapsed * 1000, statement[:500])
