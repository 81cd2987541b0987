"""Time on the Africa/Bujumbura calendar: the zone, today, days, months and quarters with their UTC bounds.

The one owner of these rules: nothing else defines the zone, « today », ``as_date`` or a
month's bounds.

Timestamps are stored in UTC; a sale belongs to the Bujumbura day, month or quarter in
which it happened. Bujumbura is UTC+2 with no daylight saving, so a local period
[first day 00:00, day after the last 00:00) is a fixed UTC interval: queries compare
``placed_at`` against these precomputed bounds, which reads the same on SQLite and
PostgreSQL and lets the database use the index on ``placed_at``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

BUJUMBURA = ZoneInfo("Africa/Bujumbura")
# Bujumbura is UTC+2 all year (no daylight saving): SQL and array code shift by this.
UTC_OFFSET = BUJUMBURA.utcoffset(dt.datetime(2000, 1, 1))
UTC_OFFSET_S = int(UTC_OFFSET.total_seconds())
UTC_OFFSET_HOURS = UTC_OFFSET_S // 3600
MONTH = "month"
QUARTER = "quarter"
GRAINS = (MONTH, QUARTER)
RANGE = "range"  # any span of days (a rule segment, a rolling window)
WEEK = "week"  # an ISO week, Monday to Sunday (schedules: subscriptions, the mévente refresh)
DAY = "day"  # one Bujumbura day (schedules: the nightly checks)

MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def local_midnight_utc(day: dt.date) -> dt.datetime:
    """The UTC instant at which ``day`` begins in Bujumbura (aware)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=BUJUMBURA).astimezone(dt.UTC)


def local_date(moment: dt.datetime) -> dt.date:
    """The Bujumbura calendar day of an aware instant."""
    return moment.astimezone(BUJUMBURA).date()


def today_local() -> dt.date:
    """Today in Bujumbura."""
    return dt.datetime.now(BUJUMBURA).date()


def to_local_naive(moment: dt.datetime) -> dt.datetime:
    """An aware UTC instant as naive Bujumbura time (what a spreadsheet cell holds)."""
    return (moment + UTC_OFFSET).replace(tzinfo=None)


def as_date(value) -> dt.date:
    """A day from SQL or a form: a date, a datetime (its date) or ISO text (SQLite computes dates as text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def month_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Bujumbura month of ``day`` as aware UTC bounds [start, end)."""
    month = period_of(day, MONTH)
    return month.utc_start, month.utc_end


def quarter_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Bujumbura quarter of ``day`` as aware UTC bounds [start, end)."""
    quarter = period_of(day, QUARTER)
    return quarter.utc_start, quarter.utc_end


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def shift_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    first = add_months(day, months)
    return first.replace(day=min(day.day, month_end(first).day))


def months_between(start: dt.date, end: dt.date) -> Decimal:
    """Calendar months from ``start`` to ``end`` (end exclusive), fractional: 01/02 → 01/05 is 3."""
    whole = 0
    while shift_months(start, whole + 1) <= end:
        whole += 1
    anchor = shift_months(start, whole)
    following = shift_months(start, whole + 1)
    return whole + Decimal((end - anchor).days) / Decimal((following - anchor).days)


def month_end(day: dt.date) -> dt.date:
    """The last day of the month of ``day``."""
    return add_months(day, 1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A calendar month or quarter in Bujumbura: ``start`` and ``end`` both inclusive."""

    start: dt.date
    end: dt.date
    grain: str

    @property
    def utc_start(self) -> dt.datetime:
        """First instant of the period, UTC (inclusive)."""
        return local_midnight_utc(self.start)

    @property
    def utc_end(self) -> dt.datetime:
        """First instant after the period, UTC (exclusive)."""
        return local_midnight_utc(self.end + dt.timedelta(days=1))

    @property
    def key(self) -> str:
        """A stable, sortable key: ``2024-03`` or ``2024-T1``."""
        if self.grain == QUARTER:
            return f"{self.start.year}-T{(self.start.month - 1) // 3 + 1}"
        if self.grain == RANGE:
            return f"{self.start.isoformat()}/{self.end.isoformat()}"
        if self.grain == WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-S{week:02d}"
        if self.grain == DAY:
            return self.start.isoformat()
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        """French label: ``mars 2024``, ``1er trimestre 2024`` or ``du 01/01/2024 au 15/02/2024``."""
        if self.grain == QUARTER:
            number = (self.start.month - 1) // 3 + 1
            ordinal = "1er" if number == 1 else f"{number}e"
            return f"{ordinal} trimestre {self.start.year}"
        if self.grain in (RANGE, WEEK):
            return f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"
        if self.grain == DAY:
            return f"{self.start:%d/%m/%Y}"
        return f"{MONTH_NAMES[self.start.month - 1]} {self.start.year}"

    def contains(self, day: dt.date) -> bool:
        """True when the Bujumbura day falls in the period."""
        return self.start <= day <= self.end


def period_of(day: dt.date, grain: str = MONTH) -> Period:
    """The month or quarter containing ``day``."""
    if grain not in GRAINS:
        raise ValueError(f"grain inconnu : {grain!r}")
    if grain == QUARTER:
        first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period(first, add_months(first, 3) - dt.timedelta(days=1), QUARTER)
    first = day.replace(day=1)
    return Period(first, month_end(first), MONTH)


def week_of(day: dt.date) -> Period:
    """The ISO week (Monday to Sunday) containing ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return Period(monday, monday + dt.timedelta(days=6), WEEK)


def day_period(day: dt.date) -> Period:
    """One Bujumbura day as a period."""
    return Period(day, day, DAY)


def previous_complete_period(grain: str, moment: dt.datetime, hour: int = 0) -> Period:
    """The last complete day, week, month or quarter at the aware instant ``moment``.

    A period counts as complete ``hour`` hours after its last Bujumbura midnight (the
    schedule's hour: reports of May go out on 1 June at that hour, not at midnight).
    """
    day = (moment.astimezone(BUJUMBURA) - dt.timedelta(hours=hour)).date()
    if grain == DAY:
        return day_period(day - dt.timedelta(days=1))
    if grain == WEEK:
        return week_of(day - dt.timedelta(days=7))
    if grain not in GRAINS:
        raise ValueError(f"grain inconnu : {grain!r}")
    return period_of(period_of(day, grain).start - dt.timedelta(days=1), grain)


def periods_between(start: dt.date, end: dt.date, grain: str = MONTH) -> list[Period]:
    """Every whole period touching [start, end], in order (start and end are rounded out)."""
    if end < start:
        raise ValueError("la fin de la période précède son début")
    periods = [period_of(start, grain)]
    while periods[-1].end < end:
        periods.append(period_of(periods[-1].end + dt.timedelta(days=1), grain))
    return periods


def parse_month(text: str | None) -> dt.date | None:
    """``2024-03`` → 1 March 2024; None for anything else (URL input is untrusted)."""
    match = _MONTH_PATTERN.match((text or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def month_value(day: dt.date) -> str:
    """The ``YYYY-MM`` form of a day's month, as used in URLs and ``<input type=month>``."""
    return f"{day.year}-{day.month:02d}"


# SQL calendar expressions, the same on SQLite and PostgreSQL.


def _calendar_function(name: str, doc: str, sqlite: str, default: str) -> type[FunctionElement]:
    """A SQL function of one date or timestamp argument, returning a date; ``{}`` is the argument."""
    function = type(
        name, (FunctionElement,), {"__doc__": doc, "type": Date(), "inherit_cache": True}
    )
    compiles(function, "sqlite")(
        lambda element, compiler, **kw: sqlite.format(compiler.process(element.clauses, **kw))
    )
    compiles(function)(
        lambda element, compiler, **kw: default.format(compiler.process(element.clauses, **kw))
    )
    return function


local_day = _calendar_function(
    "local_day",
    "The Bujumbura calendar day of a naive-UTC timestamp column.",
    f"date({{}}, '+{UTC_OFFSET_HOURS} hours')",
    f"CAST(({{}} + INTERVAL '{UTC_OFFSET_HOURS} hours') AS DATE)",
)
month_start = _calendar_function(
    "month_start",
    "The first day of a date's month.",
    "date({}, 'start of month')",
    "CAST(date_trunc('month', CAST({} AS TIMESTAMP)) AS DATE)",
)
# SQLite: 'weekday 0' moves forward to the next Sunday (or stays on one): six days back is Monday.
week_start = _calendar_function(
    "week_start",
    "The Monday of a date's week (ISO weeks start on Monday).",
    "date({}, 'weekday 0', '-6 days')",
    "CAST(date_trunc('week', CAST({} AS TIMESTAMP)) AS DATE)",
)


# Whether a period is over: the one rule every chart, ranking, alert and report asks.

# « Pionnières actives » and every other « last N days » figure: N days ending on the day.
ACTIVE_DAYS = 30
PARTIAL_NOTE = "mois en cours, incomplet"


def is_complete(period: Period, today: dt.date | None = None) -> bool:
    """True once the period is over in Bujumbura (its last day is before today)."""
    return period.end < (today or today_local())


def is_month_complete(day: dt.date, today: dt.date | None = None) -> bool:
    """True once the month of ``day`` is over in Bujumbura."""
    return is_complete(period_of(day, MONTH), today)


def complete_months(months, today: dt.date | None = None) -> list[dt.date]:
    """The months (first days) of ``months`` that are over; the current one is left out."""
    today = today or today_local()
    return [month for month in months if is_month_complete(month, today)]


def last_complete_month(today: dt.date | None = None) -> dt.date:
    """The first day of the last month that is over (what reports offer by default)."""
    return add_months(today or today_local(), -1)


def last_complete_week(as_of: dt.date) -> dt.date:
    """The Monday of the last full week (Monday to Sunday) before the week holding ``as_of``."""
    return as_of - dt.timedelta(days=as_of.weekday() + 7)


def active_window(reference_day: dt.date, days: int = ACTIVE_DAYS) -> tuple[dt.date, dt.date]:
    """The ``days`` Bujumbura days ending on ``reference_day``, both inclusive."""
    return reference_day - dt.timedelta(days=days - 1), reference_day


def matured_by(reference_day: dt.date, days: int) -> dt.date:
    """The last day on which an offer could be published and have had ``days`` days by
    ``reference_day``: later offers are too young to be judged unsold (« Invendue après »)."""
    return reference_day - dt.timedelta(days=days)
