"""The equipment bought by UNDP (PNUD) in June 2023 and what became of it.

Each pioneer that reached "equipped" signed for a tablet and its charger on
30 June 2023 at Gitega. Withdrawn pioneers returned theirs; lost and stolen tablets
were replaced from the spares; damaged ones went to repair, most came back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from stdnum import luhn

from .context import TRAINING_END, Reference, Window, local_to_utc_seconds
from .pilot import Pilot
from .sellers import Sellers

FUNDER = "PNUD"
# kind, count, model, unit cost in BIF, asset-tag code
DEVICE_BATCHES = [
    ("tablet", 60, "Samsung Galaxy Tab A8 (LTE)", 460_000, "TAB"),
    ("tablet", 40, "Lenovo Tab M10 (3e génération, LTE)", 435_000, "TAB"),
    ("charger", 60, "Chargeur USB-C 15 W (Samsung)", 35_000, "CHG"),
    ("charger", 40, "Chargeur USB-C 10 W (Lenovo)", 32_000, "CHG"),
    ("power_bank", 30, "Batterie externe 20 000 mAh", 65_000, "BAT"),
    ("solar_kit", 20, "Kit solaire 50 W (panneau et batterie)", 280_000, "SOL"),
]
# IMEI type-allocation codes used for the demo tablets (fictitious).
TABLET_TAC = {"Samsung": "35291811", "Lenovo": "86754304"}
N_LOST, N_STOLEN, N_DAMAGED, N_REPAIRED = 3, 3, 5, 3
AUDIT_ROUNDS = [(dt.date(2024, 3, 4), 20), (dt.date(2025, 3, 3), 20)]  # first day, working days
LOST_TEXT = "Tablette perdue lors d'un déplacement au marché ; déclaration faite à l'administration communale."
STOLEN_TEXT = "Tablette volée au bureau de la coopérative ; plainte déposée au poste de police."
DAMAGED_TEXT = [
    "Écran fissuré après une chute.",
    "Ne charge plus (connecteur USB-C endommagé).",
    "Batterie gonflée, appareil mis hors service par précaution.",
]
AUDIT_NOTES = [None] * 8 + ["Housse manquante.", "Écran rayé, fonctionne normalement."]


@dataclass
class Inventory:
    """Rows of the four inventory tables."""

    tables: dict[str, pd.DataFrame]


def _devices(rng: np.random.Generator) -> pd.DataFrame:
    """The 250 devices of the June 2023 purchase, all in stock."""
    rows, serials = [], rng.permutation(900_000)[:250] + 100_000
    k = 0
    for kind, count, model, cost, code in DEVICE_BATCHES:
        for j in range(count):
            n = sum(1 for row in rows if row["kind"] == kind) + 1
            if kind == "tablet":
                body = TABLET_TAC[model.split()[0]] + f"{serials[k]:06d}"
                serial = body + luhn.calc_check_digit(body)
            else:
                serial = f"{code}23{model.split()[-1][:3].upper()}{serials[k]:06d}"
            rows.append(
                {
                    "id": k + 1,
                    "asset_tag": f"PNUD-BI-2023-{code}-{n:03d}",
                    "serial": serial,
                    # A tablet's serial is its IMEI in the PNUD's purchase list.
                    "imei": serial if kind == "tablet" else None,
                    "kind": kind,
                    "model": model,
                    "purchase_date": dt.date(2023, 6, 12) + dt.timedelta(days=j % 5),
                    "purchase_cost": cost,
                    "funder": FUNDER,
                    "status": "in_stock",
                    "province_id": None,
                }
            )
            k += 1
    return pd.DataFrame(rows)


def generate_inventory(
    rng: np.random.Generator, ref: Reference, window: Window, sellers: Sellers, pilot: Pilot
) -> Inventory:
    """Devices, assignments, incidents and audits."""
    devices = _devices(rng)
    gitega = ref.province_id("BI-GI")
    devices["province_id"] = gitega
    tablets = list(devices.index[devices.kind == "tablet"])
    chargers = list(devices.index[devices.kind == "charger"])
    equipped = [
        i
        for i in np.flatnonzero(sellers.is_pioneer)
        if pilot.pioneer_status[i] in {"equipped", "active", "withdrawn"}
    ]
    coop_ids, provinces = sellers.ids, sellers.frame["province_id"].to_numpy()
    handover = np.datetime64(local_to_utc_seconds(TRAINING_END, 14), "s")
    assignments: list[dict] = []

    def check_out(device: int, seller: int, at: np.datetime64, note: str) -> dict:
        """Open an assignment and mark the device as handed over."""
        row = {
            "id": len(assignments) + 1,
            "device_id": device + 1,
            "cooperative_id": int(coop_ids[seller]),
            "checked_out_at": at,
            "checked_in_at": None,
            "received_by": pilot.representative[seller],
            "condition_out": "new",
            "condition_in": None,
            "note": note,
        }
        assignments.append(row)
        devices.loc[device, ["status", "province_id"]] = ["assigned", int(provinces[seller])]
        return row

    handover_note = "Remise lors de l'atelier de Gitega (26–30 juin 2023)."
    open_tablet: dict[int, dict] = {}
    for j, seller in enumerate(equipped):
        at = handover + np.timedelta64(3 * j, "m")
        open_tablet[seller] = check_out(tablets[j], seller, at, handover_note)
        check_out(chargers[j], seller, at, handover_note)
    spares = tablets[len(equipped) :]

    # Withdrawn pioneers hand their equipment back; it returns to the Gitega store.
    for seller, day in pilot.withdrawn_on.items():
        back = min(day + dt.timedelta(days=int(rng.integers(3, 12))), window.until)
        for row in assignments:
            if row["cooperative_id"] == coop_ids[seller] and row["checked_in_at"] is None:
                row["checked_in_at"] = np.datetime64(local_to_utc_seconds(back, 11), "s")
                row["condition_in"] = "good"
                row["note"] += " Restituée après le retrait de la coopérative du programme."
                devices.loc[row["device_id"] - 1, ["status", "province_id"]] = ["in_stock", gitega]

    incidents: list[tuple] = []
    holders = [s for s in equipped if s not in pilot.withdrawn_on]
    chosen = rng.choice(holders, N_LOST + N_STOLEN + N_DAMAGED, replace=False)
    first, last = dt.date(2023, 8, 1), window.until - dt.timedelta(days=45)
    days = sorted(
        first + dt.timedelta(days=int(d))
        for d in rng.integers(0, max(1, (last - first).days), len(chosen))
    )
    for k, (seller, day) in enumerate(zip(chosen, days, strict=True)):
        row = open_tablet[seller]
        device = row["device_id"] - 1
        who = pilot.representative[seller]
        if k < N_LOST + N_STOLEN:
            kind = "lost" if k % 2 == 0 else "stolen"
            incidents.append(
                (device + 1, kind, day, who, LOST_TEXT if kind == "lost" else STOLEN_TEXT)
            )
            row["checked_in_at"] = np.datetime64(local_to_utc_seconds(day, 17), "s")
            label = "Perte" if kind == "lost" else "Vol"
            row["note"] += f" Clôturée : {label.lower()} déclaré(e) le {day:%d/%m/%Y}."
            devices.loc[device, "status"] = kind
            replaced = day + dt.timedelta(days=int(rng.integers(14, 35)))
            spare = spares.pop(0)
            open_tablet[seller] = check_out(
                spare,
                seller,
                np.datetime64(local_to_utc_seconds(min(replaced, window.until), 10), "s"),
                f"Remplacement de la tablette {devices.loc[device, 'asset_tag']} ({label.lower()}).",
            )
        else:
            text = DAMAGED_TEXT[k % len(DAMAGED_TEXT)]
            incidents.append((device + 1, "damaged", day, who, text))
            devices.loc[device, "status"] = "in_repair"
            if k - N_LOST - N_STOLEN < N_REPAIRED:
                fixed = min(day + dt.timedelta(days=int(rng.integers(15, 45))), window.until)
                incidents.append(
                    (
                        device + 1,
                        "repaired",
                        fixed,
                        "Atelier de réparation agréé (Bujumbura)",
                        "Réparée et rendue à la coopérative.",
                    )
                )
                devices.loc[device, "status"] = "assigned"

    incident_frame = pd.DataFrame(
        [(k + 1, *row) for k, row in enumerate(sorted(incidents, key=lambda r: (r[2], r[0])))],
        columns=["id", "device_id", "kind", "occurred_on", "reported_by", "description"],
    )
    assignment_frame = pd.DataFrame(assignments)
    audits = _audits(rng, ref, window, sellers, pilot, assignment_frame)
    return Inventory(
        {
            "device": devices,
            "device_assignment": assignment_frame,
            "device_incident": incident_frame,
            "device_audit": audits,
        }
    )


def _audits(
    rng, ref: Reference, window: Window, sellers: Sellers, pilot: Pilot, assignments: pd.DataFrame
):
    """Yearly field checks by the provincial coordinators of most deployed devices."""
    commune_name = ref.communes.set_index("id")["name"]
    province_name = ref.provinces.set_index("id")["name"]
    index_of = {int(cid): i for i, cid in enumerate(sellers.ids)}
    rows = []
    for first_day, working_days in AUDIT_ROUNDS:
        if first_day + dt.timedelta(days=working_days + 10) > window.until:
            continue
        at = np.datetime64(local_to_utc_seconds(first_day, 12), "s")
        out = assignments.checked_out_at.to_numpy()
        back = assignments.checked_in_at.to_numpy()
        for row_out, row_back, row in zip(out, back, assignments.itertuples(), strict=True):
            deployed = row_out <= at and (row_back is None or row_back != row_back or row_back > at)
            if not deployed or rng.random() > 0.9:
                continue
            seller = index_of[row.cooperative_id]
            frame = sellers.frame.iloc[seller]
            commune = commune_name.get(frame.commune_id, province_name[frame.province_id])
            seen = first_day + dt.timedelta(days=int(rng.integers(0, working_days + 8)))
            rows.append(
                (
                    row.device_id,
                    seen,
                    pilot.coordinator[sellers.province_code[seller]],
                    f"{commune}, {province_name[frame.province_id]}",
                    AUDIT_NOTES[int(rng.integers(0, len(AUDIT_NOTES)))],
                )
            )
    rows.sort(key=lambda r: (r[1], r[0]))
    return pd.DataFrame(
        [(k + 1, *r) for k, r in enumerate(rows)],
        columns=["id", "device_id", "seen_on", "seen_by", "location", "note"],
    )
