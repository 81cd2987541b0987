"""The pilot programme: the 2023 pioneer cohort, the Gitega workshop, the 2025 cohort.

Every enrollment carries the transitions that led to its status, dated, by the
system user "système (démo)", so the workflow history reads like the real one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import names
from .context import (
    INTERVENTION_ZONE,
    TRAINING_END,
    TRAINING_START,
    Reference,
    Window,
    local_to_utc_seconds,
)
from .sellers import Sellers

DEMO_USER = "système (démo)"
PATH = ["nominated", "selected", "trained", "equipped", "active"]
# Final status of the 100 pioneers: most active, some equipped, a few trained, 3 withdrawn.
PIONEER_STATUSES = ["active"] * 80 + ["equipped"] * 10 + ["trained"] * 7 + ["withdrawn"] * 3
SECOND_COHORT_SIZE = 30
SECOND_COHORT_NOMINATED = dt.date(2025, 2, 3)
SECOND_COHORT_SELECTED = dt.date(2025, 4, 7)
SELECTION_REASONS = [
    "Produits déjà prêts pour le marché ; comptabilité tenue à jour.",
    "Production régulière et bonne gouvernance (assemblées générales tenues).",
    "Coopérative en avance sur les autres de la province ; forte participation des femmes.",
    "Produits transformés de qualité ; marché local déjà établi.",
    "Volume de production suffisant pour la vente en ligne ; membres formés à la gestion.",
]
ROLES = {
    "president": ("Président", "Présidente"),
    "manager": ("Gérant", "Gérante"),
    "secretary": ("Secrétaire", "Secrétaire"),
    "treasurer": ("Trésorier", "Trésorière"),
    "marketing": ("Chargé de la commercialisation", "Chargée de la commercialisation"),
}


@dataclass
class Pilot:
    """Rows of the pilot tables, and what the inventory needs to know about pioneers."""

    tables: dict[str, pd.DataFrame]
    pioneer_status: np.ndarray  # final status of each pioneer (index = seller index)
    withdrawn_on: dict[int, dt.date]  # seller index → withdrawal date
    representative: dict[int, str]  # seller index → participant who signed for equipment
    coordinator: dict[str, str]  # 2015 province code → provincial coordinator's name


def _at(day: dt.date, rng: np.random.Generator) -> np.datetime64:
    """A working-hours time on that day, as naive UTC."""
    return np.datetime64(
        local_to_utc_seconds(day, int(rng.integers(8, 16)), int(rng.integers(0, 60))), "s"
    )


def _days(base: dt.date, rng: np.random.Generator, spread: int) -> dt.date:
    """A day within `spread` days from `base`."""
    return base + dt.timedelta(days=int(rng.integers(0, spread)))


def _transitions(
    steps: list[tuple[str, dt.date]], enrollment_id: int, rng: np.random.Generator
) -> list[tuple]:
    """One transition row per step, in order, from no status to the last."""
    rows, previous, last_at = [], None, None
    for status, day in steps:
        at = _at(day, rng)
        if last_at is not None and at <= last_at:  # two steps on one day keep their order
            at = last_at + np.timedelta64(45, "m")
        rows.append((enrollment_id, previous, status, at, DEMO_USER))
        previous, last_at = status, at
    return rows


def generate_pilot(
    rng: np.random.Generator, ref: Reference, window: Window, sellers: Sellers
) -> Pilot:
    """Cohorts, the training session, attendance, enrollments and their transitions."""
    pioneers = np.flatnonzero(sellers.is_pioneer)
    statuses = rng.permutation(np.array(PIONEER_STATUSES, dtype=object))
    cohorts = [(1, "Cohorte pionnière 2023", 2023, TRAINING_START)]
    enrollments, transitions = [], []
    withdrawn_on: dict[int, dt.date] = {}
    withdraw_last = min(window.until - dt.timedelta(days=14), dt.date(2024, 12, 31))
    for k, (i, status) in enumerate(zip(pioneers, statuses, strict=True)):
        eid = k + 1
        nominated = _days(dt.date(2023, 5, 8), rng, 12)
        selected = _days(dt.date(2023, 6, 5), rng, 10)
        dates = {"nominated": nominated, "selected": selected, "trained": TRAINING_END}
        if status in {"equipped", "active", "withdrawn"}:
            dates["equipped"] = TRAINING_END
        if status in {"active", "withdrawn"}:
            dates["active"] = _days(dt.date(2023, 7, 3), rng, 90)
        steps = [(s, dates[s]) for s in PATH if s in dates]
        withdrawn = None
        if status == "withdrawn":
            span = max(1, (withdraw_last - dt.date(2023, 11, 1)).days)
            withdrawn = _days(dt.date(2023, 11, 1), rng, span)
            steps.append(("withdrawn", withdrawn))
            withdrawn_on[int(i)] = withdrawn
        enrollments.append(
            (
                eid,
                1,
                int(sellers.ids[i]),
                status,
                round(float(rng.uniform(62, 96)), 2),
                SELECTION_REASONS[int(rng.integers(0, len(SELECTION_REASONS)))],
                nominated,
                selected,
                dates["trained"],
                dates.get("equipped"),
                dates.get("active"),
                withdrawn,
            )
        )
        transitions += _transitions(steps, eid, rng)

    # The next cohort: cooperatives nominated, some already selected, none trained yet.
    if window.until >= SECOND_COHORT_SELECTED + dt.timedelta(days=30):
        cohorts.append((2, "Cohorte 2025", 2025, None))
        eligible = np.flatnonzero(
            sellers.is_cooperative
            & ~sellers.is_pioneer
            & (sellers.frame["status"].to_numpy() == "active")
        )
        chosen = np.sort(rng.choice(eligible, SECOND_COHORT_SIZE, replace=False))
        for j, i in enumerate(chosen):
            eid = len(enrollments) + 1
            nominated = _days(SECOND_COHORT_NOMINATED, rng, 40)
            selected = _days(SECOND_COHORT_SELECTED, rng, 18) if j % 5 < 2 else None
            steps = [("nominated", nominated)] + ([("selected", selected)] if selected else [])
            enrollments.append(
                (
                    eid,
                    2,
                    int(sellers.ids[i]),
                    steps[-1][0],
                    round(float(rng.uniform(55, 92)), 2) if selected else None,
                    SELECTION_REASONS[int(rng.integers(0, len(SELECTION_REASONS)))]
                    if selected
                    else None,
                    nominated,
                    selected,
                    None,
                    None,
                    None,
                    None,
                )
            )
            transitions += _transitions(steps, eid, rng)

    session = pd.DataFrame(
        [
            {
                "id": 1,
                "cohort_id": 1,
                "title": "Formation à l'utilisation de la plateforme e-commerce",
                "place": "Gitega",
                "province_id": ref.province_id("BI-GI"),
                "starts_on": TRAINING_START,
                "ends_on": TRAINING_END,
            }
        ]
    )
    attendance, representative = _attendance(rng, ref, sellers, pioneers)
    coordinator = {row[2]: row[3] for row in attendance if row[2] and row[1] is None}
    attendance_frame = pd.DataFrame(
        [
            (k + 1, 1, cid, name, gender, role, days)
            for k, (_, cid, _code, name, gender, role, days) in enumerate(attendance)
        ],
        columns=[
            "id",
            "session_id",
            "cooperative_id",
            "participant_name",
            "gender",
            "role",
            "days_attended",
        ],
    )
    attendance_frame["cooperative_id"] = attendance_frame["cooperative_id"].astype("Int64")
    tables = {
        "cohort": pd.DataFrame(cohorts, columns=["id", "name", "year", "started_on"]),
        "enrollment": pd.DataFrame(
            enrollments,
            columns=[
                "id",
                "cohort_id",
                "cooperative_id",
                "status",
                "selection_score",
                "selection_reason",
                "nominated_on",
                "selected_on",
                "trained_on",
                "equipped_on",
                "activated_on",
                "withdrawn_on",
            ],
        ),
        "enrollment_transition": pd.DataFrame(
            [(k + 1, *row) for k, row in enumerate(transitions)],
            columns=["id", "enrollment_id", "from_status", "to_status", "at", "by_username"],
        ),
        "training_session": session,
        "attendance": attendance_frame,
    }
    tables["enrollment"]["selection_score"] = [
        None if v is None or v != v else f"{v:.2f}" for v in tables["enrollment"]["selection_score"]
    ]
    pioneer_status = np.array([""] * len(sellers.ids), dtype=object)
    pioneer_status[pioneers] = statuses
    return Pilot(tables, pioneer_status, withdrawn_on, representative, coordinator)


def _attendance(rng: np.random.Generator, ref: Reference, sellers: Sellers, pioneers: np.ndarray):
    """About two representatives per pioneer (45 % women) and the 11 coordinators."""
    counts = rng.choice([1, 2, 3], len(pioneers), p=[0.1, 0.85, 0.05])
    total = int(counts.sum()) + len(INTERVENTION_ZONE)
    female = rng.random(total) < 0.45
    people = names.person_names(rng, female)
    days = rng.choice([5, 4, 3], total, p=[0.88, 0.08, 0.04])
    rows, representative, k = [], {}, 0
    for i, count in zip(pioneers, counts, strict=True):
        roles = ["president" if rng.random() < 0.5 else "manager"]
        others = [r for r in ("secretary", "treasurer", "marketing", "manager") if r != roles[0]]
        roles += list(rng.choice(others, count - 1, replace=False))
        for j, role in enumerate(roles):
            label = ROLES[role][int(female[k])]
            rows.append(
                (
                    k,
                    int(sellers.ids[i]),
                    None,
                    people[k],
                    "F" if female[k] else "M",
                    label,
                    int(days[k]),
                )
            )
            if j == 0:
                representative[int(i)] = people[k]
            k += 1
    names_by_code = ref.provinces.set_index("code")["name"]
    for code in INTERVENTION_ZONE:
        title = "Coordonnatrice provinciale" if female[k] else "Coordonnateur provincial"
        role = f"{title} du mouvement coopératif ({names_by_code[code]})"
        rows.append((k, None, code, people[k], "F" if female[k] else "M", role, 5))
        k += 1
    return rows, representative
