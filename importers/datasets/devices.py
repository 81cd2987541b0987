"""Devices (tablets and accessories), keyed by asset tag and serial number."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from console import models as m

from .. import cells
from ..references import OUT_OF_SCOPE, code_key
from ..rowwise import RowImporter
from ..schema import Dataset, ParsedRow, column

COLUMNS = (
    column(
        "asset_tag",
        "Numéro d'inventaire",
        cells.text(40),
        "etiquette, n° inventaire, n° d'inventaire, numero inventaire, asset tag, tag",
        "PNUD-TAB-0042",
        required=True,
        help="Étiquette d'inventaire unique ; avec le numéro de série, c'est la clé.",
    ),
    column(
        "serial",
        "Numéro de série",
        cells.text(60),
        "serie, n° de serie, serial, serial number",
        "R58N12ABCDE",
        required=True,
    ),
    column(
        "imei",
        "IMEI",
        cells.imei,
        "n° imei, numero imei, imei number",
        "352099001761481",
        help="15 chiffres (composez *#06# sur la tablette) ; le dernier est un chiffre de contrôle.",
    ),
    column(
        "kind",
        "Type",
        cells.choice(m.DeviceKind, {"tablette": "tablet", "batterie": "power_bank"}),
        "type d'equipement, kind, device type",
        "Tablette",
        required=True,
        help="Tablette, Chargeur, Housse, Batterie externe, Kit solaire ou Autre.",
    ),
    column("model", "Modèle", cells.text(80), "modele, model", "Galaxy Tab A8"),
    column("purchase_date", "Date d'achat", cells.date, "achete le, purchase date", "15/05/2023"),
    column(
        "purchase_cost",
        "Coût d'achat",
        cells.money(0, 10**9),
        "cout, prix d'achat, purchase cost, cost",
        "450 000",
        help="Francs entiers.",
    ),
    column("funder", "Bailleur", cells.text(80), "financement, funder, donor", "PNUD"),
    column(
        "status",
        "Statut",
        cells.choice(m.DeviceStatus, {"affecte": "assigned", "attribue": "assigned"}),
        "etat, status",
        "En stock",
        help="En stock, Remis, En réparation, Perdu, Volé ou Réformé.",
    ),
    column(
        "province",
        "Province",
        cells.text(80),
        "province code",
        "Gitega",
        help="Province où l'équipement est détenu (nom ou code, l'une ou l'autre carte).",
    ),
)


class DeviceImporter(RowImporter):
    model = m.Device

    def key(self, row: ParsedRow):
        tag, serial = row.values.get("asset_tag"), row.values.get("serial")
        return (code_key(tag), code_key(serial)) if tag and serial else None

    def existing(self, keys: Iterable[tuple]) -> dict:
        self._keys = list(keys)
        self._by_tag, self._by_serial, self._by_imei = {}, {}, {}
        for device in self.session.scalars(select(m.Device)):
            self._by_tag[code_key(device.asset_tag)] = device
            self._by_serial[code_key(device.serial)] = device
            if device.imei:
                self._by_imei[device.imei] = (device.asset_tag, device)
        return {
            k: self._by_tag[k[0]]
            for k in self._keys
            if k[0] in self._by_tag and self._by_tag[k[0]] is self._by_serial.get(k[1])
        }

    def values(self, row: ParsedRow, target):
        v = row.values
        tag, serial = code_key(v["asset_tag"] or ""), code_key(v["serial"] or "")
        ok = True
        if target is None:
            # Half a key matching another device is a conflict, not a new device.
            other = self._by_tag.get(tag)
            if other is not None:
                self.error(
                    row,
                    "serial",
                    (
                        f"Ce numéro d'inventaire est déjà enregistré avec le numéro de série {other.serial}."
                    ),
                )
                ok = False
            other = self._by_serial.get(serial)
            if other is not None:
                self.error(
                    row,
                    "asset_tag",
                    (
                        f"Ce numéro de série est déjà enregistré sous le numéro d'inventaire {other.asset_tag}."
                    ),
                )
                ok = False
        imei = v.get("imei")
        # imei → (asset tag, device): the devices stored, then those of earlier lines.
        holder_tag, holder = self._by_imei.get(imei, (None, None)) if imei else (None, None)
        if holder_tag is not None and (holder is None or holder is not target):
            self.error(row, "imei", f"Cet IMEI est déjà celui de l'équipement {holder_tag}.")
            ok = False
        elif imei:
            self._by_imei[imei] = (v["asset_tag"], target)
        province = self.resolve(row, "province", self.refs.province)
        if row.raw.get("province") not in (None, "") and province is None:
            ok = False
        if self.refs.allowed_province_ids is not None:
            if province is None or not self.refs.province_allowed(province.id):
                self.error(row, "province", OUT_OF_SCOPE)
                ok = False
            if target is not None and not self.refs.province_allowed(target.province_id):
                self.error(
                    row, "asset_tag", "Cet équipement est enregistré hors de votre périmètre."
                )
                ok = False
        if not ok:
            return None
        values = {
            k: v[k]
            for k in ("kind", "model", "purchase_date", "purchase_cost", "funder", "status", "imei")
            if v.get(k) is not None
        }
        if province is not None:
            values["province_id"] = province.id
        if target is None:
            values.update(asset_tag=v["asset_tag"], serial=v["serial"])
        return values


DATASET = Dataset(
    kind="devices",
    label="Équipements",
    columns=COLUMNS,
    key=("asset_tag", "serial"),
    resource="DeviceImportView",
    description="L'inventaire des tablettes et accessoires, par numéro d'inventaire et numéro de série.",
    create_permission=("can_add", "DeviceView"),
    importer=DeviceImporter,
    notes=(
        "Un numéro d'inventaire ou de série déjà associé à un autre équipement est une erreur.",
        "Un coordinateur doit indiquer la province, qui doit être l'une des siennes.",
    ),
)
