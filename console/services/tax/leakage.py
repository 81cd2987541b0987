"""Leakage flags: where tax revenue may be leaking, each with the evidence behind it.

``leakage_flags(session, scope, start, end, *, as_of=None, province_id=None,
kinds=None) -> list[Flag]`` examines the Bujumbura months touching [start, end]
(``as_of``, default today, decides which deadlines have passed). The kinds:

``line_tax``
    Taxable sales stamped with no tax, or with a rate that differs from the rule in
    force on the sale day (:mod:`console.services.tax.line_audit`). One flag per seller
    and month; evidence: the line and order ids.
``unpaid_delivery``
    Orders delivered but with no payment at all, placed more than the
    ``unpaid_grace_days`` setting before ``as_of``. Evidence: the order ids.
``remittance_missing`` / ``remittance_late`` / ``remittance_short``
    VAT due in a month and no remittance covering it once the deadline has passed
    (month end + the ``remittance_deadline_days`` of the rules stamped on its lines);
    a remittance made after the deadline of its declared period; a declared period
    (month or quarter) whose remittances total less than its due minus the
    ``remittance_short_tolerance`` setting. Evidence: remittance ids, and for missing
    or short remittances the ids of the seller's orders of the period.
``unregistered_above_threshold``
    A seller not registered for VAT whose turnover (net sales) over 12 rolling months
    reaches the ``vat_registration_threshold`` setting (100 000 000 FBu, unconfirmed).
    Evidence: the monthly turnover in the figures (every order is behind it: use the
    drill-down).
``sales_drop``
    Declared sales that drop suddenly against the seller's own history, and not
    because its whole market fell. Recent: the ``sales_drop_recent_months`` months
    before the examination day (``as_of``, or the day after the window when earlier;
    rolling, so a running month is never half-counted); history: the
    ``sales_drop_history_months`` months before those, from the month of the seller's
    first sale if it joined later. Flagged when the recent monthly average is below
    ``sales_drop_ratio`` × the history's monthly average × the market ratio (how the
    other sellers of the same categories moved: same 2025 province, else national,
    capped at 1). Defaults: 3 months, 12 months, 40 %. The history must span at least
    ``sales_drop_min_history_months`` months and average at least
    ``sales_drop_min_monthly_average`` francs and ``sales_drop_min_monthly_lines``
    order lines a month (below that, three quiet months happen by chance); only
    active sellers are examined. A mévente or a season that lowers everyone's sales is
    therefore not a flag. Evidence: the averages and the market ratio.
``ebms_late``
    Sales of a seller that transmits to OBR's eBMS whose invoice is not registered 24 h
    after the sale (pending, refused, or never written to the outbox), counted from the
    start of transmission; the definitions are :mod:`console.services.ebms.status`'s. One
    flag per seller and month; evidence: the order ids, the count by status and the tax.

All thresholds are dated rows of ``tax_setting`` (see console.reference.tax_settings),
read as in force at the end of the window. The detectors live in line_tax_audit,
remittance_audit and turnover_audit; the flag types in console.services.tax.flags.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from console import models as m
from console.models.types import utcnow
from console.security.scoping import ProvinceScope
from console.services.ebms import status as ebms_status
from console.services.money import format_francs, format_rate
from console.services.periods import local_date, local_midnight_utc, period_of, today_local
from console.services.tax.flags import (
    COUNT,
    EBMS_LATE,
    KIND_LABELS,
    KINDS,
    LINE_TAX,
    REMITTANCE_LATE,
    REMITTANCE_MISSING,
    REMITTANCE_SHORT,
    SALES_DROP,
    UNPAID_DELIVERY,
    UNREGISTERED_ABOVE_THRESHOLD,
    Figure,
    Flag,
    FlagContext,
)
from console.services.tax.line_audit import misstamped_lines
from console.services.tax.reconciliation import sale_filters, scope_filters
from console.services.tax.remittance_audit import remittance_flags
from console.services.tax.settings import settings_on
from console.services.tax.stamping import load_rules
from console.services.tax.turnover_audit import drop_flags, monthly_sales, threshold_flags

__all__ = [
    "KIND_LABELS",
    "KINDS",
    "LINE_TAX",
    "UNPAID_DELIVERY",
    "REMITTANCE_MISSING",
    "REMITTANCE_LATE",
    "REMITTANCE_SHORT",
    "UNREGISTERED_ABOVE_THRESHOLD",
    "SALES_DROP",
    "EBMS_LATE",
    "Figure",
    "Flag",
    "leakage_flags",
    "settling_days",
]


def leakage_flags(
    session: Session,
    scope: ProvinceScope,
    start: dt.date,
    end: dt.date,
    *,
    as_of: dt.date | None = None,
    province_id: int | None = None,
    kinds: Sequence[str] | None = None,
) -> list[Flag]:
    """Every flag of the wanted kinds for the months touching [start, end] (see above)."""
    ctx = FlagContext(session, scope, start, end, as_of or today_local(), province_id)
    wanted = set(kinds or KINDS)
    flags: list[Flag] = []
    if LINE_TAX in wanted:
        flags += _line_tax_flags(ctx)
    if UNPAID_DELIVERY in wanted:
        flags += _unpaid_flags(ctx)
    if wanted & {REMITTANCE_MISSING, REMITTANCE_LATE, REMITTANCE_SHORT}:
        flags += [f for f in remittance_flags(ctx) if f.kind in wanted]
    if UNREGISTERED_ABOVE_THRESHOLD in wanted:
        flags += threshold_flags(ctx, monthly_sales(ctx))
    if SALES_DROP in wanted:
        flags += drop_flags(ctx)
    if EBMS_LATE in wanted:
        flags += _ebms_late_flags(ctx)
    flags.sort(
        key=lambda f: (KINDS.index(f.kind), f.period.start, -f.amount_at_stake, f.seller_name)
    )
    return flags


def settling_days(session: Session, day: dt.date) -> int:
    """Days after a period's end during which its flags may still change with the day alone.

    Delivered orders count as unpaid after the ``unpaid_grace_days`` setting (in force on
    ``day``), VAT as missing or short after the remittance deadline of the rules, a sale
    as late for the eBMS 24 h after it; the sales drop ends the day before the examination
    day. A flag of a period that ended more than this before the day it was judged only
    changes if the records do.
    """
    deadline = session.scalar(select(func.max(m.TaxRule.remittance_deadline_days))) or 0
    return max(settings_on(session, day).unpaid_grace_days, deadline) + 1


# ---------------------------------------------------------------------------
# Detectors on lines and orders
# ---------------------------------------------------------------------------


def _line_tax_flags(ctx: FlagContext) -> list[Flag]:
    """One flag per seller and month with misstamped lines."""
    lines = misstamped_lines(
        ctx.session, ctx.scope, ctx.months, load_rules(ctx.session), province_id=ctx.province_id
    )
    grouped = defaultdict(list)
    for line in lines:
        grouped[(line.seller_id, period_of(local_date(line.placed_at)))].append(line)
    flags = []
    ctx.sellers(seller_id for seller_id, _month in grouped)  # one query for every flag
    for (seller_id, month), items in grouped.items():
        stamped = sum(line.stamped_tax for line in items)
        expected = sum(line.expected_tax for line in items)
        zero = sum(1 for line in items if line.stamped_tax == 0)
        wrong = [line for line in items if line.stamped_rate != line.expected_rate]
        found = []
        if zero:
            found.append(f"{zero} sans taxe")
        if wrong:
            rates = ", ".join(sorted({format_rate(line.stamped_rate) for line in wrong}))
            found.append(
                f"{len(wrong)} à un taux ({rates}) différent de la règle en vigueur le jour de la vente"
            )
        status = "assujetti" if items[0].seller_vat_registered else "non assujetti"
        flags.append(
            ctx.flag(
                LINE_TAX,
                seller_id,
                month,
                figures=(
                    Figure("lines", "Lignes concernées", len(items), COUNT),
                    Figure("zero_tax_lines", "Dont sans taxe", zero, COUNT),
                    Figure("wrong_rate_lines", "Dont taux erroné", len(wrong), COUNT),
                    Figure("stamped_tax", "TVA enregistrée", stamped),
                    Figure("expected_tax", "TVA attendue", expected),
                    Figure("shortfall", "Manque", expected - stamped),
                ),
                explanation=(
                    f"Lignes de vente de {month.label} mal taxées : {' ; '.join(found)} "
                    f"(vendeur {status} à la TVA à ce jour). TVA enregistrée "
                    f"{format_francs(stamped)}, TVA attendue {format_francs(expected)}."
                ),
                amount_at_stake=expected - stamped,
                line_ids=tuple(line.line_id for line in items),
                order_ids=tuple(sorted({line.order_id for line in items})),
            )
        )
    return flags


def _unpaid_flags(ctx: FlagContext) -> list[Flag]:
    """Delivered orders with no payment, older than the grace period."""
    cutoff = local_midnight_utc(ctx.as_of - dt.timedelta(days=ctx.settings.unpaid_grace_days))
    paid = exists().where(m.Payment.order_id == m.Order.id)
    # The unpaid orders first (an anti-join on the orders alone), then the sums of their
    # few lines through the order_line (order_id, line_no) index.
    unpaid = (
        select(m.Order.id)
        .where(
            *sale_filters(ctx.months, ctx.scope, ctx.province_id),
            m.Order.status == m.OrderStatus.DELIVERED,
            m.Order.placed_at < cutoff,
            ~paid,
        )
        .subquery()
    )
    stmt = (
        select(
            m.Order.id,
            m.Order.seller_id,
            m.Order.placed_at,
            func.sum(m.OrderLine.gross),
            func.sum(m.OrderLine.tax),
        )
        .join(m.OrderLine, m.OrderLine.order_id == m.Order.id)
        .where(m.Order.id.in_(select(unpaid.c.id)))
        .group_by(m.Order.id, m.Order.seller_id, m.Order.placed_at)
    )
    grouped = defaultdict(list)
    for order_id, seller_id, placed_at, gross, tax in ctx.session.execute(stmt):
        grouped[(seller_id, period_of(local_date(placed_at)))].append(
            (order_id, int(gross), int(tax))
        )
    flags = []
    ctx.sellers(seller_id for seller_id, _month in grouped)  # one query for every flag
    for (seller_id, month), orders in grouped.items():
        gross = sum(o[1] for o in orders)
        tax = sum(o[2] for o in orders)
        flags.append(
            ctx.flag(
                UNPAID_DELIVERY,
                seller_id,
                month,
                figures=(
                    Figure("orders", "Commandes", len(orders), COUNT),
                    Figure("gross", "Montant TTC", gross),
                    Figure("tax", "TVA non collectée", tax),
                ),
                explanation=(
                    f"{len(orders)} commande(s) de {month.label} livrée(s) sans aucun paiement "
                    f"enregistré plus de {ctx.settings.unpaid_grace_days} jours après la "
                    f"commande : {format_francs(gross)} TTC dont {format_francs(tax)} de TVA."
                ),
                amount_at_stake=tax,
                order_ids=tuple(sorted(o[0] for o in orders)),
            )
        )
    return flags


def _ebms_late_flags(ctx: FlagContext) -> list[Flag]:
    """Sales not registered by OBR 24 h after the sale, for sellers that transmit."""
    now = min(utcnow(), local_midnight_utc(ctx.as_of + dt.timedelta(days=1)))
    rows = ebms_status.late_sales(
        ctx.session,
        ctx.scope,
        ctx.months[0].utc_start,
        ctx.months[-1].utc_end,
        now,
        where=scope_filters(m.Order, ctx.scope, ctx.province_id),
    )
    grouped = defaultdict(list)
    for order_id, seller_id, placed_at, status, tax in rows:
        grouped[(seller_id, period_of(local_date(placed_at)))].append((order_id, status, tax))
    flags = []
    ctx.sellers(seller_id for seller_id, _month in grouped)  # one query for every flag
    labels = ebms_status.STATUS_LABELS
    for (seller_id, month), orders in grouped.items():
        tax = sum(o[2] for o in orders)
        by_status = {s: sum(1 for o in orders if o[1] == s) for s in ebms_status.STATUSES}
        found = " ; ".join(f"{labels[s].lower()} : {n}" for s, n in by_status.items() if n)
        flags.append(
            ctx.flag(
                EBMS_LATE,
                seller_id,
                month,
                figures=(
                    Figure("orders", "Ventes non enregistrées", len(orders), COUNT),
                    Figure("pending", "Dont en attente", by_status[ebms_status.PENDING], COUNT),
                    Figure("refused", "Dont refusées", by_status[ebms_status.REFUSED], COUNT),
                    Figure(
                        "not_sent", "Dont jamais écrites", by_status[ebms_status.NOT_SENT], COUNT
                    ),
                    Figure("tax", "TVA des ventes", tax),
                ),
                explanation=(
                    f"{len(orders)} vente(s) de {month.label} d'un vendeur qui transmet à l'eBMS "
                    f"non enregistrée(s) par l'OBR plus de 24 h après la vente ({found}) : "
                    f"{format_francs(tax)} de taxe sans facture enregistrée."
                ),
                amount_at_stake=tax,
                order_ids=tuple(sorted(o[0] for o in orders)),
            )
        )
    return flags
