"""Tax rules as the directorate manages them: validity periods, no rewriting of history.

Overlaps are judged by the tax engine (console.services.tax.engine.validate_rule and
find_overlaps), whose French messages are shown as they are. A rule already stamped on
recorded order lines is history: it cannot be edited or deleted, only closed (an end
date) and followed by a new rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.services.commands import Command, french_date
from console.services.periods import local_date
from console.services.tax.engine import RuleSpec, find_overlaps, validate_rule
from console.translations import gettext as _


def usage_count(session: Session, rule_id: int | None) -> int:
    """How many recorded order lines were taxed under this rule."""
    if rule_id is None:
        return 0
    query = select(func.count()).select_from(m.OrderLine).where(m.OrderLine.tax_rule_id == rule_id)
    return session.scalar(query) or 0


def last_use(session: Session, rule_id: int) -> dt.date | None:
    """The Bujumbura date of the latest sale taxed under this rule."""
    query = (
        select(func.max(m.Order.placed_at))
        .join(m.OrderLine, m.OrderLine.order_id == m.Order.id)
        .where(m.OrderLine.tax_rule_id == rule_id)
    )
    latest = session.scalar(query)
    if latest is None:
        return None
    if latest.tzinfo is None:  # max() bypasses the UTCDateTime type on some backends
        latest = latest.replace(tzinfo=dt.UTC)
    return local_date(latest)


def _other_specs(session: Session, rule_id: int | None) -> list[RuleSpec]:
    query = select(m.TaxRule)
    if rule_id is not None:
        query = query.where(m.TaxRule.id != rule_id)
    with session.no_autoflush:
        return [RuleSpec.from_record(rule) for rule in session.scalars(query)]


def rule_errors(session: Session, rule: m.TaxRule) -> list[str]:
    """French errors for a rule about to be created or changed (the engine's wording)."""
    try:
        spec = RuleSpec.from_record(rule)
    except (TypeError, ValueError, AttributeError):
        return [
            _(
                "La règle est incomplète : type, assiette, condition, taux et date de début "
                "sont obligatoires."
            )
        ]
    return validate_rule(spec, _other_specs(session, rule.id))


def locked_message(rule: m.TaxRule, count: int) -> str:
    """Why a rule in use cannot be edited or deleted, and what to do instead."""
    return _(
        "La règle « %(code)s » a déjà été appliquée à %(count)s ligne(s) de commande : elle ne "
        "peut plus être modifiée ni supprimée. Clôturez-la (date de fin) puis créez une "
        "nouvelle règle à partir du lendemain.",
        code=rule.code,
        count=count,
    )


def change_errors(session: Session, rule: m.TaxRule) -> list[str]:
    """Errors for editing or deleting a stored rule: refused once it has been applied."""
    count = usage_count(session, rule.id)
    return [locked_message(rule, count)] if count else []


class CloseTaxRule(Command):
    """End a rule on a date (inclusive), so that a new one can follow it."""

    def __init__(self, session: Session, rule: m.TaxRule, valid_to: dt.date | None) -> None:
        self.session, self.rule, self.valid_to = session, rule, valid_to

    def validate(self) -> list[str]:
        if self.valid_to is None:
            return [_("Indiquez la date de fin de la règle.")]
        errors = []
        latest = last_use(self.session, self.rule.id)
        if latest is not None and self.valid_to < latest:
            errors.append(
                _(
                    "Des ventes du %(day)s ont été taxées selon cette règle : la date de fin ne "
                    "peut pas être antérieure.",
                    day=french_date(latest),
                )
            )
        spec = dataclasses.replace(RuleSpec.from_record(self.rule), valid_to=self.valid_to)
        errors += validate_rule(spec, _other_specs(self.session, self.rule.id))
        return errors

    def apply(self) -> m.TaxRule:
        self.rule.valid_to = self.valid_to
        self.session.flush()
        return self.rule


@dataclass(frozen=True)
class Coverage:
    """Which categories a rule applies to."""

    all_categories: bool
    categories: tuple[m.Category, ...]  # covered
    overridden: tuple[tuple[m.Category, str], ...]  # (category, code of the more specific rule)


def coverage(session: Session, rule: m.TaxRule) -> Coverage:
    """The categories a rule covers: its own, or all but those with a more specific rule.

    A category-scoped rule of the same kind and base in force on a same day wins over an
    all-categories rule (console.services.tax.engine's specificity).
    """
    categories = list(session.scalars(select(m.Category).order_by(m.Category.name)))
    if rule.category_id is not None:
        return Coverage(False, tuple(c for c in categories if c.id == rule.category_id), ())
    spec = RuleSpec.from_record(rule)
    specific = session.scalars(
        select(m.TaxRule).where(
            m.TaxRule.category_id.is_not(None),
            m.TaxRule.kind == rule.kind,
            m.TaxRule.base == rule.base,
        )
    )
    winners: dict[int, str] = {}
    for other in specific:
        # The engine's overlap test, asked about the periods only: same group on purpose.
        probe = dataclasses.replace(
            RuleSpec.from_record(other), category_id=None, seller_condition=spec.seller_condition
        )
        if find_overlaps([spec, probe]):
            winners.setdefault(other.category_id, other.code)
    covered = tuple(c for c in categories if c.id not in winners)
    overridden = tuple((c, winners[c.id]) for c in categories if c.id in winners)
    return Coverage(True, covered, overridden)
