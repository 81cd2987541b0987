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
* returned rows go through the types' result processors, as SQLAlchemy returns them;
* several rows of an INSERT go as one statement with one VALUES row each (SQLAlchemy's
  own "insertmanyvalues" form, by pages of :data:`PAGE_ROWS`), not as psycopg's
  ``executemany``: its pipeline cost 0.19 ms of CPU for three rows where the one
  statement costs 0.07 (measured on PostgreSQL 15 here, 06/12/2026).
  Rows returned come back in the parameters' order: the statement numbers its VALUES
  rows and orders by that number, and the rows are sorted by the id it generated, as
  SQLAlchemy does (its "sentinel").

Elsewhere (SQLite) the session executes the same statement: same rows, same effects.
Not for ORM entities, expanding ``IN`` parameters, statements whose text depends on the
values, or updates of columns with a Python ``onupdate`` (refused); those stay with
``session.execute``.
"""

from __future__ import annotations

import copy
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


# Rows of one multi-row INSERT at most (SQLAlchemy's insertmanyvalues page size), and
# bound parameters (PostgreSQL takes 65 535 in one statement).
PAGE_ROWS = 1000
MAX_PARAMETERS = 32_000


@dataclass(frozen=True)
class _ValuesRows:
    """How one INSERT's VALUES row repeats for several rows (SQLAlchemy's insertmanyvalues)."""

    values: str  # the statement's "(…)" of one row, as compiled
    row: str  # one row, each repeated parameter's name ending in "__{i}" ({i}: the row's number)
    keys: frozenset[str]  # the parameters that repeat, one per row
    counter: bool  # each row ends with its number (the ORDER BY of the ordered form)
    sentinels: int  # trailing result columns that give the rows' order (dropped)


@dataclass(frozen=True, eq=False)
class _Compiled:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    construct: Callable[[Mapping], dict]
    processors: tuple[tuple[str, Callable], ...]
    prefetch: tuple  # columns whose Python default fills a value left out
    results: tuple  # the result columns' types
    rows: _ValuesRows | None = None  # compiled for several rows: one statement for them


@functools.lru_cache(maxsize=512)
def _compile(
    statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...], many: bool = False
) -> _Compiled:
    compiled = statement.compile(
        dialect=_rows_dialect(dialect) if many else dialect,
        column_keys=list(keys),
        for_executemany=many,
    )
    if compiled.update_prefetch:  # Python-side onupdate values: the session computes them
        raise ValueError(f"driver_sql : une mise à jour avec valeurs « onupdate » ({statement}).")
    rows = _values_rows(compiled) if many else None
    if many and rows is None:  # no repeatable row: executemany of the plain statement
        return _compile(statement, dialect, keys)
    return _Compiled(
        sql=compiled.string,
        construct=compiled.construct_params,
        processors=tuple(compiled._bind_processors.items()),
        prefetch=tuple(compiled.insert_prefetch),
        results=tuple(entry.type for entry in compiled._result_columns),
        rows=rows,
    )


@functools.cache
def _rows_dialect(dialect: Dialect) -> Dialect:
    """The dialect compiling for several rows: SQLAlchemy's psycopg dialect leaves an INSERT
    without RETURNING to psycopg's executemany, and its psycopg2 dialect does not."""
    rows = copy.copy(dialect)
    rows.use_insertmanyvalues_wo_returning = True
    return rows


def _values_rows(compiled) -> _ValuesRows | None:
    """The repeatable VALUES row of an INSERT compiled for several rows, when it has one:
    not for upserts, nor when the order of returned rows cannot be told (then executemany)."""
    imv = compiled._insertmanyvalues
    if (
        imv is None
        or compiled.escaped_bind_names
        or imv.is_default_expr
        or imv.includes_upsert_behaviors
        or (imv.sort_by_parameter_order and compiled._result_columns and not imv.implicit_sentinel)
    ):
        return None
    keys = frozenset(key for *_, bind_keys in imv.insert_crud_params for key in bind_keys)
    row = imv.single_values_expr
    for key in keys:
        row = row.replace(f"%({key})s", f"%({key}__{{i}})s")
    ordered = imv.sort_by_parameter_order and bool(compiled._result_columns)
    return _ValuesRows(
        values=f"({imv.single_values_expr})",
        row=row,
        keys=keys,
        counter=imv.embed_values_counter,
        sentinels=imv.num_sentinel_columns if ordered else 0,
    )


@functools.lru_cache(maxsize=1024)
def _rows_sql(compiled: _Compiled, count: int) -> str:
    """The statement for ``count`` rows (built once per count)."""
    form = compiled.rows
    rows = (
        "(" + form.row.replace("{i}", str(i)) + (f", {i}" if form.counter else "") + ")"
        for i in range(count)
    )
    return compiled.sql.replace(form.values, ", ".join(rows), 1)


def _one_statement(compiled: _Compiled, values: list[dict]) -> list[tuple[str, dict]]:
    """Several rows' parameters as multi-row statements (pages of PAGE_ROWS at most)."""
    form = compiled.rows
    page = max(1, min(PAGE_ROWS, MAX_PARAMETERS // max(1, len(form.keys))))
    statements = []
    for start in range(0, len(values), page):
        chunk = values[start : start + page]
        params = {key: value for key, value in chunk[0].items() if key not in form.keys}
        for i, row in enumerate(chunk):
            params.update({f"{key}__{i}": row[key] for key in form.keys})
        statements.append((_rows_sql(compiled, len(chunk)), params))
    return statements


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
    many = len(param_sets) > 1
    compiled = _compile(statement, dialect, tuple(sorted(param_sets[0])), many)
    values = [_parameters(compiled, params) for params in param_sets]
    if compiled.rows is not None:
        rows: list = []
        for sql, params in _one_statement(compiled, values):
            rows += _send(connection, compiled, sql, params, False, want_rows)
        return _in_parameter_order(rows, compiled.rows.sentinels)
    return _send(connection, compiled, compiled.sql, values if many else values[0], many, want_rows)


def _send(connection, compiled: _Compiled, sql: str, sent, many: bool, want_rows: bool) -> list:
    """One execute (or executemany) on the session's connection, with the engine's events."""
    dialect = connection.dialect
    cursor = connection.connection.dbapi_connection.cursor()
    events = connection._has_events or connection.engine._has_events
    if events:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, sent, None, many)
    try:
        if many:
            cursor.executemany(sql, sent, returning=want_rows)
        else:
            cursor.execute(sql, sent)
        rows = _fetch(cursor, compiled, dialect) if want_rows else []
    except dialect.loaded_dbapi.Error as error:
        cursor.close()
        raise exc.DBAPIError.instance(
            sql, sent, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    if events:
        connection.dispatch.after_cursor_execute(connection, cursor, sql, sent, None, many)
    cursor.close()
    return rows


def _in_parameter_order(rows: list, sentinels: int) -> list:
    """Rows of an ordered multi-row INSERT sorted by the ids it generated in its rows'
    order (the trailing sentinel columns), those columns dropped."""
    if not sentinels:
        return rows
    rows.sort(key=lambda row: row[-sentinels:])
    return [row[:-sentinels] for row in rows]


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
