"""Read the tax pages' filters from the URL: bad input gets a French message and the default.

URL parameters are untrusted: a malformed month, an unknown grain or a province the
user may not see never reaches a query; the page shows the default instead and says why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope
from console.services.areas import province_in_scope
from console.services.periods import (
    GRAINS,
    MONTH,
    add_months,
    month_end,
    month_value,
    parse_month,
    today_local,
)
from console.services.tax.engine import KIND_VAT, RuleSpec
from console.services.tax.what_if import DraftError, draft_with_new_rule, draft_with_rate

MAX_MONTHS = 36  # longest window a page computes (3 years)
GRAIN_LABELS = {"month": "Mois", "quarter": "Trimestre"}


@dataclass
class PageFilters:
    """The filters a tax page applies, and the French messages about rejected input."""

    start: dt.date  # first day of the first month
    end: dt.date  # last day of the last month
    grain: str = MONTH
    province_id: int | None = None
    province_code: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def start_value(self) -> str:
        return month_value(self.start)

    @property
    def end_value(self) -> str:
        return month_value(self.end)

    def query(self, **extra) -> dict:
        """These filters as URL parameters, for links between the pages."""
        params = {"debut": self.start_value, "fin": self.end_value, "grain": self.grain}
        if self.province_code is not None:
            params["province"] = self.province_code
        params.update(extra)
        return params


def default_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The twelve months ending with the current one."""
    current = (today or today_local()).replace(day=1)
    return add_months(current, -11), month_end(current)


def parse_filters(
    args, session: Session, scope: ProvinceScope, today: dt.date | None = None
) -> PageFilters:
    """Filters from request args (``debut``, ``fin`` as YYYY-MM, ``grain``, ``province``)."""
    default_start, default_end = default_window(today)
    filters = PageFilters(default_start, default_end)
    raw_start, raw_end = args.get("debut"), args.get("fin")
    if raw_start or raw_end:
        start = parse_month(raw_start) if raw_start else default_start
        end = parse_month(raw_end) if raw_end else default_end.replace(day=1)
        if start is None or end is None:
            bad = raw_start if start is None else raw_end
            filters.errors.append(
                f"Période invalide : « {bad} ». Indiquez un mois au format AAAA-MM "
                "(par exemple 2024-03) ; la période par défaut est affichée."
            )
        elif end < start:
            filters.errors.append(
                "Le mois de fin précède le mois de début ; la période par défaut est affichée."
            )
        elif (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
            filters.errors.append(
                f"La période ne peut dépasser {MAX_MONTHS} mois ; la période par défaut est affichée."
            )
        else:
            filters.start, filters.end = start, month_end(end)
    grain = args.get("grain")
    if grain:
        if grain in GRAINS:
            filters.grain = grain
        else:
            filters.errors.append(f"Regroupement inconnu : « {grain} » ; regroupement par mois.")
    raw_province = args.get("province")
    if raw_province:
        area = province_in_scope(session, scope, raw_province)
        if area is not None:
            filters.province_id, filters.province_code = area.id, area.code
        else:
            filters.errors.append(
                f"Province inconnue ou hors de votre périmètre : « {raw_province} » ; "
                "toutes les provinces sont affichées."
            )
    return filters


def parse_percent(text: str | None) -> Decimal | None:
    """``18`` or ``10,5`` (percent) → Decimal('0.18') / Decimal('0.105'); None if invalid."""
    try:
        value = Decimal((text or "").strip().replace(",", ".").replace("%", "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > 100 or value.as_tuple().exponent < -2:
        return None
    return (value / 100).quantize(Decimal("0.0001"))


def parse_day(text: str | None) -> dt.date | None:
    """``2024-07-01`` (HTML date input) or ``01/07/2024`` → a date; None if empty or invalid."""
    text = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_draft(
    rules: tuple[RuleSpec, ...], args, session: Session
) -> tuple[list[RuleSpec] | None, str | None]:
    """The draft rule set described by the form, or (None, French reason) when unusable."""
    mode = args.get("mode")
    if mode not in ("modifier", "ajouter"):
        return None, None
    rate = parse_percent(args.get("taux"))
    if rate is None:
        return (
            None,
            "Taux invalide : indiquez un pourcentage entre 0 et 100 (par exemple 10 ou 10,5).",
        )
    try:
        if mode == "modifier":
            try:
                rule_id = int(args.get("regle", ""))
            except ValueError:
                return None, "Choisissez la règle à modifier."
            effective = parse_day(args.get("effet")) if args.get("effet") else None
            if args.get("effet") and effective is None:
                return None, "Date d'effet invalide : indiquez une date au format JJ/MM/AAAA."
            return draft_with_rate(rules, rule_id, rate, effective), None
        try:
            category_id = int(args.get("categorie", ""))
        except ValueError:
            return None, "Choisissez la catégorie de la nouvelle règle."
        if session.get(m.Category, category_id) is None:
            return None, "Catégorie inconnue."
        valid_from = parse_day(args.get("debut_regle"))
        valid_to = parse_day(args.get("fin_regle")) if args.get("fin_regle") else None
        if valid_from is None or (args.get("fin_regle") and valid_to is None):
            return None, "Dates de validité invalides : indiquez au moins la date de début."
        exempt = args.get("exoneration") == "1"
        new_rule = RuleSpec(
            id=None,
            code="PROJET",
            kind=KIND_VAT,
            base="sale",
            rate=rate,
            is_exemption=exempt,
            category_id=category_id,
            seller_condition="vat_registered",
            valid_from=valid_from,
            valid_to=valid_to,
            name="Règle en projet",
        )
        return draft_with_new_rule(rules, new_rule), None
    except DraftError as error:
        return None, str(error)
