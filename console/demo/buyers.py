"""Buyers: many consumers, some businesses (a few abroad, for exports), and one buyer
row for each cooperative that buys raw materials from other cooperatives."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import names
from .catalogue import Catalogue
from .context import Reference
from .sellers import PROVINCE_WEIGHT, Sellers

N_DOMESTIC_BUSINESSES = 150
FOREIGN_BUSINESSES = {"RW": 12, "TZ": 8, "CD": 12, "UG": 5, "KE": 5}
LINES_PER_ORDER_MEAN = 1.87


@dataclass
class Buyers:
    """Buyer rows and the id pools the order generator draws from."""

    frame: pd.DataFrame
    consumer_ids: np.ndarray
    business_ids: np.ndarray
    foreign_ids: np.ndarray
    # raw-material category index → (buyer ids, seller index of the buying cooperative)
    raw_buyers: dict[int, tuple[np.ndarray, np.ndarray]]


def _province_ids(rng, ref: Reference, n: int, capital_weight: float) -> np.ndarray:
    """2015 provinces drawn by population, the capital weighted as asked."""
    codes = list(PROVINCE_WEIGHT)
    w = np.array([PROVINCE_WEIGHT[c] for c in codes], dtype=float)
    w[codes.index("BI-BM")] = capital_weight
    ids = ref.provinces.set_index("code")["id"].loc[codes].to_numpy()
    return ids[rng.choice(len(codes), n, p=w / w.sum())]


def generate_buyers(
    rng: np.random.Generator, ref: Reference, sellers: Sellers, cat: Catalogue, order_lines: int
) -> Buyers:
    """Buyer rows and the id pools the order generator draws from."""
    derived = ref.derived_categories()
    needs: dict[int, list[int]] = {}  # raw category → seller indexes that process it
    for raw, made in derived.items():
        makers = np.unique(cat.seller[np.isin(cat.category, made)])
        needs[raw] = [int(s) for s in makers if sellers.is_cooperative[s]]
    buying = sorted({s for makers in needs.values() for s in makers})
    coop_frame = sellers.frame.iloc[buying]
    coop_buyers = pd.DataFrame(
        {
            "kind": "cooperative",
            "name": coop_frame["name"].to_numpy(),
            "country": "BI",
            "province_id": coop_frame["province_id"].to_numpy(),
            "cooperative_id": coop_frame["id"].to_numpy(),
        }
    )
    business = pd.DataFrame(
        {
            "kind": "business",
            "country": "BI",
            "province_id": _province_ids(rng, ref, N_DOMESTIC_BUSINESSES, capital_weight=60),
        }
    )
    business["name"] = names.business_names(
        rng, list(ref.provinces.set_index("id")["name"].loc[business.province_id])
    )
    countries = [c for c, k in FOREIGN_BUSINESSES.items() for _ in range(k)]
    foreign = pd.DataFrame(
        {
            "kind": "business",
            "country": countries,
            "province_id": None,
            "name": names.foreign_business_names(rng, countries),
        }
    )
    n_consumers = int(np.clip(order_lines / LINES_PER_ORDER_MEAN / 5, 300, 80_000))
    female = rng.random(n_consumers) < 0.5
    consumers = pd.DataFrame(
        {
            "kind": "consumer",
            "country": "BI",
            "province_id": _province_ids(rng, ref, n_consumers, capital_weight=25),
            "name": names.person_names(rng, female),
        }
    )
    frame = pd.concat([coop_buyers, business, foreign, consumers], ignore_index=True)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    frame["province_id"] = frame["province_id"].astype("Int64")
    frame["cooperative_id"] = frame["cooperative_id"].astype("Int64")
    frame = frame[["id", "kind", "name", "country", "province_id", "cooperative_id"]]
    buyer_of_seller = {s: k + 1 for k, s in enumerate(buying)}
    raw_buyers = {
        raw: (
            np.array([buyer_of_seller[s] for s in makers], dtype=np.int64),
            np.array(makers, dtype=np.int64),
        )
        for raw, makers in needs.items()
        if makers
    }
    first_business = len(coop_buyers) + 1
    return Buyers(
        frame=frame,
        consumer_ids=np.arange(len(frame) - n_consumers + 1, len(frame) + 1),
        business_ids=np.arange(first_business, first_business + N_DOMESTIC_BUSINESSES),
        foreign_ids=np.arange(first_business + N_DOMESTIC_BUSINESSES, len(frame) - n_consumers + 1),
        raw_buyers=raw_buyers,
    )
