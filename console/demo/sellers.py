"""Sellers: 100 pioneer cooperatives, other cooperatives and individual entrepreneurs.

Besides the `cooperative` rows, each seller gets a few hidden traits that drive the
orders: a size weight, the day it joined the platform, the day it stopped selling
(suspension, dissolution) and the deliberate anomalies it carries.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import names
from .context import (
    DAY_S,
    INTERVENTION_ZONE,
    LOCAL_OFFSET_S,
    PADDEL_PROVINCES,
    TRAINING_START,
    Reference,
    Window,
    epoch_day,
)

N_PIONEERS = 100
N_OTHER_COOPERATIVES = 400
N_ENTREPRENEURS = 100
VAT_SHARE = 0.15
PLATFORM_LAUNCH = dt.date(2023, 7, 3)  # the Monday after the Gitega workshop
# Beans stop selling in these provinces in the last three months (the mévente alert).
MEVENTE_PROVINCES = ["BI-KI", "BI-MY"]
MEVENTE_CHAIN = "haricot"

# Pioneers per zone province: ten in each PADDEL province, the rest over the six others.
PIONEERS_PER_PROVINCE = dict(
    zip(INTERVENTION_ZONE, [10] * len(PADDEL_PROVINCES) + [9, 9, 8, 8, 8, 8], strict=True)
)
# Rough weight of each 2015 province among registered cooperatives (population-like).
PROVINCE_WEIGHT = {
    "BI-BB": 5,
    "BI-BL": 6,
    "BI-BM": 4,
    "BI-BR": 4,
    "BI-CA": 3,
    "BI-CI": 6,
    "BI-GI": 8,
    "BI-KR": 5,
    "BI-KY": 7,
    "BI-KI": 7,
    "BI-MA": 5,
    "BI-MU": 4,
    "BI-MW": 4,
    "BI-MY": 6,
    "BI-NG": 8,
    "BI-RM": 4,
    "BI-RT": 4,
    "BI-RY": 5,
}
# Value chains each province is known for (DOMAIN.md and regional agriculture).
SPECIALTIES = {
    "BI-BB": ["riz", "palmier", "mais"],
    "BI-BL": ["palmier", "tomate", "riz"],
    "BI-BM": ["cuir", "foyers", "poisson"],
    "BI-BR": ["miel", "lait", "manioc"],
    "BI-CA": ["mais", "manioc", "miel"],
    "BI-CI": ["riz", "tomate", "cafe"],
    "BI-GI": ["cafe", "lait", "mais", "foyers"],
    "BI-KR": ["cafe", "manioc", "mais"],
    "BI-KY": ["cafe", "cuir", "lait"],
    "BI-KI": ["haricot", "riz", "poisson", "cafe"],
    "BI-MA": ["palmier", "manioc", "miel", "poisson"],
    "BI-MU": ["lait", "tomate"],
    "BI-MW": ["lait", "haricot"],
    "BI-MY": ["cafe", "haricot", "mais"],
    "BI-NG": ["cafe", "lait", "foyers"],
    "BI-RM": ["palmier", "poisson", "riz"],
    "BI-RT": ["manioc", "miel", "riz"],
    "BI-RY": ["miel", "manioc", "mais"],
}
CHAIN_BASE = {"haricot": 2.0, "mais": 1.5, "manioc": 1.2, "cuir": 0.4, "foyers": 0.4}
ENTREPRENEUR_CHAINS = {
    "cuir": 4,
    "foyers": 4,
    "tomate": 3,
    "miel": 3,
    "lait": 2,
    "palmier": 2,
    "mais": 1,
}
SUSPENSION_REASONS = [
    "Suspendue par l'ANACOOP le {d} : rapports annuels non déposés pour deux exercices.",
    "Suspendue le {d} à la demande de la direction provinciale : conflit de gestion "
    "au sein du conseil d'administration, enquête en cours.",
    "Suspendue le {d} : assemblée générale annuelle non tenue dans les délais statutaires.",
]
DISSOLUTION_REASONS = [
    "Dissoute par décision de l'assemblée générale extraordinaire du {d}.",
    "Dissolution prononcée le {d} : nombre de membres inférieur au minimum légal de 10 "
    "(loi n°1/12 du 28 juin 2017).",
]
PHONE_PREFIXES = ["61", "62", "65", "68", "69", "71", "72", "75", "76", "79"]


@dataclass
class Sellers:
    """The cooperative rows plus the hidden traits that drive the demo's sales."""

    frame: pd.DataFrame  # the cooperative table's columns
    chains: list[list[int]]  # value-chain indexes (into Reference.chains) per seller
    province_code: np.ndarray  # 2015 province code per seller
    weight: np.ndarray  # relative sales volume
    onboard_day: np.ndarray  # window day index of the first listing
    stop_day: np.ndarray  # window day index after which nothing sells (n_days: never)
    is_cooperative: np.ndarray
    threshold_breach: np.ndarray  # unregistered, yet above the VAT threshold
    sharp_drop: np.ndarray  # sales collapse in the last three months
    remittance_profile: np.ndarray  # VAT sellers: diligent, late, short, missing

    @property
    def ids(self) -> np.ndarray:
        """Cooperative ids, in seller-index order."""
        return self.frame["id"].to_numpy()

    @property
    def vat_registered(self) -> np.ndarray:
        """VAT registration per seller."""
        return self.frame["vat_registered"].to_numpy()

    @property
    def is_pioneer(self) -> np.ndarray:
        """Pioneer flag per seller."""
        return self.frame["is_pioneer"].to_numpy()

    def value_chain_frame(self, ref: Reference) -> pd.DataFrame:
        """Rows of cooperative_value_chain."""
        chain_ids = ref.chains["id"].to_numpy()
        rows = [
            (int(sid), int(chain_ids[c]))
            for sid, cs in zip(self.ids, self.chains, strict=True)
            for c in cs
        ]
        return pd.DataFrame(rows, columns=["cooperative_id", "value_chain_id"])


def _slug(text: str) -> str:
    """Lower-case ASCII letters and digits only, for e-mail addresses."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _unique_numbers(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct integers in [low, high), in random order."""
    values = pd.unique(rng.integers(low, high, n * 2))
    while len(values) < n:  # practically never: the range is far larger than n
        values = pd.unique(np.concatenate([values, rng.integers(low, high, n)]))
    return np.asarray(values[:n], dtype=np.int64)


def _provinces(rng: np.random.Generator) -> list[str]:
    """2015 province code of each seller: pioneers, other cooperatives, entrepreneurs."""
    pioneers = [code for code, count in PIONEERS_PER_PROVINCE.items() for _ in range(count)]
    codes = list(PROVINCE_WEIGHT)
    weights = np.array([PROVINCE_WEIGHT[c] for c in codes], dtype=float)
    others = list(rng.choice(codes, N_OTHER_COOPERATIVES, p=weights / weights.sum()))
    # Entrepreneurs cluster in the capital and the big towns.
    weights_ent = weights.copy()
    weights_ent[codes.index("BI-BM")] = 30
    weights_ent[codes.index("BI-GI")] = 12
    weights_ent[codes.index("BI-NG")] = 8
    entrepreneurs = list(rng.choice(codes, N_ENTREPRENEURS, p=weights_ent / weights_ent.sum()))
    return pioneers + others + entrepreneurs


def _choose_chains(
    rng: np.random.Generator, ref: Reference, provinces: list[str], kinds: np.ndarray
):
    """One to three value chains per seller, favouring the province's specialties."""
    chain_codes = list(ref.chains.code)
    chains = []
    for province, is_coop in zip(provinces, kinds, strict=True):
        if is_coop:
            w = np.array([CHAIN_BASE.get(c, 1.0) for c in chain_codes])
            for code in SPECIALTIES.get(province, []):
                if code in chain_codes:
                    w[chain_codes.index(code)] *= 6
        else:
            w = np.array([ENTREPRENEUR_CHAINS.get(c, 0.2) for c in chain_codes], dtype=float)
        k = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        chains.append(list(rng.choice(len(chain_codes), k, replace=False, p=w / w.sum())))
    # The mévente alert needs bean sellers in its two provinces.
    if MEVENTE_CHAIN in chain_codes:
        beans = chain_codes.index(MEVENTE_CHAIN)
        for code in MEVENTE_PROVINCES:
            members = [i for i, p in enumerate(provinces) if p == code and kinds[i]]
            for i in members[:6]:
                if beans not in chains[i]:
                    chains[i].append(beans)
    return chains


def _communes(rng: np.random.Generator, ref: Reference, provinces: list[str]):
    """A 2025 commune that came from the seller's 2015 province, and its 2025 province."""
    prov = ref.provinces.set_index("code")
    communes = ref.communes
    commune_ids, commune_names, province_2025 = [], [], []
    for code in provinces:
        pid = int(prov.loc[code, "id"])
        candidates = communes[communes.former_province_id == pid]
        if len(candidates):
            row = candidates.iloc[int(rng.integers(0, len(candidates)))]
            commune_ids.append(int(row.id))
            commune_names.append(row["name"])
            province_2025.append(int(row.province_id))
        else:  # no 2025 commune came from this province: fall back on its successor
            commune_ids.append(None)
            commune_names.append(prov.loc[code, "name"])
            province_2025.append(int(prov.loc[code, "successor_id"]))
    return commune_ids, commune_names, province_2025


def _status(rng: np.random.Generator, window: Window, pioneer: np.ndarray, onboard: np.ndarray):
    """A few suspended or dissolved sellers, with the day and the reason."""
    n = len(pioneer)
    status = np.array(["active"] * n, dtype=object)
    reasons: list[str | None] = [None] * n
    stop_day = np.full(n, window.n_days, dtype=np.int64)
    candidates = np.flatnonzero(~pioneer)
    chosen = rng.choice(candidates, 20, replace=False)
    # Stopped a few months after joining, and at least a month before `until`.
    latest = window.n_days - 30
    earliest = np.minimum(np.maximum(onboard[chosen] + 60, 90), latest - 1)
    days = rng.integers(earliest, latest)
    for k, (i, day) in enumerate(zip(chosen, days, strict=True)):
        text = (window.start + dt.timedelta(days=int(day))).strftime("%d/%m/%Y")
        if k < 12:
            status[i] = "suspended"
            reasons[i] = SUSPENSION_REASONS[k % len(SUSPENSION_REASONS)].format(d=text)
        else:
            status[i] = "dissolved"
            reasons[i] = DISSOLUTION_REASONS[k % len(DISSOLUTION_REASONS)].format(d=text)
        stop_day[i] = day
    return status, reasons, stop_day


def generate_sellers(rng: np.random.Generator, ref: Reference, window: Window) -> Sellers:
    """Build the 600 sellers and their traits."""
    n_coop = N_PIONEERS + N_OTHER_COOPERATIVES
    n = n_coop + N_ENTREPRENEURS
    pioneer = np.arange(n) < N_PIONEERS
    is_coop = np.arange(n) < n_coop
    provinces = _provinces(rng)
    chains = _choose_chains(rng, ref, provinces, is_coop)
    commune_ids, commune_names, province_2025 = _communes(rng, ref, provinces)
    chain_codes = ref.chains.code.to_numpy()
    main_chain = [str(chain_codes[c[0]]) for c in chains]

    female = rng.random(n) < 0.45
    coop_names, acronyms = names.cooperative_names(rng, main_chain[:n_coop], commune_names[:n_coop])
    ent_names = names.entrepreneur_names(rng, female[n_coop:])
    contact = names.person_names(rng, female)

    # Members: law n°1/12 of 28 June 2017 requires at least 10 for a cooperative.
    median = np.where(pioneer, 90.0, 45.0)
    members = np.clip(np.round(np.exp(np.log(median) + rng.normal(0, 0.75, n))), 10, 2500).astype(
        np.int64
    )
    members[~is_coop] = 1
    women = rng.binomial(members, rng.beta(4.5, 5.5, n))
    youth = rng.binomial(members, rng.beta(3.0, 7.0, n))
    women[~is_coop] = female[~is_coop]
    youth[~is_coop] = rng.random(N_ENTREPRENEURS) < 0.35

    weight = np.sqrt(members / 40.0) * np.exp(rng.normal(0, 0.6, n))
    weight[~is_coop] = np.exp(rng.normal(-0.4, 0.6, N_ENTREPRENEURS))
    # VAT registration follows size: the largest ~15 % are registered.
    size_rank = np.argsort(-(weight * np.exp(rng.normal(0, 0.3, n))))
    vat = np.zeros(n, dtype=bool)
    vat[size_rank[: int(round(VAT_SHARE * n))]] = True
    has_nif = vat | (rng.random(n) < 0.86)

    # Joining the platform: pioneers at the workshop, the others over the window.
    launch = window.day_index(PLATFORM_LAUNCH)
    low = max(launch, -240)
    high = max(low + 30, min(int(0.6 * window.n_days), window.n_days - 20))
    onboard = rng.integers(low, high, n)
    onboard[pioneer] = window.day_index(dt.date(2023, 6, 30))
    status, reasons, stop_day = _status(rng, window, pioneer, onboard)
    active = status == "active"
    # Deliberate anomalies: 3 big unregistered sellers pushed above the VAT threshold,
    # and 2 registered sellers whose sales collapse in the last three months.
    threshold = np.zeros(n, dtype=bool)
    threshold[
        [i for i in size_rank if not vat[i] and active[i] and not pioneer[i] and has_nif[i]][:3]
    ] = True
    drop = np.zeros(n, dtype=bool)
    drop[rng.choice(np.flatnonzero(vat & active & ~pioneer), 2, replace=False)] = True
    profile = np.where(
        vat, rng.choice(["diligent", "late", "short", "missing"], n, p=[0.65, 0.15, 0.10, 0.10]), ""
    )

    created_day = onboard.copy()
    created_day[pioneer] = window.day_index(TRAINING_START) - rng.integers(3, 8, N_PIONEERS)
    created_at = (
        (window.start_epoch_day + created_day) * DAY_S
        + rng.integers(9 * 3600, 16 * 3600, n)
        - LOCAL_OFFSET_S
    ).astype("datetime64[s]")

    founded_year = np.where(
        rng.random(n) < 0.2, rng.integers(2008, 2017, n), rng.integers(2017, 2023, n)
    )
    founded_year = np.where(is_coop, founded_year, rng.integers(2010, 2024, n))
    founded_year = np.minimum(founded_year, window.until.year - 1)
    founded = np.array(
        [
            epoch_day(dt.date(int(y), 1, 1)) + int(d)
            for y, d in zip(founded_year, rng.integers(0, 365, n), strict=True)
        ]
    ).astype("datetime64[D]")
    # Founded before it joined the platform.
    founded = np.minimum(
        founded, (window.start_epoch_day + created_day - 30).astype("datetime64[D]")
    )

    # ANACOOP was created in 2019: older cooperatives re-registered with it then.
    reg_year = np.maximum(founded_year, 2019)
    seq = _unique_numbers(rng, n, 1, 12000)
    registration = [
        f"ANACOOP/{y}/{s:05d}" if coop else f"RC/{y}/{s:05d}"
        for y, s, coop in zip(np.where(is_coop, reg_year, founded_year), seq, is_coop, strict=True)
    ]
    nif_numbers = _unique_numbers(rng, n, 4_000_000_000, 4_999_999_999)
    nif = [str(v) if ok else None for v, ok in zip(nif_numbers, has_nif, strict=True)]
    trade_reg = [
        f"RC {int(s)}/{int(y) % 100:02d}" if (not coop and r < 0.9) or (coop and r < 0.2) else None
        for s, y, coop, r in zip(
            rng.integers(1000, 99999, n), founded_year, is_coop, rng.random(n), strict=True
        )
    ]
    phone_prefix = names.pick(rng, PHONE_PREFIXES, n)
    digits = rng.integers(0, 1_000_000, n)
    phones = [
        f"+257 {p} {d // 10000:02d} {d // 100 % 100:02d} {d % 100:02d}"
        for p, d in zip(phone_prefix, digits, strict=True)
    ]
    all_names = coop_names + ent_names
    all_acronyms = acronyms + [None] * N_ENTREPRENEURS
    emails = [
        f"{_slug(a or nm.split()[-1])}{i + 1}@{'gmail.com' if r < 0.3 else 'yahoo.fr'}"
        if r < 0.45
        else None
        for i, (a, nm, r) in enumerate(zip(all_acronyms, all_names, rng.random(n), strict=True))
    ]
    category = np.where(
        is_coop,
        rng.choice(
            ["production", "marketing", "multifunctional", "services"],
            n,
            p=[0.72, 0.12, 0.11, 0.05],
        ),
        rng.choice(["production", "marketing"], n, p=[0.6, 0.4]),
    )
    category[pioneer] = "production"

    province_ids = ref.provinces.set_index("code")["id"]
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "registration_number": registration,
            "name": all_names,
            "acronym": all_acronyms,
            "seller_kind": np.where(is_coop, "cooperative", "entrepreneur"),
            "category": category,
            "province_id": province_ids.loc[provinces].to_numpy(),
            "province_2025_id": province_2025,
            "commune_id": pd.array(commune_ids, dtype="Int64"),
            "founded_on": founded,
            "members_total": members,
            "members_women": women.astype(np.int64),
            "members_youth": youth.astype(np.int64),
            "nif": nif,
            "trade_register_number": trade_reg,
            "vat_registered": vat,
            "status": status,
            "status_reason": reasons,
            "is_pioneer": pioneer,
            "contact_name": contact,
            "phone": phones,
            "email": emails,
            "created_at": created_at,
        }
    )
    return Sellers(
        frame=frame,
        chains=chains,
        province_code=np.array(provinces, dtype=object),
        weight=weight,
        onboard_day=onboard.astype(np.int64),
        stop_day=stop_day,
        is_cooperative=is_coop,
        threshold_breach=threshold,
        sharp_drop=drop,
        remittance_profile=profile,
    )
