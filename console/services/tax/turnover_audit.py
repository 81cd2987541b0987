"""Turnover flags: unregistered sellers above the VAT threshold, and sudden drops in sales.

See console.services.tax.leakage for the definitions. Each reads one GROUP BY of net sales
(per seller and month; per seller, category and window before/recent); the rest is
arithmetic on those sums.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select

from console import models as m
from console.services.money import format_francs, format_rate, round_franc
from console.services.periods import (
    MONTH,
    RANGE,
    Period,
    add_months,
    local_date,
    local_midnight_utc,
    months_between,
    periods_between,
    shift_months,
)
from console.services.sales import is_sale
from console.services.tax.flags import (
    DATE,
    RATE,
    SALES_DROP,
    UNREGISTERED_ABOVE_THRESHOLD,
    Figure,
    Flag,
    FlagContext,
)
from console.services.tax.reconciliation import period_index, sale_filters, scope_filters
from console.services.tax.settings import settings_on

_ONE = Decimal(1)
_RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class MonthlySales:
    """Net sales per seller and month."""

    months: list[Period]
    by_seller: dict[int, list[int]]


def monthly_sales(ctx: FlagContext) -> MonthlySales:
    """Net sales of the sellers not registered for VAT, per month, from 11 months before the window."""
    # 12 rolling months for the window's first month.
    months = periods_between(add_months(ctx.months[0].start, -11), ctx.months[-1].end, MONTH)
    unregistered = select(m.Cooperative.id).where(m.Cooperative.vat_registered.is_(False))
    rows = (
        select(
            m.Order.seller_id.label("seller_id"),
            period_index(m.Order.placed_at, months).label("p"),
            m.OrderLine.net,
        )
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(
            *sale_filters(months, ctx.scope, ctx.province_id), m.Order.seller_id.in_(unregistered)
        )
        .subquery()
    )
    by_seller: dict[int, list[int]] = defaultdict(lambda: [0] * len(months))
    stmt = select(rows.c.seller_id, rows.c.p, func.sum(rows.c.net)).group_by(
        rows.c.seller_id, rows.c.p
    )
    for seller_id, p, net in ctx.session.execute(stmt):
        by_seller[seller_id][p] = int(net or 0)
    return MonthlySales(months, dict(by_seller))


def threshold_flags(ctx: FlagContext, monthly: MonthlySales) -> list[Flag]:
    """Unregistered sellers whose 12-month rolling turnover reaches the VAT threshold."""
    months, series = monthly.months, monthly.by_seller
    sellers = ctx.sellers(series)
    window = {month.start for month in ctx.months}
    # The threshold in force at each month end (a dated setting).
    thresholds = {
        i: settings_on(ctx.session, months[i].end).vat_threshold
        for i in range(11, len(months))
        if months[i].start in window
    }
    flags = []
    for seller_id, values in series.items():
        if sellers[seller_id].vat_registered:
            continue
        for i, threshold in thresholds.items():
            rolling = sum(values[i - 11 : i + 1])
            if rolling < threshold:
                continue
            span = Period(months[i - 11].start, months[i].end, RANGE)
            flags.append(
                ctx.flag(
                    UNREGISTERED_ABOVE_THRESHOLD,
                    seller_id,
                    span,
                    figures=(
                        Figure("turnover", "Chiffre d'affaires sur 12 mois", rolling),
                        Figure("threshold", "Seuil d'assujettissement", threshold),
                        Figure("month", "Seuil atteint fin", months[i].end, DATE),
                        *(
                            Figure(f"m{p.key}", p.label, values[i - 11 + k])
                            for k, p in enumerate(months[i - 11 : i + 1])
                        ),
                    ),
                    explanation=(
                        f"Vendeur non assujetti à la TVA dont le chiffre d'affaires {span.label} "
                        f"atteint {format_francs(rolling)}, au-dessus du seuil "
                        f"d'assujettissement de {format_francs(threshold)} (seuil à confirmer)."
                    ),
                    amount_at_stake=rolling,
                )
            )
            break  # one flag per seller: the first month the threshold is reached
    return flags


@dataclass(frozen=True)
class _Trend:
    """One seller's sales per category before and during the recent window."""

    since: dt.date  # start of its history: the window's, or the month of its first sale
    history: dict[int, int]  # category → net sales in the history window
    recent: dict[int, int]  # category → net sales in the recent window
    history_lines: int


def drop_flags(ctx: FlagContext) -> list[Flag]:
    """Sellers whose recent sales fall below a fraction of what their history and market predict."""
    s = ctx.settings
    # The recent window is the last months before the examination day (rolling, so a
    # running month is neither missing nor half-counted), and never past the window.
    until = min(ctx.as_of, ctx.months[-1].end + dt.timedelta(days=1))  # exclusive
    recent_start = shift_months(until, -s.drop_recent_months)
    history_start = shift_months(recent_start, -s.drop_history_months)
    trends = _trends(ctx, history_start, recent_start, until)
    sellers = ctx.sellers(trends)
    trends = {k: t for k, t in trends.items() if sellers[k].status == m.CooperativeStatus.ACTIVE}
    market = _market_ratios(trends, sellers, recent_start, until)
    recent_months = Decimal(s.drop_recent_months)
    recent_span = Period(recent_start, until - dt.timedelta(days=1), RANGE)
    flags = []
    for seller_id, trend in trends.items():
        history_months = months_between(trend.since, recent_start)
        if history_months < s.drop_min_history_months:
            continue
        # A seller with a few sales a month shows chance gaps of three months: too few
        # sales to tell a drop from luck.
        if trend.history_lines < s.drop_min_monthly_lines * history_months:
            continue
        history_avg = round_franc(Decimal(sum(trend.history.values())) / history_months)
        recent_avg = round_franc(Decimal(sum(trend.recent.values())) / recent_months)
        if history_avg < s.drop_min_monthly_average or history_avg == 0:
            continue
        # What the seller would have sold had it followed the other sellers of the same
        # products (a mévente or a season lowers everyone's sales, not one seller's).
        expected = sum(
            Decimal(amount) / history_months * market(seller_id, category)
            for category, amount in trend.history.items()
        )
        if recent_avg >= s.drop_ratio * expected:
            continue
        market_ratio = (expected / history_avg).quantize(_RATIO_PLACES)
        ratio = (Decimal(recent_avg) / history_avg).quantize(_RATIO_PLACES)
        history_span = Period(trend.since, recent_start - dt.timedelta(days=1), RANGE)
        flags.append(
            ctx.flag(
                SALES_DROP,
                seller_id,
                recent_span,
                figures=(
                    Figure("recent_average", "Moyenne mensuelle récente", recent_avg),
                    Figure("history_average", "Moyenne mensuelle antérieure", history_avg),
                    Figure("ratio", "Rapport récent / antérieur", ratio, RATE),
                    Figure("market_ratio", "Rapport des autres vendeurs", market_ratio, RATE),
                    Figure("expected_average", "Moyenne attendue", round_franc(expected)),
                    Figure("threshold_ratio", "Seuil", s.drop_ratio, RATE),
                    Figure("history_since", "Historique depuis le", trend.since, DATE),
                ),
                explanation=(
                    f"Ventes déclarées {recent_span.label} : {format_francs(recent_avg)} par mois "
                    f"en moyenne, soit {format_rate(ratio.quantize(Decimal('0.001')))} de la "
                    f"moyenne {history_span.label} ({format_francs(history_avg)} par mois), alors "
                    f"que les autres vendeurs des mêmes produits ont gardé "
                    f"{format_rate(market_ratio.quantize(Decimal('0.001')))} de leurs ventes : "
                    f"moins de {format_rate(s.drop_ratio)} de l'attendu "
                    f"({format_francs(round_franc(expected))} par mois)."
                ),
                amount_at_stake=history_avg - recent_avg,
            )
        )
    return flags


def _trends(ctx: FlagContext, history_start: dt.date, recent_start: dt.date, until: dt.date):
    """Per seller: net sales per category before and during the recent window (one GROUP BY)."""
    recent_utc = local_midnight_utc(recent_start)
    rows = (
        select(
            m.Order.seller_id.label("seller_id"),
            m.Product.category_id.label("category_id"),
            case((m.Order.placed_at < recent_utc, 0), else_=1).label("recent"),
            m.Order.placed_at,
            m.OrderLine.net,
        )
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .join(m.Product, m.Product.id == m.OrderLine.product_id)
        .where(
            m.Order.placed_at >= local_midnight_utc(history_start),
            m.Order.placed_at < local_midnight_utc(until),
            is_sale(),
            *scope_filters(m.Order, ctx.scope, ctx.province_id),
        )
        .subquery()
    )
    keys = (rows.c.seller_id, rows.c.category_id, rows.c.recent)
    stmt = select(*keys, func.count(), func.sum(rows.c.net), func.min(rows.c.placed_at)).group_by(
        *keys
    )
    found: dict[int, dict] = defaultdict(
        lambda: {"first": None, "history": {}, "recent": {}, "lines": 0}
    )
    for seller_id, category_id, recent, count, net, first in ctx.session.execute(stmt):
        entry = found[seller_id]
        entry["recent" if recent else "history"][category_id] = int(net or 0)
        if not recent:
            entry["lines"] += count
            first = _aware(first)
            entry["first"] = first if entry["first"] is None else min(entry["first"], first)
    trends = {}
    for seller_id, entry in found.items():
        if entry["first"] is None:
            continue  # no sale before the recent window: nothing to compare with
        # A seller who joined during the history window is compared with its months
        # since then (from the first day of the month of its first sale).
        since = max(history_start, local_date(entry["first"]).replace(day=1))
        categories = set(entry["history"]) | set(entry["recent"])
        trends[seller_id] = _Trend(
            since,
            {c: entry["history"].get(c, 0) for c in categories},
            {c: entry["recent"].get(c, 0) for c in categories},
            entry["lines"],
        )
    return trends


def _aware(moment) -> dt.datetime:
    """A MIN() over a UTC column comes back naive (and as text on SQLite): make it aware UTC."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _market_ratios(trends: dict[int, _Trend], sellers: dict, recent_start: dt.date, until: dt.date):
    """A function (seller, category) → how the *other* sellers' sales moved, capped at 1.

    The market is the category in the seller's 2025 province, else the category
    nationally (leaving the seller out, so a lone seller is not its own excuse); with
    no other seller at all, 1 (no adjustment). Sellers are compared by monthly rates,
    since their histories differ in length. The cap means a growing market never makes
    a flag easier: the flag stays a drop against the seller's own history.
    """
    recent_months = months_between(recent_start, until)
    rates: dict[int, dict[int, tuple[Decimal, Decimal]]] = {}
    local: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    national: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for seller_id, trend in trends.items():
        history_months = months_between(trend.since, recent_start)
        if history_months <= 0:
            continue
        province = sellers[seller_id].province_2025_id
        rates[seller_id] = {}
        for category, amount in trend.history.items():
            rate = (
                Decimal(amount) / history_months,
                Decimal(trend.recent[category]) / recent_months,
            )
            rates[seller_id][category] = rate
            for totals in (local[(category, province)], national[category]):
                totals[0] += rate[0]
                totals[1] += rate[1]

    def ratio(seller_id: int, category: int) -> Decimal:
        own = rates.get(seller_id, {}).get(category, (Decimal(0), Decimal(0)))
        province = sellers[seller_id].province_2025_id
        for totals in (local[(category, province)], national[category]):
            others_history = totals[0] - own[0]
            if others_history > 0:
                return min(_ONE, (totals[1] - own[1]) / others_history)
        return _ONE

    return ratio
