"""Mévente figures: the « taux d'écoulement » from the mévente service, stock from the listing aggregates.

The rate and its terms (stock at the start, offered, sold) come from
console.services.mevente.sell_through, the one definition the report and the weekly indicators
share: its terms stored per listing × month by refresh_facts (or its select over the records,
for the records source); stock ageing, unsold offers and the price comparison read the listing
aggregates.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope
from console.services.facts import value_at_price
from console.services.mevente.sell_through import (
    SupplyAndSales,
    sell_through_by,
    stored_sell_through_by,
)
from console.services.periods import add_months, matured_by, month_end

from ..filters import Filters
from .common import dates, frame, ints, names, narrowed
from .sources import AGGREGATES, FactSource

AGE_BUCKETS = (
    (30, "0 à 30 jours"),
    (60, "31 à 60 jours"),
    (90, "61 à 90 jours"),
    (180, "91 à 180 jours"),
    (None, "plus de 180 jours"),
)
UNSOLD_LIMIT = 50
# A chain is "falling" when its fitted sell-through lost at least this many points.
FALL_POINTS = 5.0

# The data domains these figures read (dashboards.cache: a write to one refreshes them).
READS = ("ventes", "referentiel", "mevente")


def _share(sold, offered):
    """Part of the offered value sold, as a fraction (NaN when nothing was offered)."""
    sold = np.asarray(sold, dtype=float)
    offered = np.asarray(offered, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(offered > 0, sold / offered, np.nan)


RATE_COLUMNS = ["opening", "offered", "sold", "listings", "unsold", "rate"]


def _sell_through(
    session: Session,
    scope: ProvinceScope,
    filters: Filters,
    facts: FactSource,
    months: tuple[dt.date, dt.date],
    group_by: tuple[str, ...] = (),
    per_month: bool = False,
) -> dict:
    """The service's figures for the whole months [first, last] under the dashboard's filters.

    From the stored terms (SellThroughMonthFact) or, for the records source, the
    service's select over the records, one query per month when ``per_month``.
    """
    narrowing = dict(
        group_by=group_by,
        province_id=filters.province_id,
        map_version=filters.map_version,
        value_chain_id=filters.value_chain_id,
        cooperative_id=filters.cooperative_id,
    )
    first, last = months
    if facts.sell_through_month is not None:
        return stored_sell_through_by(session, scope, first, last, per_month=per_month, **narrowing)
    if not per_month:
        return sell_through_by(session, scope, first, month_end(last), **narrowing)
    found = {}
    month = first
    while month <= last:
        for key, figures in sell_through_by(
            session, scope, month, month_end(month), **narrowing
        ).items():
            found[(month, *key)] = figures
        month = add_months(month, 1)
    return found


def _rate_row(figures: SupplyAndSales) -> list:
    return [
        figures.opening,
        figures.offered,
        figures.sold,
        figures.listings,
        figures.unsold,
        figures.rate,
    ]


def _grouped(session, scope, filters, facts, group: str, column: str) -> pd.DataFrame:
    found = _sell_through(session, scope, filters, facts, (filters.start, filters.end), (group,))
    return pd.DataFrame(
        [[key, *_rate_row(figures)] for (key,), figures in found.items()],
        columns=[column, *RATE_COLUMNS],
    )


def _sorted_by_rate(result: pd.DataFrame, label: str) -> pd.DataFrame:
    order = result["rate"].map(lambda r: 2 if r is None else r)
    return (
        result.assign(_order=order)
        .sort_values(["_order", label], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def offered_vs_sold(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Per month: stock at its start, value offered and sold during it, offers, rate."""
    found = _sell_through(session, scope, filters, facts, (filters.start, filters.end), (), True)
    rows = [[month, *_rate_row(found.get((month,), SupplyAndSales()))] for month in filters.months]
    return pd.DataFrame(rows, columns=["month", *RATE_COLUMNS])


def by_value_chain(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    result = _grouped(session, scope, filters, facts, "value_chain", "value_chain_id")
    chains = names(session).value_chains
    result["value_chain"] = result["value_chain_id"].map(lambda i: chains.get(int(i), "—"))
    return _sorted_by_rate(result, "value_chain")


def by_province(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    result = _grouped(
        session, scope, filters, facts, f"province_{filters.map_version}", "province_id"
    )
    result["province"] = result["province_id"].map(names(session).province)
    return _sorted_by_rate(result, "province")


def _open_at(LF, ref: dt.date):
    """Listings still on offer at ``ref``: listed, not closed, not sold out by then."""
    return and_(
        LF.listed_on <= ref,
        or_(LF.closed_on.is_(None), LF.closed_on > ref),
        or_(LF.quantity_sold < LF.quantity_offered, LF.last_sale_on > ref),
    )


def stock_ageing(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Value left on offer at the period's end (or today), by days on market."""
    LF = facts.listing
    ref = filters.reference_day
    whens = [
        (LF.listed_on > ref - dt.timedelta(days=days), i)
        for i, (days, _) in enumerate(AGE_BUCKETS)
        if days is not None
    ]
    bucket = case(*whens, else_=literal(len(AGE_BUCKETS) - 1))
    remaining = value_at_price(LF.quantity_offered - LF.quantity_sold, LF.unit_price)
    stmt = narrowed(
        select(bucket, func.count(), func.sum(remaining)).select_from(LF).where(_open_at(LF, ref)),
        LF,
        scope,
        filters,
    ).group_by(bucket)
    found = ints(
        frame(session, stmt, ["bucket", "listings", "value"]), "bucket", "listings", "value"
    )
    result = pd.DataFrame(
        {"bucket": range(len(AGE_BUCKETS)), "age": [label for _, label in AGE_BUCKETS]}
    )
    result = result.merge(found, on="bucket", how="left").fillna({"listings": 0, "value": 0})
    return ints(result, "listings", "value")


def unsold_listings(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Open listings with no sale ``filters.days`` days or more after listing, largest first."""
    LF = facts.listing
    ref = filters.reference_day
    cutoff = ref - dt.timedelta(days=filters.days)
    unsold = [
        _open_at(LF, ref),
        LF.listed_on <= cutoff,
        or_(LF.sale_count == 0, LF.first_sale_on > ref),
    ]
    value = value_at_price(LF.quantity_offered, LF.unit_price)
    count = session.scalar(
        narrowed(select(func.count()).select_from(LF).where(*unsold), LF, scope, filters)
    )
    stmt = (
        narrowed(
            select(
                LF.listing_id,
                LF.seller_id,
                LF.category_id,
                LF.listed_on,
                LF.quantity_offered,
                LF.unit_price,
                value,
            )
            .select_from(LF)
            .where(*unsold),
            LF,
            scope,
            filters,
        )
        .order_by(value.desc(), LF.listing_id)
        .limit(UNSOLD_LIMIT)
    )
    result = frame(
        session,
        stmt,
        ["listing_id", "seller_id", "category_id", "listed_on", "quantity", "unit_price", "value"],
    )
    result = ints(result, "unit_price", "value")
    result["listed_on"] = dates(result["listed_on"])
    result["days"] = [(ref - day).days for day in result["listed_on"]]
    labels = names(session, result["seller_id"])
    result["seller"] = result["seller_id"].map(lambda i: labels.sellers.get(int(i), "—"))
    result["category"] = result["category_id"].map(lambda i: labels.categories.get(int(i), "—"))
    result["total"] = int(count or 0)
    return result


# Listed price relative to the category's average over the period: bucket bounds and labels.
PRICE_BUCKETS = (
    (0.8, "moins de 80 %"),
    (0.95, "80 à 95 %"),
    (1.05, "95 à 105 %"),
    (1.2, "105 à 120 %"),
    (None, "plus de 120 %"),
)


def price_vs_sell_through(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Sell-through per value chain and price band (listed price / the category's average),
    of the offers published in the period that have had the « Invendue après » delay since."""
    LF = facts.listing
    last_listed = min(filters.last_day, matured_by(filters.reference_day, filters.days))
    in_period = [LF.listed_on >= filters.start, LF.listed_on <= last_listed]
    offered = value_at_price(LF.quantity_offered, LF.unit_price)
    sold = value_at_price(LF.quantity_sold, LF.unit_price)
    average = (
        narrowed(
            select(
                LF.category_id.label("category_id"),
                (func.sum(offered) * 1.0 / func.sum(LF.quantity_offered)).label("price"),
            )
            .select_from(LF)
            .where(*in_period, LF.quantity_offered > 0),
            LF,
            scope,
            filters,
        )
        .group_by(LF.category_id)
        .subquery("category_price")
    )
    ratio = LF.unit_price / average.c.price
    band = case(
        *[(ratio < bound, i) for i, (bound, _) in enumerate(PRICE_BUCKETS) if bound is not None],
        else_=literal(len(PRICE_BUCKETS) - 1),
    )
    stmt = narrowed(
        select(m.Category.value_chain_id, band, func.sum(offered), func.sum(sold), func.count())
        .select_from(LF)
        .join(average, average.c.category_id == LF.category_id)
        .where(*in_period, average.c.price > 0),
        LF,
        scope,
        filters,
    ).group_by(m.Category.value_chain_id, band)
    result = frame(session, stmt, ["value_chain_id", "band", "offered", "sold", "listings"])
    result = ints(result, "offered", "sold", "listings")
    result["rate"] = _share(result["sold"], result["offered"])
    chains = names(session).value_chains
    result["value_chain"] = result["value_chain_id"].map(lambda i: chains.get(int(i), "—"))
    result["price_band"] = result["band"].map(lambda i: PRICE_BUCKETS[int(i)][1])
    return result.sort_values(["value_chain", "band"]).reset_index(drop=True)


def falling_chains(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Per value chain: the least-squares trend of monthly sell-through, in points a month,
    over the complete months (``filters.trend_months``: the month under way only on request)."""
    trend_months = set(filters.trend_months)
    monthly = pd.DataFrame(
        [
            [chain_id, month, figures.rate]
            for (month, chain_id), figures in _sell_through(
                session, scope, filters, facts, (filters.start, filters.end), ("value_chain",), True
            ).items()
            if month in trend_months
        ],
        columns=["value_chain_id", "month", "rate"],
    )
    chains = names(session).value_chains
    rows = []
    for chain_id, part in monthly.groupby("value_chain_id"):
        part = part[part["rate"].notna()].sort_values("month")
        if len(part) < 3:
            continue
        x = np.array([(d.year * 12 + d.month) for d in part["month"]], dtype=float)
        y = np.array([float(r) for r in part["rate"]]) * 100
        slope = float(np.polyfit(x - x[0], y, 1)[0])
        change = slope * (x[-1] - x[0])
        rows.append(
            {
                "value_chain_id": int(chain_id),
                "value_chain": chains.get(int(chain_id), "—"),
                "slope": slope,
                "change": change,
                "first_rate": float(y[0]),
                "last_rate": float(y[-1]),
                "months": len(part),
                "falling": change <= -FALL_POINTS,
            }
        )
    result = pd.DataFrame(
        rows,
        columns=[
            "value_chain_id",
            "value_chain",
            "slope",
            "change",
            "first_rate",
            "last_rate",
            "months",
            "falling",
        ],
    )
    return result.sort_values(["change", "value_chain"], kind="stable").reset_index(drop=True)


def totals(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """One row: the rate and its terms over the period; unsold listings after N days."""
    LF = facts.listing
    figures = _sell_through(session, scope, filters, facts, (filters.start, filters.end)).get(
        (), SupplyAndSales()
    )
    result = pd.DataFrame([_rate_row(figures)], columns=RATE_COLUMNS)
    ref = filters.reference_day
    cutoff = ref - dt.timedelta(days=filters.days)
    unsold = narrowed(
        select(func.count())
        .select_from(LF)
        .where(
            _open_at(LF, ref),
            LF.listed_on <= cutoff,
            or_(LF.sale_count == 0, LF.first_sale_on > ref),
        ),
        LF,
        scope,
        filters,
    )
    result["unsold_after"] = int(session.scalar(unsold) or 0)
    return result


def active_alerts(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """The open and acknowledged mévente alerts of the chosen map, province and value chain."""
    from console.services.mevente.alerts import alerts_frame

    alerts = alerts_frame(session, scope, map_version=filters.map_version)
    if filters.province_id is not None:
        alerts = alerts[alerts["province_id"] == filters.province_id]
    if filters.value_chain_id is not None:
        alerts = alerts[alerts["value_chain_id"] == filters.value_chain_id]
    return alerts.reset_index(drop=True)
