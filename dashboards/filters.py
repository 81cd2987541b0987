"""The filters shared by every dashboard, read from the URL or a callback's payload.

Both are untrusted: every value is parsed, bounded and checked against the user's
province scope here, before any query runs. A link's query string reproduces a view:
``/dashboards/ventes?du=2024-01&au=2024-12&carte=2025&province=BI25-GI&filiere=cafe``:
the province by its code (console.services.areas), the value chain by its code and the
cooperative by its ANACOOP number (``named_filters``), so a link means the same on another
database and reads to people; an old link's numeric id is still understood and rewritten
as the code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope
from console.services.areas import (
    DEFAULT_MAP,
    MAPS,
    default_map,
    is_province_code,
    pickable_province_ids,
    province_named,
)
from console.services.periods import (
    add_months,
    as_date,
    complete_months,
    month_end,
    month_value,
    parse_month,
    today_local,
)

GRAINS = {"mois": "Mois", "semaine": "Semaine"}
UNSOLD_DAYS = (30, 60, 90, 180)
DEFAULT_MONTHS = 12

# URL parameter → Filters field
PARAMS = {
    "du": "start",
    "au": "end",
    "carte": "map_version",
    "province": "province_id",
    "filiere": "value_chain_id",
    "cooperative": "cooperative_id",
    "grain": "grain",
    "jours": "days",
    "encours": "include_partial",
}
# The value of the « include the current month » control when ticked (a Checklist's option).
INCLUDE_PARTIAL = "1"


@dataclass(frozen=True)
class Filters:
    """A validated view: whole Bujumbura months [start, end] and optional narrowing."""

    start: dt.date
    end: dt.date  # first day of the last month shown (inclusive)
    map_version: str = DEFAULT_MAP
    province_id: int | None = None
    province_code: str | None = None  # what URLs carry; read_filters resolves it to province_id
    value_chain_id: int | None = None
    value_chain_code: str | None = None  # ValueChain.code, what URLs carry (named_filters)
    cooperative_id: int | None = None
    cooperative_code: str | None = None  # Cooperative.registration_number (ANACOOP)
    grain: str = "mois"
    days: int = 90
    # Trends and « en baisse » rankings leave the month under way out unless this is set.
    include_partial: bool = False

    @property
    def last_day(self) -> dt.date:
        """The last day of the period."""
        return month_end(self.end)

    @property
    def months(self) -> list[dt.date]:
        """First days of every month of the period, in order."""
        months, current = [], self.start
        while current <= self.end:
            months.append(current)
            current = add_months(current, 1)
        return months

    @property
    def trend_months(self) -> list[dt.date]:
        """The months a trend or ranking compares: the complete ones (periods.py decides),
        and the month under way too when the user asked for it."""
        return self.months if self.include_partial else complete_months(self.months)

    @property
    def reference_day(self) -> dt.date:
        """The day stock ageing and recent activity are measured at: period end or today."""
        return min(self.last_day, today_local())

    @property
    def cache_key(self) -> str:
        """Identifies the view in cache keys (with the scope and data version)."""
        return self.query_string()

    def query_string(self) -> str:
        """The URL query string that reproduces this view (without the leading ``?``)."""
        values = {
            "du": month_value(self.start),
            "au": month_value(self.end),
            "carte": self.map_version,
            "province": self.province_code or self.province_id,
            "filiere": self.value_chain_code or self.value_chain_id,
            "cooperative": self.cooperative_code or self.cooperative_id,
            "grain": self.grain,
            "jours": self.days,
            "encours": INCLUDE_PARTIAL if self.include_partial else None,
        }
        # « / » stays as typed: ANACOOP numbers hold it (ANACOOP/2019/06606), a query allows it.
        return urlencode({k: v for k, v in values.items() if v not in (None, "")}, safe="/")


@dataclass(frozen=True)
class DataBounds:
    """The first and last months holding sales, for defaults and the month pickers."""

    first: dt.date
    last: dt.date

    def months(self) -> list[dt.date]:
        months, current = [], self.first
        while current <= self.last:
            months.append(current)
            current = add_months(current, 1)
        return months


def data_bounds(session: Session) -> DataBounds:
    """Months with sales in the aggregates (this month alone when there are none)."""
    first, last = session.execute(
        select(func.min(m.SalesMonthFact.month), func.max(m.SalesMonthFact.month))
    ).one()
    if first is None:
        this_month = today_local().replace(day=1)
        return DataBounds(this_month, this_month)
    return DataBounds(as_date(first), as_date(last))


def default_filters(bounds: DataBounds) -> Filters:
    """The last twelve months with data, every province, chain and cooperative."""
    start = max(bounds.first, add_months(bounds.last, 1 - DEFAULT_MONTHS))
    return Filters(start=start, end=bounds.last)


def _positive_int(value) -> int | None:
    if isinstance(value, bool):
        raise ValueError
    if value is None or value == "":
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ValueError
    if number <= 0 or number > 2**31:
        raise ValueError
    return number


def parse_filters(values: Mapping[str, object], bounds: DataBounds) -> tuple[Filters, list[str]]:
    """Filters from URL parameters or callback inputs; bad values fall back, with a message."""
    filters = default_filters(bounds)
    errors: list[str] = []
    start = parse_month(str(values["du"])) if values.get("du") else None
    end = parse_month(str(values["au"])) if values.get("au") else None
    if values.get("du") and start is None or values.get("au") and end is None:
        errors.append(
            "Période invalide : les mois s'écrivent AAAA-MM. Période par défaut affichée."
        )
    elif start and end and start > end:
        errors.append("La période commence après sa fin : les deux mois ont été inversés.")
        start, end = end, start
    if start or end:
        filters = replace(
            filters, start=start or min(end, filters.start), end=end or max(start, filters.end)
        )
    carte = values.get("carte")
    if carte not in (None, ""):
        if str(carte) in MAPS:
            filters = replace(filters, map_version=str(carte))
        else:
            errors.append("Carte inconnue : choisissez 2015 ou 2025.")
    province = values.get("province")
    if province not in (None, ""):
        if (
            isinstance(province, int | str)
            and not isinstance(province, bool)
            and (is_province_code(province) or str(province).strip().isdigit())
        ):
            filters = replace(filters, province_code=str(province).strip())
        else:
            errors.append("Province invalide : filtre ignoré.")
    for key, field, label in (
        ("filiere", "value_chain", "Filière"),
        ("cooperative", "cooperative", "Coopérative"),
    ):
        try:
            filters = replace(filters, **_reference(field, values.get(key)))
        except ValueError:
            errors.append(f"{label} invalide : filtre ignoré.")
    grain = values.get("grain")
    if grain not in (None, ""):
        if grain in GRAINS:
            filters = replace(filters, grain=str(grain))
        else:
            errors.append("Regroupement inconnu : par mois ou par semaine.")
    try:
        days = _positive_int(values.get("jours"))
        if days is not None:
            if days not in UNSOLD_DAYS:
                raise ValueError
            filters = replace(filters, days=days)
    except ValueError:
        errors.append("Délai d'invendu invalide : 30, 60, 90 ou 180 jours.")
    if _ticked(values.get("encours")):
        filters = replace(filters, include_partial=True)
    return filters, errors


# A code or ANACOOP number as a URL may carry it: printable, no spaces at the ends.
_CODE = re.compile(r"[^\x00-\x1f\x7f]{1,40}")


def _reference(field: str, value) -> dict[str, object]:
    """``{field}_id`` for a dropdown's value (an id), ``{field}_code`` for a URL's code, both
    for an old link's digits; named_filters resolves them. ValueError: not a reference."""
    text = value.strip() if isinstance(value, str) else ""
    if text.isdigit():  # an old link: an id, or a number made of digits
        return {f"{field}_id": _positive_int(text), f"{field}_code": text}
    if text:
        if not _CODE.fullmatch(text):
            raise ValueError
        return {f"{field}_code": text, f"{field}_id": None}
    return {f"{field}_id": _positive_int(value), f"{field}_code": None}


def _ticked(value) -> bool:
    """Whether the « include the current month » control is set: ``1`` in a URL, or the
    Checklist's value (a list holding its option); anything else leaves it unset."""
    if isinstance(value, list | tuple):
        return INCLUDE_PARTIAL in value
    return isinstance(value, str) and value.strip() == INCLUDE_PARTIAL


def values_from_query(search: str | None) -> dict[str, str]:
    """URL query string → raw filter values (unknown parameters ignored)."""
    pairs = parse_qsl((search or "").lstrip("?"), keep_blank_values=False)
    return {key: value for key, value in pairs if key in PARAMS}


def read_filters(
    session: Session, scope: ProvinceScope, values: Mapping[str, object], bounds: DataBounds
) -> tuple[Filters, list[str], str | None]:
    """Parse the values, resolve the province they name, check the scope: (filters, messages, refusal)."""
    filters, messages = parse_filters(values, bounds)
    if values.get("carte") in (None, ""):
        filters = replace(filters, map_version=default_map(session, scope))
    if filters.province_code is not None:
        area = province_named(session, filters.province_code)
        # An unknown province gets the same refusal as another's (nothing tells them apart).
        filters = replace(
            filters, province_id=area.id if area else 0, province_code=area.code if area else None
        )
    filters = named_filters(session, scope, filters)
    return filters, messages, scope_problem(session, scope, filters)


def named_filters(session: Session, scope: ProvinceScope, filters: Filters) -> Filters:
    """The value chain and cooperative both ways: a code (or an old link's id) gives the
    row's id and its canonical code, which query_string writes into URLs and file names.

    The cooperative is looked up inside the scope only: another province's cooperative, by
    number or by id, resolves like an unknown one (its id kept, or 0 for a code; the code
    kept as typed), which scope_problem refuses with the same message. An unknown value chain gets « Filière
    inconnue. » the same way."""
    chain_id, chain_code = filters.value_chain_id, filters.value_chain_code
    if chain_id is not None or chain_code is not None:
        row = _named(
            session, select(m.ValueChain), m.ValueChain, m.ValueChain.code, chain_id, chain_code
        )
        chain_id, chain_code = (row.id, row.code) if row else (_unfound(chain_id), chain_code)
    coop_id, coop_code = filters.cooperative_id, filters.cooperative_code
    if coop_id is not None or coop_code is not None:
        stmt = apply_scope(select(m.Cooperative), m.Cooperative, scope)
        number = m.Cooperative.registration_number
        row = _named(session, stmt, m.Cooperative, number, coop_id, coop_code)
        coop_id, coop_code = (
            (row.id, row.registration_number) if row else (_unfound(coop_id), coop_code)
        )
    return replace(
        filters,
        value_chain_id=chain_id,
        value_chain_code=chain_code,
        cooperative_id=coop_id,
        cooperative_code=coop_code,
    )


def _named(session: Session, stmt, model, code_column, row_id: int | None, code: str | None):
    """The one row of ``stmt`` with this code (any case), else the one with this id (an old
    link's digits are tried as a code first: a number may be all digits)."""
    row = None
    if code is not None:
        rows = list(session.scalars(stmt.where(func.lower(code_column) == code.lower()).limit(2)))
        exact = [r for r in rows if getattr(r, code_column.key) == code]
        row = rows[0] if len(rows) == 1 else (exact[0] if exact else None)
    if row is None and row_id is not None:
        row = session.scalar(stmt.where(model.id == row_id))
    return row


def _unfound(row_id: int | None) -> int:
    """The id an unresolved reference keeps: never None, which would mean « every one »."""
    return 0 if row_id is None else row_id


def scope_problem(session: Session, scope: ProvinceScope, filters: Filters) -> str | None:
    """A French refusal when a filter names a province or cooperative outside the scope."""
    if filters.province_id is not None:
        province = session.get(m.Province, filters.province_id)
        allowed = pickable_province_ids(session, scope)
        if province is None or (allowed is not None and province.id not in allowed):
            return "Cette province ne fait pas partie de votre périmètre."
        if province.map_version != filters.map_version:
            return "Cette province n'appartient pas à la carte choisie."
    if filters.cooperative_id is not None:
        stmt = apply_scope(
            select(m.Cooperative.id).where(m.Cooperative.id == filters.cooperative_id),
            m.Cooperative,
            scope,
        )
        if session.scalar(stmt) is None:
            return "Cette coopérative ne fait pas partie de votre périmètre."
    if (
        filters.value_chain_id is not None
        and session.get(m.ValueChain, filters.value_chain_id) is None
    ):
        return "Filière inconnue."
    return None
