"""Orders and their lines over the two years ending at `until`, fully vectorised.

The window is cut into periods (calendar months, the last one split where "the last
three months" begin). In each period every product has a weight: its seller's size,
the category's popularity and harvest season, growth over time, and the share of
the period the product was on sale. Orders are spread over periods by total weight,
then each order draws its first product; its other lines come from the same seller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .buyers import Buyers
from .catalogue import RECENT_DAYS, Catalogue, inflation, round_price
from .context import DAY_S, LOCAL_OFFSET_S, Reference, Window
from .sellers import Sellers

LINES_PER_ORDER = np.array([1, 2, 3, 4])
LINES_PER_ORDER_P = np.array([0.46, 0.30, 0.15, 0.09])
KINDS = ["consumer", "business", "export", "raw"]
KIND_SHARE = np.array([0.77, 0.13, 0.05, 0.05])  # raw: cooperatives buying raw materials
KIND_QUANTITY = np.array([1.0, 4.0, 10.0, 8.0])
EXPORTABLE = {
    "cafe-vert",
    "miel",
    "huile-palme",
    "maroquinerie",
    "haricot-sec",
    "riz-blanc",
    "poisson-frais",
    "farine-manioc",
}
GROWTH_PER_YEAR = 0.6
PIONEER_BOOST = 1.8  # pioneers sell more than the others (the pilot's question)
THRESHOLD_BOOST = 3.0
SHARP_DROP = 0.12
CANCELLED_SHARE = 0.03
UNPAID_SHARE = 0.01  # delivered orders never paid: a leakage flag
DIRECT_SALE_SHARE = 0.04  # lines sold outside any listing
# Bujumbura opening hours 07:00–20:00, busier mid-morning and late afternoon.
HOUR_WEIGHTS = np.array([2, 4, 6, 7, 7, 5, 4, 4, 5, 6, 6, 4, 2, 1], dtype=float)
POPULARITY = {
    "haricot-sec": 3.0,
    "riz-blanc": 2.5,
    "farine-mais": 2.0,
    "savon": 2.0,
    "lait-frais": 2.0,
    "huile-palme": 1.8,
    "tomate-fraiche": 1.6,
    "farine-manioc": 1.5,
    "cafe-cerise": 1.5,
    "mais-grain": 1.3,
    "riz-paddy": 1.2,
    "poisson-frais": 1.2,
    "yaourt": 1.0,
    "miel": 1.0,
    "cafe-vert": 0.8,
    "concentre-tomate": 0.8,
    "manioc-cossettes": 0.8,
    "noix-palme": 0.7,
    "fromage": 0.5,
    "foyer-ameliore": 0.5,
    "maroquinerie": 0.4,
    "peaux": 0.4,
}
# Median quantity of a consumer's line, in the category's unit.
QUANTITY_MEDIAN = {
    "cafe-cerise": 120,
    "cafe-vert": 60,
    "riz-paddy": 150,
    "riz-blanc": 25,
    "haricot-sec": 30,
    "mais-grain": 80,
    "farine-mais": 10,
    "noix-palme": 150,
    "huile-palme": 10,
    "savon": 12,
    "lait-frais": 15,
    "yaourt": 4,
    "fromage": 2,
    "miel": 3,
    "tomate-fraiche": 25,
    "concentre-tomate": 12,
    "peaux": 8,
    "maroquinerie": 2,
    "foyer-ameliore": 2,
    "poisson-frais": 8,
    "manioc-cossettes": 80,
    "farine-manioc": 15,
}
_FLAT = [1.0] * 12
# Month multipliers (January first) by category: harvest seasons of DOMAIN.md.
SEASON = {
    "cafe-cerise": [0.2, 0.2, 0.5, 1.6, 2.4, 2.4, 1.7, 0.7, 0.3, 0.2, 0.2, 0.2],
    "cafe-vert": [0.8, 0.6, 0.5, 0.5, 0.6, 0.8, 1.2, 1.6, 1.7, 1.5, 1.2, 1.0],
    "riz-paddy": [2.2, 2.0, 0.7, 0.4, 0.6, 2.0, 2.2, 0.8, 0.4, 0.4, 0.5, 0.8],
    "haricot-sec": [1.3, 2.4, 1.0, 0.6, 0.6, 1.2, 2.4, 1.0, 0.7, 0.6, 0.6, 0.8],
    "mais-grain": [1.4, 2.0, 1.8, 0.8, 0.6, 0.6, 1.2, 1.5, 0.8, 0.5, 0.5, 0.8],
    "miel": [0.5, 0.5, 0.6, 0.7, 1.0, 1.8, 2.0, 1.8, 1.0, 0.7, 0.5, 0.6],
    "tomate-fraiche": [1.3, 1.2, 0.8, 0.7, 0.8, 1.0, 1.4, 1.5, 1.3, 0.8, 0.7, 0.9],
    "noix-palme": [1.0, 1.1, 1.4, 1.5, 1.4, 1.1, 0.9, 0.8, 0.7, 0.8, 0.9, 1.0],
    "lait-frais": [1.1, 1.1, 1.1, 1.1, 1.0, 0.9, 0.9, 0.9, 0.9, 1.0, 1.0, 1.1],
}
DECEMBER_FESTIVE = 1.3  # processed goods sell more at year end


@dataclass
class Sales:
    """Orders and lines as arrays (orders sorted by time; lines grouped by order)."""

    order_seller: np.ndarray
    order_buyer: np.ndarray
    order_kind: np.ndarray
    order_seconds: np.ndarray  # naive UTC epoch seconds
    order_day: np.ndarray  # window day index (Bujumbura)
    order_month: np.ndarray  # index into window.months()
    order_status: np.ndarray
    order_method: np.ndarray
    order_inclusive: np.ndarray
    unpaid: np.ndarray  # delivered but never paid (anomaly)
    line_order: np.ndarray
    line_no: np.ndarray
    line_product: np.ndarray
    line_listing: np.ndarray  # index into the catalogue's sorted listings, -1: none
    line_qty_milli: np.ndarray
    line_price: np.ndarray


def _periods(window: Window) -> pd.DataFrame:
    """Calendar months of the window, the one where the last 90 days begin split in two."""
    months = window.months()
    recent = window.n_days - RECENT_DAYS
    starts = sorted(set(months["first"]) | {recent})
    frame = pd.DataFrame({"first": starts})
    frame["last"] = list(frame["first"].iloc[1:] - 1) + [window.n_days - 1]
    frame["month_idx"] = (
        np.searchsorted(months["first"].to_numpy(), frame["first"], side="right") - 1
    )
    frame["month"] = months["month"].to_numpy()[frame["month_idx"]]
    frame["recent"] = frame["first"] >= recent
    return frame


def _line_counts(rng: np.random.Generator, order_lines: int) -> np.ndarray:
    """Lines per order (1–4) summing exactly to order_lines."""
    mean = float((LINES_PER_ORDER * LINES_PER_ORDER_P).sum())
    counts = rng.choice(LINES_PER_ORDER, int(order_lines / mean * 1.1) + 10, p=LINES_PER_ORDER_P)
    total = np.cumsum(counts)
    n = int(np.searchsorted(total, order_lines)) + 1
    counts = counts[:n].copy()
    counts[-1] -= int(total[n - 1] - order_lines)
    return counts


def _weights(
    ref: Reference, window: Window, sellers: Sellers, cat: Catalogue, periods: pd.DataFrame
):
    """Expected sales of each product in each period (periods × products)."""
    codes = ref.categories.code.to_numpy()[cat.category]
    season = np.array([SEASON.get(str(c), _FLAT) for c in codes])  # products × 12
    processed = ref.categories.processed.to_numpy()[cat.category]
    season[processed, 11] *= DECEMBER_FESTIVE
    n_products = np.bincount(cat.seller, minlength=len(sellers.ids))
    base = (
        sellers.weight[cat.seller]
        / np.sqrt(n_products[cat.seller])
        * np.array([POPULARITY.get(str(c), 1.0) for c in codes])
    )
    base *= np.where(sellers.is_pioneer[cat.seller], PIONEER_BOOST, 1.0)
    base *= np.where(sellers.threshold_breach[cat.seller], THRESHOLD_BOOST, 1.0)
    first, last = periods["first"].to_numpy(), periods["last"].to_numpy()
    overlap = np.clip(
        np.minimum(last[:, None], cat.last_day) - np.maximum(first[:, None], cat.first_day) + 1,
        0,
        None,
    )
    mid = (first + last) / 2
    growth = np.exp(np.log1p(GROWTH_PER_YEAR) * (mid - window.n_days) / 365.0)
    w = base * season[:, periods["month"].to_numpy() - 1].T * overlap * growth[:, None]
    w[periods["recent"].to_numpy()] *= np.where(sellers.sharp_drop[cat.seller], SHARP_DROP, 1.0)
    return w


def generate_sales(
    rng: np.random.Generator,
    ref: Reference,
    window: Window,
    sellers: Sellers,
    cat: Catalogue,
    buyers: Buyers,
    order_lines: int,
) -> Sales:
    """Draw orders and lines; exactly `order_lines` lines."""
    counts = _line_counts(rng, order_lines)
    n_orders = len(counts)
    periods = _periods(window)
    w = _weights(ref, window, sellers, cat, periods)
    period_of_order = np.sort(rng.choice(len(periods), n_orders, p=w.sum(axis=1) / w.sum()))
    kind = rng.choice(len(KINDS), n_orders, p=KIND_SHARE)
    codes = ref.categories.code.to_numpy()[cat.category]
    export_ok = np.isin(codes, list(EXPORTABLE))
    raw_ok = np.isin(cat.category, list(buyers.raw_buyers)) & sellers.is_cooperative[cat.seller]
    masks = [np.ones(len(codes), bool), np.ones(len(codes), bool), export_ok, raw_ok]
    product = np.empty(n_orders, dtype=np.int64)
    for b in range(len(periods)):
        in_period = np.flatnonzero(period_of_order == b)
        for k in (3, 2, 1, 0):  # special kinds first: a kind with no product falls back to consumer
            chosen = in_period[kind[in_period] == k]
            if len(chosen) == 0:
                continue
            pw = w[b] * masks[k]
            if pw.sum() <= 0:
                kind[chosen] = 0
                pw = w[b]
            product[chosen] = rng.choice(len(pw), len(chosen), p=pw / pw.sum())

    # The day: uniform where the product was on sale inside the period; Sundays are quieter.
    lo = np.maximum(periods["first"].to_numpy()[period_of_order], cat.first_day[product])
    hi = np.minimum(periods["last"].to_numpy()[period_of_order], cat.last_day[product])
    day = rng.integers(lo, hi + 1)
    again = rng.integers(lo, hi + 1)
    sunday = (window.start_epoch_day + day + 3) % 7 == 6  # 1970-01-01 was a Thursday
    day = np.where(sunday & (rng.random(n_orders) < 0.5), again, day)
    hour = 7 + rng.choice(len(HOUR_WEIGHTS), n_orders, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    seconds = (
        (window.start_epoch_day + day) * DAY_S
        + hour * 3600
        + rng.integers(0, 3600, n_orders)
        - LOCAL_OFFSET_S
    )
    order = np.argsort(seconds, kind="stable")
    product, kind, day, seconds, counts = (
        product[order],
        kind[order],
        day[order],
        seconds[order],
        counts[order],
    )
    seller = cat.seller[product]
    buyer = _buyers(rng, buyers, kind, cat.category[product], seller)

    # Lines: the first is the drawn product, the others another product of the seller
    # on sale that day (else the same product again).
    line_order = np.repeat(np.arange(n_orders), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    line_no = np.arange(order_lines) - starts[line_order] + 1
    p_first, p_count = cat.seller_ranges(len(sellers.ids))
    s = seller[line_order]
    other = p_first[s] + (rng.random(order_lines) * p_count[s]).astype(np.int64)
    d = day[line_order]
    k = kind[line_order]
    ok = (cat.first_day[other] <= d) & (d <= cat.last_day[other])
    ok &= np.where(k == 2, export_ok[other], True) & np.where(k == 3, raw_ok[other], True)
    line_product = np.where((line_no > 1) & ok, other, product[line_order])

    qty = _quantities(rng, ref, cat, line_product, k)
    line_seconds = seconds[line_order]
    key_listing = cat.listing_product.astype(np.int64) << 32 | cat.listing_listed_s
    idx = (
        np.searchsorted(
            key_listing, line_product.astype(np.int64) << 32 | line_seconds, side="right"
        )
        - 1
    )
    found = (idx >= 0) & (cat.listing_product[np.maximum(idx, 0)] == line_product)
    price = np.where(
        found,
        cat.listing_price[np.maximum(idx, 0)],
        round_price(cat.base_price[line_product] * inflation(d, window)),
    )
    listing = np.where(found & (rng.random(order_lines) >= DIRECT_SALE_SHARE), idx, -1)

    status, method, inclusive, unpaid = _statuses(rng, window, kind, day)
    return Sales(
        order_seller=seller,
        order_buyer=buyer,
        order_kind=kind,
        order_seconds=seconds,
        order_day=day,
        order_month=periods["month_idx"].to_numpy()[
            np.searchsorted(periods["first"].to_numpy(), day, side="right") - 1
        ],
        order_status=status,
        order_method=method,
        order_inclusive=inclusive,
        unpaid=unpaid,
        line_order=line_order,
        line_no=line_no,
        line_product=line_product,
        line_listing=listing,
        line_qty_milli=qty,
        line_price=price,
    )


def _buyers(rng, buyers: Buyers, kind, category, seller) -> np.ndarray:
    """A buyer per order, by kind; raw-material orders go to a cooperative that needs them."""
    n = len(kind)
    # Consumers: a few loyal ones buy often (a skewed draw over a shuffled pool).
    pool = rng.permutation(buyers.consumer_ids)
    buyer = pool[(rng.random(n) ** 2.2 * len(pool)).astype(np.int64)]
    business = buyers.business_ids[
        (rng.random(n) ** 1.5 * len(buyers.business_ids)).astype(np.int64)
    ]
    buyer = np.where(kind == 1, business, buyer)
    buyer = np.where(kind == 2, rng.choice(buyers.foreign_ids, n), buyer)
    for raw, (ids, makers) in buyers.raw_buyers.items():
        rows = np.flatnonzero((kind == 3) & (category == raw))
        if len(rows) == 0:
            continue
        pick = rng.integers(0, len(ids), len(rows))
        # Never from itself: move to the next buyer in the pool, or sell to a business.
        same = makers[pick] == seller[rows]
        pick = np.where(same, (pick + 1) % len(ids), pick)
        buyer[rows] = ids[pick]
        alone = makers[pick] == seller[rows]
        kind[rows[alone]] = 1
        buyer[rows[alone]] = business[rows[alone]]
    return buyer


def _quantities(
    rng, ref: Reference, cat: Catalogue, product: np.ndarray, kind: np.ndarray
) -> np.ndarray:
    """Line quantities in thousandths: whole pieces; kg and litres whole or weighed."""
    cats = ref.categories
    median = (
        np.array([QUANTITY_MEDIAN.get(c, 5) for c in cats.code])[cat.category[product]]
        * KIND_QUANTITY[kind]
    )
    raw = np.minimum(np.exp(np.log(median) + rng.normal(0, 0.7, len(product))), median * 30)
    pieces = (cats.unit.to_numpy() == "piece")[cat.category[product]]
    weighed = ~pieces & (rng.random(len(product)) < 0.3)
    whole = np.maximum(np.round(raw), 1) * 1000
    return np.where(weighed, np.maximum(np.round(raw * 1000), 500), whole).astype(np.int64)


def _statuses(rng, window: Window, kind: np.ndarray, day: np.ndarray):
    """Status, payment method and tax-inclusive pricing of each order."""
    n = len(kind)
    age = window.n_days - 1 - day
    u = rng.random(n)
    status = np.full(n, "delivered", dtype=object)
    status[(age <= 10) & (u < 0.5)] = "paid"
    status[(age <= 2) & (u < 0.6)] = "placed"
    status[rng.random(n) < CANCELLED_SHARE] = "cancelled"
    unpaid = (status == "delivered") & (rng.random(n) < UNPAID_SHARE)
    consumer = kind == 0
    method = np.where(
        consumer,
        rng.choice(["1", "2", "3", "4"], n, p=[0.35, 0.10, 0.05, 0.50]),  # 4: mobile money
        rng.choice(["1", "2", "3", "4"], n, p=[0.10, 0.65, 0.15, 0.10]),
    ).astype(object)
    inclusive = np.where(consumer, rng.random(n) < 0.93, rng.random(n) < 0.6)
    return status, method, inclusive, unpaid
