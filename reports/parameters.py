"""Report parameters: parsed from untrusted text, checked against the requester's scope.

The same parsing runs when a report is requested (form, command line) and when an
archived file is downloaded, so a user may fetch an archived report only if they could
have requested it with the same parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import models as m
from console.formatting import format_date
from console.security.scoping import NATIONAL, ProvinceScope, apply_scope
from console.services.areas import (
    DEFAULT_MAP,
    MAPS,
    Area,
    chosen_map,
    is_province_code,
    province_in_scope,
)
from console.services.inventory import handover_by_reference, receipt_reference
from console.services.periods import QUARTER, RANGE, Period, parse_month, period_of
from console.services.registry import cooperative_by_identifier

FORMATS = ("pdf", "xlsx")
_QUARTER_PATTERN = re.compile(r"^(\d{4})-[TtQq]([1-4])$")
_YEAR_PATTERN = re.compile(r"^(\d{4})$")


class ParameterError(ValueError):
    """The request is malformed: French messages saying what to change."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ; ".join(messages))
        self.messages = messages


class OutOfScope(LookupError):
    """The requester may not see what the parameters designate (shown as "not found")."""


def parse_period(text: str | None) -> Period | None:
    """``2024-05`` (a month), ``2024-T2`` (a quarter) or ``2024`` (a year); None when unreadable."""
    text = (text or "").strip()
    month = parse_month(text)
    if month is not None:
        return period_of(month)
    match = _QUARTER_PATTERN.match(text) or _YEAR_PATTERN.match(text)
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        return None
    year = int(match.group(1))
    if match.re is _YEAR_PATTERN:
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), RANGE)
    return period_of(dt.date(year, (int(match.group(2)) - 1) * 3 + 1, 1), QUARTER)


def period_value(period: Period) -> str:
    """The text that parses back to ``period``: ``2024-05``, ``2024-T2`` or ``2024``."""
    return str(period.start.year) if period.grain == RANGE else period.key


def previous_period(period: Period) -> Period:
    """The period just before, of the same kind and length."""
    if period.grain == RANGE:
        return Period(
            dt.date(period.start.year - 1, 1, 1), dt.date(period.start.year - 1, 12, 31), RANGE
        )
    return period_of(period.start - dt.timedelta(days=1), period.grain)


def period_label(period: Period) -> str:
    """French label: ``mai 2024``, ``2e trimestre 2024`` or ``année 2024``."""
    return f"année {period.start.year}" if period.grain == RANGE else period.label


@dataclass(frozen=True)
class ReportParameters:
    """Validated parameters of one report request."""

    period: Period | None = None
    province: Area | None = None
    map_version: str = DEFAULT_MAP
    cooperative_id: int | None = None
    cooperative_name: str | None = None
    assignment_id: int | None = None
    cohort_id: int | None = None
    cohort_name: str | None = None
    order_id: int | None = None
    order_reference: str | None = None
    raw: dict = field(default_factory=dict)

    @property
    def data_scope(self) -> ProvinceScope:
        """The scope the report's queries run under: the chosen province, else national."""
        if self.province is None:
            return NATIONAL
        return ProvinceScope(False, frozenset({self.province.id}))

    @property
    def area_label(self) -> str:
        """``National`` or the province's name with its map."""
        if self.province is None:
            return "National (toutes les provinces)"
        return f"Province de {self.province.name} (carte de {self.province.map_version})"

    def describe(self) -> list[tuple[str, str]]:
        """French (label, value) pairs printed on the document and its Paramètres sheet."""
        pairs: list[tuple[str, str]] = []
        if self.period is not None:
            pairs.append(
                (
                    "Période",
                    f"{period_label(self.period)} (du {format_date(self.period.start)} au "
                    f"{format_date(self.period.end)})",
                )
            )
        if "province" in self.raw or self.province is not None:
            pairs.append(("Périmètre", self.area_label))
        if "map" in self.raw:
            pairs.append(("Carte administrative", f"carte de {self.map_version}"))
        if self.cooperative_id is not None:
            pairs.append(("Coopérative", self.cooperative_name or str(self.cooperative_id)))
        if self.assignment_id is not None:
            pairs.append(("Bon de remise", receipt_reference(self.assignment_id)))
        if self.order_reference is not None:
            pairs.append(("Commande", self.order_reference))
        if "cohort" in self.raw:
            pairs.append(("Cohorte", self.cohort_name or "Toutes les cohortes"))
        return pairs


def _int_or_error(text: str, label: str, errors: list[str]) -> int | None:
    try:
        value = int(text)
    except ValueError:
        errors.append(f"{label} : « {text} » n'est pas un numéro valide.")
        return None
    if value <= 0:
        errors.append(f"{label} : le numéro doit être positif.")
        return None
    return value


def resolve(
    session: Session, wanted: tuple[str, ...], raw: Mapping[str, str | None], scope: ProvinceScope
) -> ReportParameters:
    """Validate ``raw`` for a report taking the ``wanted`` parameters, within ``scope``.

    Raises ParameterError for malformed input and OutOfScope when the province,
    cooperative or device is not visible to ``scope`` (or a national report is asked by
    someone who does not see the whole country).
    """
    errors: list[str] = []
    values = {key: (raw.get(key) or "").strip() for key in wanted}
    kept: dict[str, str] = {}
    period = None
    if "period" in wanted:
        period = parse_period(values["period"])
        if period is None:
            errors.append(
                "Période : indiquez un mois (AAAA-MM, par exemple 2024-05), "
                "un trimestre (AAAA-T1 à AAAA-T4) ou une année (AAAA)."
            )
        else:
            kept["period"] = period_value(period)
    map_version = DEFAULT_MAP
    if "map" in wanted:
        map_version = values["map"] or chosen_map() or DEFAULT_MAP
        if map_version not in MAPS:
            errors.append("Carte : choisissez 2015 (18 provinces) ou 2025 (5 provinces).")
        kept["map"] = map_version
    cohort_id = None
    if "cohort" in wanted and values["cohort"]:
        cohort_id = _int_or_error(values["cohort"], "Cohorte", errors)
    # A cooperative by its ANACOOP number or name, a hand-over by its receipt number or
    # its device's asset tag. An archived request keeps the record's id (digits), which
    # resolves again at download; an id outside the scope is "not found" (404).
    found: dict[str, int | None] = {}
    for key, label, lookup in (
        ("cooperative", "Coopérative", cooperative_by_identifier),
        ("assignment", "Remise", handover_by_reference),
    ):
        if key not in wanted:
            continue
        if values[key].isdigit():
            found[key] = _int_or_error(values[key], label, errors)
            continue
        record, refusal = lookup(session, scope, values[key])
        if refusal:
            errors.append(refusal)
        else:
            found[key] = record.id
    cooperative_id, assignment_id = found.get("cooperative"), found.get("assignment")
    if "order" in wanted and not values["order"]:
        errors.append("Commande : indiquez la référence ou le numéro de la commande.")
    if errors:
        raise ParameterError(errors)

    province = None
    if "province" in wanted:
        province = _resolve_province(session, values["province"], scope)
        kept["province"] = province.code if province else ""
        if "map" in wanted and province is not None and not values["map"]:
            map_version = province.map_version
            kept["map"] = map_version
    cooperative_name = None
    if cooperative_id is not None:
        row = session.execute(
            apply_scope(
                select(m.Cooperative.id, m.Cooperative.name).where(
                    m.Cooperative.id == cooperative_id
                ),
                m.Cooperative,
                scope,
            )
        ).first()
        if row is None:
            raise OutOfScope("coopérative introuvable")
        cooperative_name = row.name
        kept["cooperative"] = str(cooperative_id)
    if assignment_id is not None:
        found = session.scalar(
            apply_scope(
                select(m.DeviceAssignment.id).where(m.DeviceAssignment.id == assignment_id),
                m.DeviceAssignment,
                scope,
            )
        )
        if found is None:
            raise OutOfScope("remise introuvable")
        kept["assignment"] = str(assignment_id)
    order_id = order_reference = None
    if "order" in wanted:
        order_id, order_reference = _resolve_order(session, values["order"], scope)
        kept["order"] = str(order_id)
    cohort_name = None
    if "cohort" in wanted:
        kept["cohort"] = str(cohort_id) if cohort_id else ""
        if cohort_id is not None:
            cohort_name = session.scalar(select(m.Cohort.name).where(m.Cohort.id == cohort_id))
            if cohort_name is None:
                raise ParameterError([f"Cohorte : aucune cohorte n°{cohort_id}."])
    return ReportParameters(
        period=period,
        province=province,
        map_version=map_version,
        cooperative_id=cooperative_id,
        cooperative_name=cooperative_name,
        assignment_id=assignment_id,
        cohort_id=cohort_id,
        cohort_name=cohort_name,
        order_id=order_id,
        order_reference=order_reference,
        raw=kept,
    )


def _resolve_order(session: Session, text: str, scope: ProvinceScope) -> tuple[int, str]:
    """The order of that reference (or number) in ``scope``: (id, reference)."""
    condition = m.Order.reference == text[:60]
    if text.isascii() and text.isdigit() and len(text) < 12:
        condition = condition | (m.Order.id == int(text))
    row = session.execute(
        apply_scope(select(m.Order.id, m.Order.reference).where(condition), m.Order, scope)
        .order_by(m.Order.reference != text)
        .limit(1)
    ).first()
    if row is None:
        raise OutOfScope("commande introuvable")
    return row.id, row.reference


def _resolve_province(session: Session, code: str, scope: ProvinceScope) -> Area | None:
    """The province of that code in ``scope``; None (national) only for national users."""
    if not code:
        if not scope.national:
            raise OutOfScope("rapport national refusé hors du périmètre national")
        return None
    area = province_in_scope(session, scope, code) if is_province_code(code) else None
    if area is None:
        raise OutOfScope("province introuvable")
    return area
