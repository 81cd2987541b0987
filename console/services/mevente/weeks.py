"""Weeks as the mévente indicators count them: Monday to Sunday, Bujumbura time.

``week_index(column)`` buckets a UTCDateTime column into week numbers inside the SQL
query, on SQLite and PostgreSQL alike, so the database groups millions of order lines
by week and sends back only the sums.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from console.services.periods import UTC_OFFSET_S as LOCAL_OFFSET_S

WEEK_S = 7 * 86400
# 1970-01-01 was a Thursday, so Monday weeks start 4 days later.
FIRST_MONDAY = dt.date(1970, 1, 5)
_SHIFT_S = LOCAL_OFFSET_S - 4 * 86400


class week_index(FunctionElement):  # noqa: N801 - used like a SQL function
    """Week number of a naive-UTC timestamp column: 0 is the week of Monday 5 January 1970."""

    type = BigInteger()
    name = "week_index"
    inherit_cache = True


@compiles(week_index, "sqlite")
def _week_index_sqlite(element, compiler, **kw):
    (column,) = element.clauses
    seconds = f"CAST(strftime('%s', {compiler.process(column, **kw)}) AS INTEGER)"
    # Integer division floors for the positive values of any date after 1970.
    return f"(({seconds} + ({_SHIFT_S})) / {WEEK_S})"


@compiles(week_index, "postgresql")
def _week_index_postgresql(element, compiler, **kw):
    (column,) = element.clauses
    seconds = f"EXTRACT(EPOCH FROM {compiler.process(column, **kw)})"
    return f"CAST(FLOOR(({seconds} + ({_SHIFT_S})) / {WEEK_S}) AS BIGINT)"


def week_start_of(day: dt.date) -> dt.date:
    """The Monday of the week holding ``day``."""
    return day - dt.timedelta(days=day.weekday())


def week_number(monday: dt.date) -> int:
    """The week_index of a Monday."""
    return (monday - FIRST_MONDAY).days // 7


def monday_of(number: int) -> dt.date:
    """The Monday of a week_index."""
    return FIRST_MONDAY + dt.timedelta(days=7 * int(number))


def week_start_utc(monday: dt.date) -> dt.datetime:
    """Monday 00:00 Bujumbura as an aware UTC datetime."""
    midnight = dt.datetime.combine(monday, dt.time(0), tzinfo=dt.UTC)
    return midnight - dt.timedelta(seconds=LOCAL_OFFSET_S)


def week_end_seconds(number: int) -> int:
    """Epoch seconds (UTC) at the end of a week_index: the next Monday 00:00 Bujumbura."""
    return (int(number) + 1) * WEEK_S - _SHIFT_S
