"""Remittance flags: VAT due in a month with no remittance, a late one, or a short one.

See console.services.tax.leakage for the definitions; quarterly and monthly declarations
are both understood, since a remittance covers every month of its declared period.
One GROUP BY reads the due per seller and month; the collected tax and the orders
behind a flag (the seller's non-cancelled orders of the period) are then read for the
flagged sellers only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace

from sqlalchemy import and_, func, or_, select

from console import models as m
from console.services.money import format_francs
from console.services.periods import MONTH, RANGE, Period, month_end, periods_between
from console.services.tax.flags import (
    COUNT,
    DATE,
    REMITTANCE_LATE,
    REMITTANCE_MISSING,
    REMITTANCE_SHORT,
    Figure,
    Flag,
    FlagContext,
)
from console.services.tax.reconciliation import (
    collected_by_period,
    due_by_period,
    sale_filters,
    scope_filters,
)

# Flagged (seller, period) pairs are read in batches, to keep each OR list short
# (SQLite limits expression depth).
BATCH = 100


@dataclass
class _Declared:
    """Remittances of one seller for one declared period."""

    amount: int = 0
    remittances: list[tuple[dt.date, int, int]] = field(default_factory=list)  # day, id, amount


def remittance_flags(ctx: FlagContext) -> list[Flag]:
    """Missing, late and short VAT remittances, compared month by month with the due."""
    window_start, window_end = ctx.months[0].start, ctx.months[-1].end
    remittances = ctx.session.execute(
        select(
            m.TaxRemittance.id,
            m.TaxRemittance.cooperative_id,
            m.TaxRemittance.period_start,
            m.TaxRemittance.period_end,
            m.TaxRemittance.amount,
            m.TaxRemittance.remitted_on,
        ).where(
            m.TaxRemittance.tax_kind == m.TaxKind.VAT,
            m.TaxRemittance.period_start <= window_end,
            m.TaxRemittance.period_end >= window_start,
            *scope_filters(m.TaxRemittance, ctx.scope, ctx.province_id),
        )
    ).all()
    # A quarterly remittance overlapping the window may start before it or end after it:
    # read the due over its whole declared period.
    first = min([window_start, *(r.period_start for r in remittances)])
    last = max([window_end, *(r.period_end for r in remittances)])
    months = periods_between(first, last, MONTH)
    due = {
        (seller_id, months[p].start): figures
        for (seller_id, p), figures in due_by_period(
            ctx.session, ctx.scope, months, province_id=ctx.province_id
        ).items()
        if figures.tax
    }
    default_deadline = (
        ctx.session.scalar(
            select(func.min(m.TaxRule.remittance_deadline_days)).where(
                m.TaxRule.kind == m.TaxKind.VAT
            )
        )
        or 0
    )

    def deadline_days(seller_id: int, month_start: dt.date) -> int:
        figures = due.get((seller_id, month_start))
        days = figures.deadline_days if figures is not None else None
        return default_deadline if days is None else days

    declared: dict[tuple[int, dt.date, dt.date], _Declared] = defaultdict(_Declared)
    covered: set[tuple[int, dt.date]] = set()
    for r in remittances:
        entry = declared[(r.cooperative_id, r.period_start, r.period_end)]
        entry.amount += r.amount
        entry.remittances.append((r.remitted_on, r.id, r.amount))
        for month in periods_between(r.period_start, r.period_end, MONTH):
            covered.add((r.cooperative_id, month.start))

    ctx.sellers({key[0] for key in declared} | {key[0] for key in due})  # one query for all flags
    flags: list[Flag] = []
    for (seller_id, start, end), entry in sorted(declared.items()):
        flags += _declared_flags(ctx, seller_id, start, end, entry, due, deadline_days)
    in_window = {month.start for month in ctx.months}
    missing = []
    for (seller_id, month_start), figures in sorted(due.items()):
        if month_start not in in_window or (seller_id, month_start) in covered:
            continue
        deadline = month_end(month_start) + dt.timedelta(days=deadline_days(seller_id, month_start))
        if ctx.as_of > deadline:  # else not due yet
            missing.append((seller_id, month_start, figures.tax, deadline))
    flags += _missing_flags(ctx, missing)
    return _with_orders(ctx, flags)


def _declared_flags(ctx, seller_id, start, end, entry: _Declared, due, deadline_days) -> list[Flag]:
    """Late remittances of one declared period, and whether they fall short of its due."""
    months = periods_between(start, end, MONTH)
    period = months[0] if len(months) == 1 else Period(start, end, RANGE)
    owed = sum(due[(seller_id, p.start)].tax for p in months if (seller_id, p.start) in due)
    limit_days = deadline_days(seller_id, months[-1].start)
    deadline = end + dt.timedelta(days=limit_days)
    flags = []
    for remitted_on, remittance_id, amount in entry.remittances:
        if remitted_on <= deadline:
            continue
        late = (remitted_on - deadline).days
        flags.append(
            ctx.flag(
                REMITTANCE_LATE,
                seller_id,
                period,
                figures=(
                    Figure("amount", "Montant versé", amount),
                    Figure("deadline", "Date limite", deadline, DATE),
                    Figure("remitted_on", "Versé le", remitted_on, DATE),
                    Figure("days_late", "Jours de retard", late, COUNT),
                ),
                explanation=(
                    f"Versement de TVA de {format_francs(amount)} pour {period.label} "
                    f"reçu le {remitted_on:%d/%m/%Y}, {late} jour(s) après la date limite "
                    f"du {deadline:%d/%m/%Y} (fin de période + {limit_days} jours)."
                ),
                amount_at_stake=amount,
                remittance_ids=(remittance_id,),
            )
        )
    if owed - entry.amount > ctx.settings.remittance_tolerance and ctx.as_of > deadline:
        flags.append(
            ctx.flag(
                REMITTANCE_SHORT,
                seller_id,
                period,
                figures=(
                    Figure("tax_due", "TVA due", owed),
                    Figure("tax_remitted", "TVA versée", entry.amount),
                    Figure("shortfall", "Manque", owed - entry.amount),
                ),
                explanation=(
                    f"Pour {period.label}, la TVA versée ({format_francs(entry.amount)}) est "
                    f"inférieure à la TVA due sur les ventes ({format_francs(owed)}) : "
                    f"il manque {format_francs(owed - entry.amount)}."
                ),
                amount_at_stake=owed - entry.amount,
                remittance_ids=tuple(sorted(r[1] for r in entry.remittances)),
            )
        )
    return flags


def _missing_flags(
    ctx: FlagContext, missing: list[tuple[int, dt.date, int, dt.date]]
) -> list[Flag]:
    """Months with VAT due, no remittance covering them, and the deadline passed."""
    if not missing:
        return []
    # The tax buyers paid to these sellers: the strongest evidence, read for them only.
    collected = collected_by_period(
        ctx.session,
        ctx.scope,
        ctx.months,
        province_id=ctx.province_id,
        seller_ids={seller_id for seller_id, *_rest in missing},
    )
    index = {month.start: i for i, month in enumerate(ctx.months)}
    flags = []
    for seller_id, month_start, tax, deadline in missing:
        period = ctx.months[index[month_start]]
        flags.append(
            ctx.flag(
                REMITTANCE_MISSING,
                seller_id,
                period,
                figures=(
                    Figure("tax_due", "TVA due", tax),
                    Figure(
                        "tax_collected",
                        "TVA collectée",
                        collected.get((seller_id, index[month_start]), 0),
                    ),
                    Figure("deadline", "Date limite", deadline, DATE),
                ),
                explanation=(
                    f"Aucun versement de TVA couvrant {period.label} alors que "
                    f"{format_francs(tax)} sont dus sur les ventes et que la date limite "
                    f"du {deadline:%d/%m/%Y} est passée."
                ),
                amount_at_stake=tax,
            )
        )
    return flags


def _with_orders(ctx: FlagContext, flags: list[Flag]) -> list[Flag]:
    """Attach to missing and short flags the ids of the period's orders, whose lines make the due."""
    targets = sorted(
        {
            (f.seller_id, f.period)
            for f in flags
            if f.kind in (REMITTANCE_MISSING, REMITTANCE_SHORT)
        },
        key=lambda pair: (pair[0], pair[1].start),
    )
    if not targets:
        return flags
    months = periods_between(
        min(p.start for _s, p in targets), max(p.end for _s, p in targets), MONTH
    )
    periods_of: dict[int, list[Period]] = defaultdict(list)
    for seller_id, period in targets:
        periods_of[seller_id].append(period)
    orders: dict[tuple, set[int]] = defaultdict(set)
    for i in range(0, len(targets), BATCH):
        wanted = or_(
            *(
                and_(
                    m.Order.seller_id == seller_id,
                    m.Order.placed_at >= period.utc_start,
                    m.Order.placed_at < period.utc_end,
                )
                for seller_id, period in targets[i : i + BATCH]
            )
        )
        # By seller (indexed), not by line: the lines' taxes are already in the figures.
        stmt = select(m.Order.id, m.Order.seller_id, m.Order.placed_at).where(
            *sale_filters(months, ctx.scope, ctx.province_id), wanted
        )
        for order_id, seller_id, placed_at in ctx.session.execute(stmt):
            for period in periods_of[seller_id]:
                if period.utc_start <= placed_at < period.utc_end:
                    orders[(seller_id, period)].add(order_id)
    return [
        replace(f, order_ids=tuple(sorted(orders[(f.seller_id, f.period)])))
        if f.kind in (REMITTANCE_MISSING, REMITTANCE_SHORT)
        else f
        for f in flags
    ]
