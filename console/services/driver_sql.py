"""Plain Core statements of the API's hot path, run on PostgreSQL's driver (compiled once).

SQLAlchemy runs a prebuilt Core statement for about 0.3 ms of CPU (cache key, execution
context, result metadata), ten times what the driver itself spends. An order through
the integration API runs a dozen statements, so on PostgreSQL its plain writes (the
idempotency key, the order's rows, their audit events, the call log, the pending day) go
through :func:`execute` and :func:`returning`:

* the statement is compiled once per dialect and set of parameter names, by SQLAlchemy;
* each parameter set is built as SQLAlchemy builds it: the statement's own bound values
  (``construct_params``), the Python defaults of the columns left out, then the types'
  bind processors (enums, booleans, UTC datetimes, JSON);
* a statement that returns rows first flushes the session (when it autoflushes), as
  ``session.execute`` does, so a read sees the session's own pending changes;
* it is sent on the session's own connection, in its transaction, with the engine's
  ``before_cursor_execute`` / ``after_cursor_execute`` events (slow-query log, query
  counts) and SQLAlchemy's exception classes (``IntegrityError``…);
* returned rows go through the types' result processors, as SQLAlchemy returns them.

Elsewhere (SQLite) the session executes the same statement: same rows, same effects.
Not for ORM entities, expanding ``IN`` parameters, statements whose text depends on the
values, or updates of columns with a Python ``onupdate`` (refused); those stay with
``session.execute``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

DIALECT = "postgresql"


def python_default(column):
    """A column's Python-side default as a flush gives it (None when it has none)."""
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)
    return None


@dataclass(frozen=True, eq=False)
class _Compiled:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    construct: Callable[[Mapping], dict]
    processors: tuple[tuple[str, Callable], ...]
    prefetch: tuple  # columns whose Python default fills a value left out
    results: tuple  # the result columns' types


@functools.lru_cache(maxsize=512)
def _compile(statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if compiled.update_prefetch:  # Python-side onupdate values: the session computes them
        raise ValueError(f"driver_sql : une mise à jour avec valeurs « onupdate » ({statement}).")
    return _Compiled(
        sql=compiled.string,
        construct=compiled.construct_params,
        processors=tuple(compiled._bind_processors.items()),
        prefetch=tuple(compiled.insert_prefetch),
        results=tuple(entry.type for entry in compiled._result_columns),
    )


def _parameters(compiled: _Compiled, params: Mapping) -> dict:
    values = compiled.construct(params)
    for column in compiled.prefetch:
        values[column.key] = python_default(column)
    for name, process in compiled.processors:
        if name in values:
            values[name] = process(values[name])
    return values


def _on_driver(session: Session) -> bool:
    return session.get_bind().dialect.name == DIALECT


def execute(session: Session, statement: ClauseElement, params: Mapping | Sequence[Mapping]):
    """Run a statement that returns nothing, once or once per parameter set."""
    many = not isinstance(params, Mapping)
    if not _on_driver(session):
        session.execute(statement, list(params) if many else params)
        return
    _run(session, statement, list(params) if many else [params], want_rows=False)


def returning(session: Session, statement: ClauseElement, params: Sequence[Mapping]) -> list:
    """Run a statement that returns rows (a SELECT, an INSERT … RETURNING) once per
    parameter set: the rows, in the parameters' order."""
    if not _on_driver(session):
        params = list(params)
        return session.execute(statement, params[0] if len(params) == 1 else params).all()
    if session.autoflush:
        session.flush()  # as session.execute would: a read sees the session's own changes
    return _run(session, statement, list(params), want_rows=True)


def _run(session: Session, statement, param_sets: list, want_rows: bool) -> list:
    if not param_sets:
        return []
    connection = session.connection()
    dialect = connection.dialect
    compiled = _compile(statement, dialect, tuple(sorted(param_sets[0])))
    values = [_parameters(compiled, params) for params in param_sets]
    many = len(values) > 1
    sent = values if many else values[0]
    cursor = connection.connection.dbapi_connection.cursor()
    events = connection._has_events or connection.engine._has_events
    if events:
        connection.dispatch.before_cursor_execute(
            connection, cursor, compiled.sql, sent, None, many
        )
    try:
        if many:
            cursor.executemany(compiled.sql, values, returning=want_rows)
        else:
            cursor.execute(compiled.sql, values[0])
        rows = _fetch(cursor, compiled, dialect) if want_rows else []
    except dialect.loaded_dbapi.Error as error:
        cursor.close()
        raise exc.DBAPIError.instance(
            compiled.sql, sent, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    if events:
        connection.dispatch.after_cursor_execute(connection, cursor, compiled.sql, sent, None, many)
    cursor.close()
    return rows


def _fetch(cursor, compiled: _Compiled, dialect: Dialect) -> list[tuple]:
    rows: list[tuple] = []
    while True:
        result = cursor.pgresult
        if result is not None and result.nfields:
            types = tuple(result.ftype(i) for i in range(result.nfields))
            processors = _result_processors(compiled, dialect, types)
            for row in cursor.fetchall():
                rows.append(
                    tuple(
                        value if process is None else process(value)
                        for process, value in zip(processors, row, strict=True)
                    )
                )
        if not cursor.nextset():
            return rows


@functools.lru_cache(maxsize=512)
def _result_processors(compiled: _Compiled, dialect: Dialect, types: tuple[int, ...]) -> tuple:
    """The types' result processors for the database's column types (built once)."""
    return tuple(
        kind._cached_result_processor(dialect, type_code)
        for kind, type_code in zip(compiled.results, types, strict=True)
    )
