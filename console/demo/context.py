"""What every generator needs: the reference rows (as arrays) and the time window.

Times are handled as int64 seconds since the Unix epoch, naive UTC (how UTCDateTime
stores them); days as integer offsets from the window's first day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import Category, Commune, Province, TaxRule, Unit, ValueChain
from console.reference.catalogue_data import CATEGORIES, RAW_MATERIAL_OF
from console.services.periods import UTC_OFFSET_S as LOCAL_OFFSET_S
from console.services.tax.engine import RuleSpec

DAY_S = 86400
# The Gitega workshop and the hand-over of the tablets (seed article, 26–30 June 2023).
TRAINING_START = dt.date(2023, 6, 26)
TRAINING_END = dt.date(2023, 6, 30)
# The demo needs the programme's first year behind it (incidents, audits, withdrawals).
EARLIEST_UNTIL = dt.date(2024, 1, 1)
WINDOW_DAYS = 730  # orders cover the two years ending at `until`

# The 11 provinces of UNDP's zone are unconfirmed (DOMAIN.md): the five PADDEL
# provinces plus six coffee and food-crop provinces of the north and centre.
PADDEL_PROVINCES = ["BI-KI", "BI-RY", "BI-RT", "BI-RM", "BI-MA"]
INTERVENTION_ZONE = PADDEL_PROVINCES + ["BI-GI", "BI-NG", "BI-KY", "BI-MY", "BI-CA", "BI-KR"]


def epoch_day(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - dt.date(1970, 1, 1)).days


def local_to_utc_seconds(day: dt.date, hour: int, minute: int = 0) -> int:
    """Naive-UTC epoch seconds of a Bujumbura wall-clock time."""
    return epoch_day(day) * DAY_S + hour * 3600 + minute * 60 - LOCAL_OFFSET_S


@dataclass(frozen=True)
class Window:
    """The two years of orders ending at `until` (inclusive), in Bujumbura days."""

    until: dt.date

    @property
    def start(self) -> dt.date:
        """The first day of the window."""
        return self.until - dt.timedelta(days=WINDOW_DAYS - 1)

    @property
    def n_days(self) -> int:
        """How many days the window holds."""
        return WINDOW_DAYS

    @property
    def start_epoch_day(self) -> int:
        """The first day, in days since 1970-01-01."""
        return epoch_day(self.start)

    def day_index(self, day: dt.date) -> int:
        """Offset of a calendar day from the window's first day (may be out of range)."""
        return (day - self.start).days

    def months(self) -> pd.DataFrame:
        """Calendar months touching the window: year, month, first and last day index."""
        days = pd.date_range(self.start, self.until, freq="D")
        frame = pd.DataFrame({"year": days.year, "month": days.month, "idx": np.arange(len(days))})
        months = (
            frame.groupby(["year", "month"], sort=True)["idx"].agg(["min", "max"]).reset_index()
        )
        return months.rename(columns={"min": "first", "max": "last"})


@dataclass
class Reference:
    """Reference rows of the database, keyed by code, as arrays for the generators."""

    provinces: pd.DataFrame  # id, code, name, map_version, successor_id
    communes: pd.DataFrame  # id, code, name, province_id, former_province_id
    chains: pd.DataFrame  # id, code, name
    categories: pd.DataFrame  # id, code, name, chain, unit_id, unit, processed, raw, price
    rules: list[RuleSpec]

    def province_id(self, code: str) -> int:
        """The id of a province by its code."""
        return int(self.provinces.loc[self.provinces.code == code, "id"].iloc[0])

    def derived_categories(self) -> dict[int, list[int]]:
        """Raw-material category index → indexes of the categories made from it."""
        codes = list(self.categories.code)
        return {
            codes.index(raw): [codes.index(d) for d in derived if d in codes]
            for raw, derived in RAW_MATERIAL_OF.items()
            if raw in codes
        }


def load_reference_frames(session: Session) -> Reference:
    """Read the reference tables (loaded by load_reference) into frames."""
    provinces = pd.DataFrame(
        [
            (p.id, p.code, p.name, p.map_version, p.successor_id)
            for p in session.scalars(select(Province).order_by(Province.id))
        ],
        columns=["id", "code", "name", "map_version", "successor_id"],
    )
    communes = pd.DataFrame(
        [
            (c.id, c.code, c.name, c.province_id, c.former_province_id)
            for c in session.scalars(select(Commune).order_by(Commune.id))
        ],
        columns=["id", "code", "name", "province_id", "former_province_id"],
    )
    chains = pd.DataFrame(
        [
            (v.id, v.code, v.name)
            for v in session.scalars(select(ValueChain).order_by(ValueChain.id))
        ],
        columns=["id", "code", "name"],
    )
    units = {u.code: u.id for u in session.scalars(select(Unit))}
    chain_code = dict(zip(chains.id, chains.code, strict=True))
    typical = {code: (unit, price) for code, _n, _c, unit, _p, _r, price in CATEGORIES}
    # Only categories with a typical price can be demoed: an administrator's additions
    # have none and are left out.
    categories = pd.DataFrame(
        [
            (
                c.id,
                c.code,
                c.name,
                chain_code[c.value_chain_id],
                units[typical[c.code][0]],
                typical[c.code][0],
                bool(c.is_processed),
                bool(c.is_raw_material),
                typical[c.code][1],
            )
            for c in session.scalars(select(Category).order_by(Category.id))
            if c.code in typical
        ],
        columns=["id", "code", "name", "chain", "unit_id", "unit", "processed", "raw", "price"],
    )
    rules = [RuleSpec.from_record(r) for r in session.scalars(select(TaxRule).order_by(TaxRule.id))]
    return Reference(provinces, communes, chains, categories, rules)
