"""How numbers, money and dates read in French on screen and on paper."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask

from console.services.money import format_francs, format_rate
from console.services.periods import BUJUMBURA

DATE_SHOWN = "%d/%m/%Y"
# What a person may type: French first, ISO too (as older forms and exports wrote it).
DATES_TYPED = (DATE_SHOWN, "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")


def parse_date(text) -> dt.date:
    """``03/12/2026`` or ``2026-12-03`` → 3 December 2026 (never month first); else ValueError."""
    text = str(text or "").strip()
    for pattern in DATES_TYPED:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def format_date(value: dt.date | dt.datetime | None) -> str:
    """``26/06/2023``; an aware datetime is first shown in Bujumbura time."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return value.strftime(DATE_SHOWN)


def format_datetime(value: dt.datetime | None) -> str:
    """``26/06/2023 14:05`` in Bujumbura time."""
    if value is None:
        return "—"
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def to_local(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime in Africa/Bujumbura (UTC+2, no daylight saving)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BUJUMBURA)


def format_number(value: int | Decimal | float | None, decimals: int = 0) -> str:
    """French grouping and decimal comma: ``12 345,5``."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def format_quantity(value: Decimal | None) -> str:
    """A quantity without trailing zeros: ``2,5`` rather than ``2,500``."""
    if value is None:
        return "—"
    text = format_number(value, 3)
    return text.rstrip("0").rstrip(",") if "," in text else text


def format_yes_no(value: bool | None) -> str:
    """« Oui » / « Non » in the user's language; « — » when unknown."""
    if value is None:
        return "—"
    from flask_babel import gettext

    return gettext("Oui") if value else gettext("Non")


def format_value(value) -> str:
    """Any stored value as a person reads it: never ``None``, ``True`` or ``[a, b]``.

    Lists read « Café, Haricot »; booleans « Oui »/« Non »; dates ``jj/mm/aaaa``;
    timestamps in Bujumbura time without seconds; enums by their label; numbers French.
    """
    import enum

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return format_yes_no(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, enum.Enum):
        from flask_babel import gettext

        return gettext(value.label) if hasattr(value, "label") else str(value.value)
    if isinstance(value, Decimal):
        return format_quantity(value)
    if isinstance(value, int):
        return format_number(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(format_value(item) for item in value) or "—"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:  # an ISO timestamp kept as text (the audit trail's JSON)
            return format_datetime(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def install_template_filters(app: Flask) -> None:
    """Expose the formatters to Jinja templates."""
    app.jinja_env.filters.update(
        francs=format_francs,
        rate=format_rate,
        date_fr=format_date,
        datetime_fr=format_datetime,
        number_fr=format_number,
        quantity_fr=format_quantity,
        value_fr=format_value,
    )
