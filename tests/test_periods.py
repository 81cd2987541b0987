"""Time has one owner: console/services/periods.py (zone, today, dates from SQL, month and quarter bounds)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import literal_column, select

from console.services import periods

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("console", "dashboards", "reports", "importers")
OWNED_FUNCTIONS = {
    "as_date",
    "_as_date",
    "today_in_bujumbura",
    "month_bounds",
    "local_day",
    "month_start",
    "week_start",
    "to_local_naive",
}


def _sources():
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path != ROOT / "console/services/periods.py":
                yield path


def test_no_module_but_periods_defines_the_zone_or_a_time_rule():
    offenders = []
    for path in _sources():
        text = path.read_text()
        if 'ZoneInfo("Africa/Bujumbura")' in text or "datetime.now(BUJUMBURA)" in text:
            offenders.append(f"{path.relative_to(ROOT)}: zone or today")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in OWNED_FUNCTIONS:
                offenders.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert not offenders


@pytest.mark.parametrize(
    "value",
    [dt.date(2025, 3, 1), dt.datetime(2025, 3, 1, 23, 59), "2025-03-01", "2025-03-01 00:00:00"],
)
def test_as_date_reads_what_either_database_returns(value):
    assert periods.as_date(value) == dt.date(2025, 3, 1)


def test_month_and_quarter_bounds_are_bujumbura_midnights_in_utc():
    assert periods.month_bounds(dt.date(2024, 12, 15)) == (
        dt.datetime(2024, 11, 30, 22, tzinfo=dt.UTC),
        dt.datetime(2024, 12, 31, 22, tzinfo=dt.UTC),
    )
    assert periods.quarter_bounds(dt.date(2025, 2, 10)) == (
        dt.datetime(2024, 12, 31, 22, tzinfo=dt.UTC),
        dt.datetime(2025, 3, 31, 22, tzinfo=dt.UTC),
    )


def test_the_offset_is_bujumbura_utc_plus_two():
    assert (periods.UTC_OFFSET_S, periods.UTC_OFFSET_HOURS) == (7200, 2)
    assert periods.to_local_naive(dt.datetime(2025, 1, 31, 22, 30, tzinfo=dt.UTC)) == dt.datetime(
        2025, 2, 1, 0, 30
    )


def test_local_day_in_sql_turns_at_bujumbura_midnight(db_session):
    before = periods.local_day(literal_column("'2025-01-31 21:59:59'"))
    after = periods.local_day(literal_column("'2025-01-31 22:00:00'"))
    if db_session.get_bind().dialect.name == "postgresql":
        before = periods.local_day(literal_column("TIMESTAMP '2025-01-31 21:59:59'"))
        after = periods.local_day(literal_column("TIMESTAMP '2025-01-31 22:00:00'"))
    got = db_session.execute(select(before, after)).one()
    assert [periods.as_date(d) for d in got] == [dt.date(2025, 1, 31), dt.date(2025, 2, 1)]


@pytest.mark.parametrize(
    ("grain", "local", "hour", "key"),
    [
        # 1 June 2024 at 06:00 in Bujumbura: May is complete once the schedule's hour (5) passed.
        (periods.MONTH, dt.datetime(2024, 6, 1, 6, 0), 5, "2024-05"),
        (periods.MONTH, dt.datetime(2024, 6, 1, 4, 59), 5, "2024-04"),
        (periods.MONTH, dt.datetime(2024, 1, 15, 12, 0), 0, "2023-12"),
        (periods.QUARTER, dt.datetime(2024, 7, 1, 5, 0), 5, "2024-T2"),
        (periods.QUARTER, dt.datetime(2024, 6, 30, 23, 0), 5, "2024-T1"),
        # Monday 10 June 2024: the week of 3–9 June (ISO week 23); on Sunday, the one before.
        (periods.WEEK, dt.datetime(2024, 6, 10, 5, 0), 5, "2024-S23"),
        (periods.WEEK, dt.datetime(2024, 6, 9, 23, 0), 5, "2024-S22"),
        (periods.WEEK, dt.datetime(2021, 1, 4, 6, 0), 5, "2020-S53"),
        (periods.DAY, dt.datetime(2024, 3, 1, 5, 0), 5, "2024-02-29"),
        (periods.DAY, dt.datetime(2024, 3, 1, 4, 0), 5, "2024-02-28"),
    ],
)
def test_previous_complete_period_is_the_last_one_ended_before_the_hour(grain, local, hour, key):
    moment = local.replace(tzinfo=periods.BUJUMBURA).astimezone(dt.UTC)
    period = periods.previous_complete_period(grain, moment, hour)
    assert period.key == key
    cutoff = moment - dt.timedelta(hours=hour)
    assert period.utc_end <= cutoff  # complete…
    following = period.end + dt.timedelta(days=1)
    after = {
        periods.DAY: periods.day_period,
        periods.WEEK: periods.week_of,
    }.get(grain, lambda day: periods.period_of(day, grain))(following)
    assert after.start == following and after.utc_end > cutoff  # …and the last one that is
