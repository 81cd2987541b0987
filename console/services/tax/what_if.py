"""What-if: the tax a past period would have carried under a draft rule set.

``what_if_period(session, scope, start, end, draft_rules) -> WhatIfResult`` recomputes
the non-cancelled sales of the Bujumbura months touching [start, end] under the current
rules and under ``draft_rules`` (the current rules plus edited or added ones, as
:class:`RuleSpec`), and reports the difference per category and per province of both
maps. Nothing is written: the recorded stamps stay as they are (shown as "recorded").

One GROUP BY over (category, provinces, rule segment, seller VAT status) does the work:
within a rule segment neither rule set changes (:mod:`console.services.tax.rule_segments`),
so the engine selects the rate once per group, exactly as ``tax_engine.what_if`` would
for each of its lines, and the SQL sums every line's tax at each candidate rate with the
engine's own per-line rounding (:mod:`console.services.tax.sql`). Lines are never
brought into Python: with real prices nearly every line is a distinct case, so
computing them one by one would take minutes for a year.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope
from console.services.periods import MONTH, RANGE, Period, periods_between
from console.services.tax.engine import KIND_VAT, RuleSpec, validate_rule
from console.services.tax.reconciliation import period_index, sale_filters
from console.services.tax.rule_segments import rate_in_force, rule_segments
from console.services.tax.sql import line_amount, line_tax
from console.services.tax.stamping import load_rules


@dataclass(frozen=True)
class WhatIfRow:
    """Tax of one category or province: recorded, recomputed now, and under the draft."""

    key: int | None
    label: str
    lines: int
    recorded_tax: int  # the stamps, as recorded at sale time
    current_tax: int  # the current rules, recomputed
    draft_tax: int

    @property
    def difference(self) -> int:
        """Draft minus current rules: positive when the draft raises more tax."""
        return self.draft_tax - self.current_tax


@dataclass(frozen=True)
class WhatIfResult:
    """The differences per category and per province (2015 and 2025 maps), and in total."""

    window: Period
    by_category: list[WhatIfRow]
    by_province_2015: list[WhatIfRow]
    by_province_2025: list[WhatIfRow]
    total: WhatIfRow
    groups: int  # (category, provinces, rule segment, seller status) groups recomputed


def what_if_period(
    session: Session,
    scope: ProvinceScope,
    start: dt.date,
    end: dt.date,
    draft_rules: Sequence[RuleSpec],
    *,
    current_rules: Sequence[RuleSpec] | None = None,
    province_id: int | None = None,
) -> WhatIfResult:
    """Recompute the months touching [start, end] under the draft rules; read-only."""
    months = periods_between(start, end, MONTH)
    current = tuple(current_rules) if current_rules is not None else load_rules(session)
    draft = tuple(draft_rules)
    segments = rule_segments(months, [r for r in (*current, *draft) if r.kind == KIND_VAT])
    # Every rate either rule set can apply: the SQL sums each line's tax at each of them.
    rates = sorted({Decimal(0)} | {r.rate for r in (*current, *draft) if r.kind == KIND_VAT})
    lines = (
        select(
            m.Product.category_id.label("category_id"),
            m.Cooperative.province_id.label("province_id"),
            m.Cooperative.province_2025_id.label("province_2025_id"),
            period_index(m.Order.placed_at, segments).label("segment"),
            m.Cooperative.vat_registered.label("registered"),
            m.Order.prices_include_tax.label("inclusive"),
            line_amount(m.OrderLine.unit_price, m.OrderLine.quantity).label("amount"),
            m.OrderLine.tax.label("tax"),
        )
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .join(m.Product, m.Product.id == m.OrderLine.product_id)
        .join(m.Cooperative, m.Cooperative.id == m.Order.seller_id)
        .where(*sale_filters(months, scope, province_id))
        .subquery()
    )
    c = lines.c
    keys = (c.category_id, c.province_id, c.province_2025_id, c.segment, c.registered)
    groups = session.execute(
        select(
            *keys,
            func.count(),
            func.sum(c.tax),
            *(func.sum(line_tax(c.amount, c.inclusive, rate)) for rate in rates),
        ).group_by(*keys)
    ).all()
    totals = {name: defaultdict(lambda: [0, 0, 0, 0]) for name in ("category", "p15", "p25", "all")}
    for category_id, p15, p25, segment, registered, count, recorded, *at_rate in groups:
        if segment is None:
            continue
        day = segments[segment].start
        # The engine decides the rate of the whole group (same category, seller status
        # and rule segment); the SQL has already applied each candidate rate line by line.
        now = rates.index(rate_in_force(current, category_id, day, bool(registered)))
        then = rates.index(rate_in_force(draft, category_id, day, bool(registered)))
        for name, key in (("category", category_id), ("p15", p15), ("p25", p25), ("all", None)):
            entry = totals[name][key]
            entry[0] += count
            entry[1] += int(recorded or 0)
            entry[2] += int(at_rate[now] or 0)
            entry[3] += int(at_rate[then] or 0)
    categories = dict(session.execute(select(m.Category.id, m.Category.name)).all())
    provinces = dict(session.execute(select(m.Province.id, m.Province.name)).all())

    def table(name: str, labels: dict) -> list[WhatIfRow]:
        result = [
            WhatIfRow(key, labels.get(key, "—"), *values) for key, values in totals[name].items()
        ]
        return sorted(result, key=lambda row: (-abs(row.difference), row.label))

    everything = totals["all"].get(None, [0, 0, 0, 0])
    return WhatIfResult(
        window=Period(months[0].start, months[-1].end, RANGE),
        by_category=table("category", categories),
        by_province_2015=table("p15", provinces),
        by_province_2025=table("p25", provinces),
        total=WhatIfRow(None, "Total", *everything),
        groups=len(groups),
    )


class DraftError(ValueError):
    """A draft rule set that cannot be simulated; the message is French, for the user."""


def draft_with_rate(
    rules: Sequence[RuleSpec], rule_id: int, rate: Decimal, effective: dt.date | None = None
) -> list[RuleSpec]:
    """The rules with one rule's rate changed, from ``effective`` on (else over its whole period).

    Changing from a date splits the rule: the old rate until the day before, the new
    rate from that day to the rule's original end, as an administrator would record it.
    """
    target = next((rule for rule in rules if rule.id == rule_id), None)
    if target is None:
        raise DraftError("La règle choisie n'existe pas.")
    if target.valid_to is not None and effective is not None and effective > target.valid_to:
        raise DraftError(
            f"La règle « {target.code} » a pris fin le {target.valid_to:%d/%m/%Y} : "
            "choisissez une date d'effet antérieure."
        )
    edited = replace(target, rate=rate)
    errors = validate_rule(replace(edited, valid_from=effective or target.valid_from), [])
    if errors:
        raise DraftError(" ".join(errors))
    draft = [rule for rule in rules if rule.id != rule_id]
    if effective is None or effective <= target.valid_from:
        draft.append(edited)
    else:
        draft.append(replace(target, valid_to=effective - dt.timedelta(days=1)))
        draft.append(replace(edited, id=None, code=f"{target.code}-PROJET", valid_from=effective))
    return draft


def draft_with_new_rule(rules: Sequence[RuleSpec], new_rule: RuleSpec) -> list[RuleSpec]:
    """The rules plus a new one, refused (DraftError) when it is invalid or overlaps another."""
    errors = validate_rule(new_rule, rules)
    if errors:
        raise DraftError(" ".join(errors))
    return [*rules, new_rule]
