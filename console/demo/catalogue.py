"""Products per seller and value chain, and the listings that offer them over time.

A product sells only inside its active span [first_day, last_day] (window day
indexes): from the day its seller joined until it stopped (suspension, dissolution,
a stale product, or the mévente of beans in two provinces in the last three months).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .context import DAY_S, LOCAL_OFFSET_S, Reference, Window
from .sellers import MEVENTE_CHAIN, MEVENTE_PROVINCES, Sellers

RECENT_DAYS = 90  # "the last three months" of the mévente and of the sharp drops
STALE_SHARE = 0.07  # products whose sales stopped more than 60 days ago
INFLATION_PER_YEAR = 0.09
PRODUCT_LABELS = {
    "cafe-cerise": "Café cerise (grade A)",
    "cafe-vert": "Café vert marchand (fully washed)",
    "riz-paddy": "Riz paddy",
    "riz-blanc": "Riz décortiqué (sac de 25 kg)",
    "haricot-sec": "Haricot sec",
    "mais-grain": "Maïs grain sec",
    "farine-mais": "Farine de maïs",
    "noix-palme": "Régimes de noix de palme",
    "huile-palme": "Huile de palme rouge",
    "savon": "Savon de ménage (barre de 800 g)",
    "lait-frais": "Lait frais pasteurisé",
    "yaourt": "Yaourt nature",
    "fromage": "Fromage de type gouda",
    "miel": "Miel pur",
    "tomate-fraiche": "Tomate fraîche",
    "concentre-tomate": "Concentré de tomate (boîte de 400 g)",
    "peaux": "Peaux brutes de bovin",
    "maroquinerie": "Sacs et sandales en cuir",
    "foyer-ameliore": "Foyer amélioré (charbon de bois)",
    "poisson-frais": "Ndagala frais",
    "manioc-cossettes": "Cossettes de manioc séchées",
    "farine-manioc": "Farine de manioc",
}


@dataclass
class Catalogue:
    """Products and listings, with the arrays the order generator samples from."""

    products: pd.DataFrame
    seller: np.ndarray  # seller index per product
    category: np.ndarray  # category index per product
    base_price: np.ndarray  # BIF per unit at `until`, before inflation and noise
    first_day: np.ndarray
    last_day: np.ndarray  # inclusive; < first_day when the product never sells
    listing_product: np.ndarray  # per listing, sorted by (product, listed_s)
    listing_listed_s: np.ndarray
    listing_price: np.ndarray
    listing_id: np.ndarray  # ids are given in chronological order
    mevente: np.ndarray  # per product: the beans that stopped selling
    stale: np.ndarray

    def seller_ranges(self, n_sellers: int) -> tuple[np.ndarray, np.ndarray]:
        """First product index and product count of each seller (products are by seller)."""
        counts = np.bincount(self.seller, minlength=n_sellers)
        return np.concatenate([[0], np.cumsum(counts)[:-1]]), counts


def round_price(price: np.ndarray) -> np.ndarray:
    """Prices as sellers write them: to 10 F below 1 000, 50 F below 10 000, else 500 F."""
    step = np.where(price < 1000, 10, np.where(price < 10000, 50, 500))
    return np.maximum(step, np.round(price / step) * step).astype(np.int64)


def inflation(day: np.ndarray, window: Window) -> np.ndarray:
    """Price level relative to `until` (typical prices are today's)."""
    return np.exp(np.log1p(INFLATION_PER_YEAR) * (np.asarray(day) - (window.n_days - 1)) / 365.0)


def generate_catalogue(
    rng: np.random.Generator, ref: Reference, window: Window, sellers: Sellers, order_lines: int
) -> Catalogue:
    """Products for each seller's value chains, then a listing schedule per product."""
    cats = ref.categories
    by_chain = {
        chain: list(np.flatnonzero(cats.chain.to_numpy() == chain)) for chain in ref.chains.code
    }
    chain_codes = ref.chains.code.to_numpy()
    processed = cats.processed.to_numpy()
    seller_idx, cat_idx = [], []
    for i, chains in enumerate(sellers.chains):
        for c in chains:
            options = by_chain.get(str(chain_codes[c]), [])
            if not options:
                continue
            w = np.where(processed[options], 3.0 if not sellers.is_cooperative[i] else 1.0, 1.5)
            k = 1 if len(options) == 1 or rng.random() < 0.6 else 2
            for j in sorted(rng.choice(options, k, replace=False, p=w / w.sum())):
                seller_idx.append(i)
                cat_idx.append(int(j))
    seller = np.array(seller_idx)
    category = np.array(cat_idx)
    n = len(seller)
    codes = cats.code.to_numpy()
    seller_ids = sellers.ids[seller]
    products = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "cooperative_id": seller_ids,
            "category_id": cats.id.to_numpy()[category],
            "unit_id": cats.unit_id.to_numpy()[category],
            "sku": [
                f"ISK-{s:04d}-{str(c).upper()}"
                for s, c in zip(seller_ids, codes[category], strict=True)
            ],
            "name": [
                PRODUCT_LABELS.get(str(c), name)
                for c, name in zip(codes[category], cats.name.to_numpy()[category], strict=True)
            ],
        }
    )
    seller_factor = np.exp(rng.normal(0, 0.08, len(sellers.ids)))
    base_price = (
        cats.price.to_numpy()[category] * seller_factor[seller] * np.exp(rng.normal(0, 0.04, n))
    )

    first = sellers.onboard_day[seller] + np.where(rng.random(n) < 0.7, 0, rng.integers(0, 40, n))
    last = np.minimum(sellers.stop_day[seller], window.n_days) - 1
    recent = window.n_days - RECENT_DAYS
    mevente = np.isin(sellers.province_code[seller], MEVENTE_PROVINCES) & (
        cats.chain.to_numpy()[category] == MEVENTE_CHAIN
    )
    last = np.where(mevente, np.minimum(last, recent - 1), last)
    protected = sellers.threshold_breach[seller] | sellers.is_pioneer[seller] | mevente
    stale = (~protected) & (rng.random(n) < STALE_SHARE)
    last = np.where(stale, np.minimum(last, window.n_days - rng.integers(75, 220, n)), last)

    # Sellers relist when a lot sells out: the busier the market, the more often.
    mean_gap = float(np.clip(window.n_days / max(1.0, order_lines / n / 3), 20, 150))
    lp, ls, lprice = _listings(
        rng, window, first, last, base_price, mevente, sellers.stop_day[seller], mean_gap
    )
    order = np.argsort(ls, kind="stable")
    listing_id = np.empty(len(ls), dtype=np.int64)
    listing_id[order] = np.arange(1, len(ls) + 1)
    return Catalogue(
        products,
        seller,
        category,
        base_price,
        first,
        last,
        lp,
        ls,
        lprice,
        listing_id,
        mevente,
        stale,
    )


def _listings(rng, window: Window, first, last, base_price, mevente, stop_day, mean_gap: float):
    """Relist every few weeks while the product is offered; mévente beans keep being offered."""
    n_days = window.n_days
    products, seconds, prices = [], [], []
    for p in range(len(first)):
        start = max(int(first[p]), -45)
        # Mévente beans stay on offer to the end; a stale product's last listing stays open.
        end = min(n_days - 1, int(stop_day[p]) - 1) if mevente[p] else int(last[p])
        if end < start:
            end = start  # a product that never sold still has its one, unsold, listing
        days = [start]
        while True:
            nxt = days[-1] + 7 + int(rng.exponential(mean_gap))
            if nxt > end:
                break
            days.append(nxt)
        days_arr = np.array(days)
        products.append(np.full(len(days_arr), p))
        # 06:00–07:00 local: before the first order of the day.
        seconds.append(
            (window.start_epoch_day + days_arr) * DAY_S
            + 6 * 3600
            + rng.integers(0, 3600, len(days_arr))
            - LOCAL_OFFSET_S
        )
        prices.append(
            round_price(
                base_price[p]
                * inflation(days_arr, window)
                * np.exp(rng.normal(0, 0.04, len(days_arr)))
            )
        )
    return (
        np.concatenate(products),
        np.concatenate(seconds).astype(np.int64),
        np.concatenate(prices),
    )


def finalize_listings(
    rng: np.random.Generator,
    cat: Catalogue,
    window: Window,
    line_listing: np.ndarray,
    line_qty_milli: np.ndarray,
    line_seconds: np.ndarray,
    sold: np.ndarray,
) -> pd.DataFrame:
    """Listing rows: superseded listings close (sold out at their last sale, else withdrawn)."""
    n = len(cat.listing_product)
    use = (line_listing >= 0) & sold
    sold_qty = np.bincount(line_listing[use], weights=line_qty_milli[use], minlength=n).astype(
        np.int64
    )
    last_sale = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_sale, line_listing[use], line_seconds[use])
    superseded = np.append(cat.listing_product[1:] == cat.listing_product[:-1], False)
    next_listed = np.append(cat.listing_listed_s[1:], 0)
    unit_piece = 1000  # stock left on a shelf is whole units: quantities are in thousandths
    stock = (np.ceil(np.exp(rng.normal(np.log(40), 1.0, n))) * unit_piece).astype(np.int64)
    sold_out = superseded & (sold_qty > 0)
    quantity = np.where(sold_out, sold_qty, sold_qty + stock)
    closed = np.where(sold_out, last_sale, np.where(superseded, next_listed - 3600, -1))
    # A dissolved or suspended seller's open listing was closed when it stopped.
    stop_s = (window.start_epoch_day + np.minimum(cat.last_day, window.n_days - 1) + 1) * DAY_S
    stopped = (
        ~superseded
        & (cat.last_day[cat.listing_product] < window.n_days - 1)
        & ~cat.mevente[cat.listing_product]
        & ~cat.stale[cat.listing_product]
    )
    closed = np.where(
        stopped, np.maximum(stop_s[cat.listing_product], cat.listing_listed_s + 3600), closed
    )
    frame = pd.DataFrame(
        {
            "id": cat.listing_id,
            "product_id": cat.listing_product + 1,
            "cooperative_id": cat.products["cooperative_id"].to_numpy()[cat.listing_product],
            "quantity_offered": quantity / 1000.0,  # float quantities load with 3 decimals
            "unit_price": cat.listing_price,
            "listed_at": cat.listing_listed_s.astype("datetime64[s]"),
            "closed_at": np.where(closed >= 0, closed, np.iinfo(np.int64).min).astype(
                "datetime64[s]"
            ),
        }
    )
    return frame.sort_values("id").reset_index(drop=True)
