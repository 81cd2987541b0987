"""Weekly mévente indicators per value chain × province, on both maps.

For each week: what was offered, what sold, the unsold stock left on open listings at
the end of the week and its age, and the sell-through = sold / (stock at the start of
the week + offered during it). Everything is valued at listing prices, in francs, so
value chains that mix units (palm fruit in kg, oil in litres, soap in pieces) still add
up; quantities are kept only where a cell has one unit.

The database does the heavy grouping (listings, and order lines summed per listing and
week); pandas then replays each listing's stock week by week with integer
milli-quantities, so no money ever goes through a float.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from console import models as m
from console.models.mevente import WeeklyIndicator
from console.models.types import utcnow
from console.security.scoping import ProvinceScope, apply_scope
from console.services.mevente.sell_through import sell_through_rate
from console.services.mevente.weeks import (
    monday_of,
    week_end_seconds,
    week_index,
    week_number,
    week_start_utc,
)
from console.services.money import round_franc
from console.services.periods import last_complete_week
from console.services.sales import is_sale

MILLI = 1000  # quantities are handled as integer thousandths (Quantity has 3 decimals)
RATE_STEP = Decimal("0.0001")
AGE_STEP = Decimal("0.1")
MAPS = ("2015", "2025")
INDICATOR_COLUMNS = [
    "week_start",
    "value_chain_id",
    "province_id",
    "map_version",
    "offered_value",
    "sold_value",
    "opening_value",
    "unsold_value",
    "sell_through",
    "unsold_age_days",
    "unit_code",
    "offered_quantity",
    "sold_quantity",
    "unsold_quantity",
]


def _milli(quantity) -> int:
    return int(Decimal(quantity) * MILLI)


def _listings(session: Session, cutoff: dt.datetime) -> pd.DataFrame:
    """Every listing put on sale before the cutoff, with its cell and week numbers."""
    stmt = (
        select(
            m.Listing.id,
            m.Listing.quantity_offered,
            m.Listing.unit_price,
            week_index(m.Listing.listed_at),
            week_index(m.Listing.closed_at),
            m.Listing.listed_at,
            m.Category.value_chain_id,
            m.Unit.code,
            m.Cooperative.province_id,
            m.Cooperative.province_2025_id,
        )
        .join(m.Product, m.Product.id == m.Listing.product_id)
        .join(m.Category, m.Category.id == m.Product.category_id)
        .join(m.Unit, m.Unit.id == m.Product.unit_id)
        .join(m.Cooperative, m.Cooperative.id == m.Listing.cooperative_id)
        .where(m.Listing.listed_at < cutoff)
    )
    rows = session.execute(stmt).all()
    return pd.DataFrame(
        {
            "listing_id": np.array([r[0] for r in rows], dtype=np.int64),
            "qty": np.array([_milli(r[1]) for r in rows], dtype=np.int64),
            "price": np.array([int(r[2]) for r in rows], dtype=np.int64),
            "lw": np.array([int(r[3]) for r in rows], dtype=np.int64),
            "cw": np.array([np.nan if r[4] is None else float(r[4]) for r in rows], dtype=float),
            "listed_s": np.array([r[5].timestamp() for r in rows], dtype=float),
            "chain": np.array([r[6] for r in rows], dtype=np.int64),
            "unit": np.array([r[7] for r in rows], dtype=object),
            "p2015": np.array([r[8] for r in rows], dtype=np.int64),
            "p2025": np.array([r[9] for r in rows], dtype=np.int64),
        }
    )


def _sold_lines(cutoff: dt.datetime, *columns):
    """A select over order lines of orders not cancelled, placed before the cutoff."""
    return (
        select(*columns)
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(is_sale(), m.Order.placed_at < cutoff)
    )


def _linked_sales(session: Session, cutoff: dt.datetime) -> pd.DataFrame:
    """Quantities sold per listing and week (lines sold from a listing)."""
    week = week_index(m.Order.placed_at)
    stmt = (
        _sold_lines(cutoff, m.OrderLine.listing_id, week, func.sum(m.OrderLine.quantity))
        .where(m.OrderLine.listing_id.is_not(None))
        .group_by(m.OrderLine.listing_id, week)
    )
    rows = session.execute(stmt).all()
    return pd.DataFrame(
        {
            "listing_id": np.array([r[0] for r in rows], dtype=np.int64),
            "w": np.array([int(r[1]) for r in rows], dtype=np.int64),
            "sold": np.array([_milli(r[2]) for r in rows], dtype=np.int64),
        }
    )


def _direct_sales(session: Session, cutoff: dt.datetime) -> pd.DataFrame:
    """Quantities sold outside any listing, per cell, unit, week and price."""
    week = week_index(m.Order.placed_at)
    keys = (
        m.Category.value_chain_id,
        m.Cooperative.province_id,
        m.Cooperative.province_2025_id,
        m.Unit.code,
        week,
        m.OrderLine.unit_price,
    )
    stmt = (
        _sold_lines(cutoff, *keys, func.sum(m.OrderLine.quantity))
        .join(m.Product, m.Product.id == m.OrderLine.product_id)
        .join(m.Category, m.Category.id == m.Product.category_id)
        .join(m.Unit, m.Unit.id == m.Product.unit_id)
        .join(m.Cooperative, m.Cooperative.id == m.Order.seller_id)
        .where(m.OrderLine.listing_id.is_(None))
        .group_by(*keys)
    )
    rows = session.execute(stmt).all()
    qty = np.array([_milli(r[6]) for r in rows], dtype=np.int64)
    price = np.array([int(r[5]) for r in rows], dtype=np.int64)
    return pd.DataFrame(
        {
            "chain": np.array([r[0] for r in rows], dtype=np.int64),
            "p2015": np.array([r[1] for r in rows], dtype=np.int64),
            "p2025": np.array([r[2] for r in rows], dtype=np.int64),
            "unit": np.array([r[3] for r in rows], dtype=object),
            "week": np.array([int(r[4]) for r in rows], dtype=np.int64),
            "sold_q": qty,
            "sold_v": qty * price,
        }
    )


def _stock_deltas(listings: pd.DataFrame, sales: pd.DataFrame) -> pd.DataFrame:
    """Changes of each listing's remaining quantity: +offered, −sold, −withdrawn at closing."""
    attrs = listings.set_index("listing_id")
    opened = pd.DataFrame(
        {"listing_id": listings["listing_id"], "week": listings["lw"], "dq": listings["qty"]}
    )
    s = sales.merge(listings[["listing_id", "qty", "lw", "cw"]], on="listing_id", how="inner")
    # A sale recorded before its listing's week counts from the listing's week.
    s["week"] = np.maximum(s["w"], s["lw"])
    s = s.groupby(["listing_id", "week"], as_index=False).agg(
        sold=("sold", "sum"), qty=("qty", "first"), cw=("cw", "first")
    )
    s = s.sort_values(["listing_id", "week"])
    cumulative = s.groupby("listing_id")["sold"].cumsum()
    after = np.maximum(s["qty"] - cumulative, 0)
    before = np.maximum(s["qty"] - cumulative + s["sold"], 0)
    s["dq"] = after - before  # oversold listings never go below zero
    s = s[s["cw"].isna() | (s["week"] < s["cw"])]
    sold_out = s.groupby("listing_id")["dq"].sum()
    closing = listings[listings["cw"].notna()].copy()
    closing["week"] = np.maximum(closing["cw"].astype(np.int64), closing["lw"])
    remaining = closing["qty"] + closing["listing_id"].map(sold_out).fillna(0).astype(np.int64)
    closed = pd.DataFrame(
        {"listing_id": closing["listing_id"], "week": closing["week"], "dq": -remaining}
    )
    deltas = pd.concat([opened, s[["listing_id", "week", "dq"]], closed], ignore_index=True)
    deltas = deltas.join(
        attrs[["price", "listed_s", "chain", "unit", "p2015", "p2025"]], on="listing_id"
    )
    deltas["dv"] = deltas["dq"].astype(np.int64) * deltas["price"]
    # Value-weighted listing time: mean age = end of week − Σ(value × listed) / Σ value.
    deltas["dage"] = deltas["dv"].astype(float) * deltas["listed_s"]
    return deltas


FLOWS = ["off_q", "off_v", "sold_q", "sold_v"]
STOCKS = ["dq", "dv", "dage"]


def _cell_frame(
    listings, sales, direct, deltas, province: str, first: int, last: int
) -> pd.DataFrame:
    """Indicator rows for one map (province column ``p2015`` or ``p2025``)."""
    keys = ["chain", province, "unit"]
    offered = listings[[*keys]].assign(
        week=listings["lw"], off_q=listings["qty"], off_v=listings["qty"] * listings["price"]
    )
    linked = sales.merge(
        listings[["listing_id", "price", "chain", "unit", "p2015", "p2025"]], on="listing_id"
    )
    linked = linked[[*keys]].assign(
        week=linked["w"], sold_q=linked["sold"], sold_v=linked["sold"] * linked["price"]
    )
    events = pd.concat(
        [
            offered,
            linked,
            direct[[*keys, "week", "sold_q", "sold_v"]],
            deltas[[*keys, "week", *STOCKS]],
        ],
        ignore_index=True,
    )
    events = events[events["week"] <= last]
    integer_columns = [c for c in [*FLOWS, "dq", "dv"]]
    events[integer_columns] = events[integer_columns].fillna(0).astype(np.int64)
    events["dage"] = events["dage"].fillna(0.0)
    summed = events.groupby([*keys, "week"])[[*FLOWS, *STOCKS]].sum()
    weeks = pd.MultiIndex.from_product(
        [[*FLOWS, *STOCKS], range(first, last + 1)], names=[None, "week"]
    )
    wide = summed.unstack("week", fill_value=0).reindex(columns=weeks, fill_value=0)
    # Stock is the running sum of its changes: the remaining quantity at each week's end.
    wide = pd.concat(
        {c: wide[c].cumsum(axis=1) if c in STOCKS else wide[c] for c in [*FLOWS, *STOCKS]}, axis=1
    )
    long = wide.stack(level=1, future_stack=True).reset_index()
    return _finish_cells(long, province)


def _finish_cells(long: pd.DataFrame, province: str) -> pd.DataFrame:
    """Unit rows → cell rows: values summed, quantities kept where the cell has one unit."""
    long = long.rename(columns={province: "province_id", "chain": "value_chain_id"})
    active = (long[["off_q", "sold_q", "dq"]] != 0).any(axis=1)
    units = long[active].groupby(["value_chain_id", "province_id"])["unit"].nunique()
    cells = long.groupby(["value_chain_id", "province_id", "week"], as_index=False).agg(
        off_v=("off_v", "sum"),
        sold_v=("sold_v", "sum"),
        dv=("dv", "sum"),
        dage=("dage", "sum"),
        off_q=("off_q", "sum"),
        sold_q=("sold_q", "sum"),
        dq=("dq", "sum"),
        unit=("unit", "first"),
    )
    cells = cells.sort_values(["value_chain_id", "province_id", "week"])
    # Drop each cell's weeks before its first activity.
    activity = (cells[["off_v", "sold_v", "dv"]] != 0).any(axis=1).astype(int)
    cells = cells[
        activity.groupby([cells["value_chain_id"], cells["province_id"]]).cumsum() > 0
    ].copy()
    cells["opening_v"] = cells.groupby(["value_chain_id", "province_id"])["dv"].shift(1).fillna(0)
    single = cells.set_index(["value_chain_id", "province_id"]).index.map(
        lambda k: units.get(k, 0) == 1
    )
    cells["single_unit"] = np.asarray(single, dtype=bool)
    return cells


def _to_francs(milli_value) -> int:
    return round_franc(Decimal(int(milli_value)) / MILLI)


def _to_quantity(milli) -> Decimal:
    return Decimal(int(milli)) / MILLI


def compute_weekly_indicators(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Indicator rows (INDICATOR_COLUMNS) for every cell and week up to the last full week."""
    last_monday = last_complete_week(as_of)
    cutoff = week_start_utc(last_monday + dt.timedelta(days=7))
    listings = _listings(session, cutoff)
    if listings.empty:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    sales = _linked_sales(session, cutoff)
    direct = _direct_sales(session, cutoff)
    deltas = _stock_deltas(listings, sales)
    first, last = int(listings["lw"].min()), week_number(last_monday)
    # A sale recorded before its listing (bad data) still counts in its own week.
    for frame, column in ((sales, "w"), (direct, "week")):
        if not frame.empty:
            first = min(first, int(frame[column].min()))
    map_of = dict(session.execute(select(m.Province.id, m.Province.map_version)).all())
    rows = []
    for province in ("p2015", "p2025"):
        cells = _cell_frame(listings, sales, direct, deltas, province, first, last)
        for r in cells.itertuples(index=False):
            rows.append(_indicator_row(r, map_of))
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def _indicator_row(r, map_of: dict) -> dict:
    offered, sold = _to_francs(r.off_v), _to_francs(r.sold_v)
    opening, unsold = _to_francs(r.opening_v), _to_francs(r.dv)
    rate = sell_through_rate(sold, opening, offered)
    sell_through = None if rate is None else rate.quantize(RATE_STEP, ROUND_HALF_UP)
    age = None
    if r.dv > 0:
        seconds = week_end_seconds(r.week) - r.dage / r.dv
        age = Decimal(str(max(seconds, 0) / 86400)).quantize(AGE_STEP, ROUND_HALF_UP)
    return {
        "week_start": monday_of(r.week),
        "value_chain_id": int(r.value_chain_id),
        "province_id": int(r.province_id),
        "map_version": map_of.get(int(r.province_id), ""),
        "offered_value": offered,
        "sold_value": sold,
        "opening_value": opening,
        "unsold_value": unsold,
        "sell_through": sell_through,
        "unsold_age_days": age,
        "unit_code": r.unit if r.single_unit else None,
        "offered_quantity": _to_quantity(r.off_q) if r.single_unit else None,
        "sold_quantity": _to_quantity(r.sold_q) if r.single_unit else None,
        "unsold_quantity": _to_quantity(r.dq) if r.single_unit else None,
    }


def refresh_weekly_indicators(session: Session, as_of: dt.date) -> int:
    """Recompute and replace every stored indicator row; return how many. Does not commit.

    Derived figures are written with Core inserts, outside the audit trail: they are
    recomputed from the audited sales every week.
    """
    frame = compute_weekly_indicators(session, as_of)
    session.execute(delete(WeeklyIndicator))
    if not frame.empty:
        now = utcnow()
        records = [dict(row, computed_at=now) for row in frame.to_dict("records")]
        for start in range(0, len(records), 5000):
            session.execute(insert(WeeklyIndicator), records[start : start + 5000])
    return len(frame)


def weekly_indicators_frame(
    session: Session,
    scope: ProvinceScope,
    *,
    map_version: str | None = "2025",
    value_chain_id: int | None = None,
    province_id: int | None = None,
    since: dt.date | None = None,
) -> pd.DataFrame:
    """Stored indicators the scope may see, with value chain and province names."""
    w = WeeklyIndicator
    stmt = (
        select(
            w.week_start,
            w.value_chain_id,
            m.ValueChain.name.label("value_chain"),
            w.province_id,
            m.Province.name.label("province"),
            w.map_version,
            w.offered_value,
            w.sold_value,
            w.opening_value,
            w.unsold_value,
            w.sell_through,
            w.unsold_age_days,
            w.unit_code,
            w.offered_quantity,
            w.sold_quantity,
            w.unsold_quantity,
        )
        .join(m.ValueChain, m.ValueChain.id == w.value_chain_id)
        .join(m.Province, m.Province.id == w.province_id)
        .order_by(w.value_chain_id, w.province_id, w.week_start)
    )
    if map_version:
        stmt = stmt.where(w.map_version == map_version)
    if value_chain_id is not None:
        stmt = stmt.where(w.value_chain_id == value_chain_id)
    if province_id is not None:
        stmt = stmt.where(w.province_id == province_id)
    if since is not None:
        stmt = stmt.where(w.week_start >= since)
    stmt = apply_scope(stmt, w, scope)
    result = session.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def forecasts_frame(
    session: Session,
    scope: ProvinceScope,
    *,
    value_chain_id: int | None = None,
    province_id: int | None = None,
) -> pd.DataFrame:
    """Stored forecasts the scope may see, with their components (level, trend, seasonal part)."""
    from console.models.mevente import MeventeForecast

    f = MeventeForecast
    stmt = (
        select(
            f.value_chain_id,
            m.ValueChain.name.label("value_chain"),
            f.province_id,
            m.Province.name.label("province"),
            m.Province.map_version,
            f.metric,
            f.origin_week,
            f.step,
            f.target_week,
            f.value,
            f.method,
            f.level,
            f.trend,
            f.seasonal,
        )
        .join(m.ValueChain, m.ValueChain.id == f.value_chain_id)
        .join(m.Province, m.Province.id == f.province_id)
        .order_by(f.value_chain_id, f.province_id, f.metric, f.step)
    )
    if value_chain_id is not None:
        stmt = stmt.where(f.value_chain_id == value_chain_id)
    if province_id is not None:
        stmt = stmt.where(f.province_id == province_id)
    result = session.execute(apply_scope(stmt, f, scope))
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    if not frame.empty:
        frame["metric"] = frame["metric"].map(lambda metric: metric.value)
    return frame
