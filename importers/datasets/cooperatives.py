"""Cooperatives (and individual entrepreneurs), keyed by registration number."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from console import models as m

from .. import cells
from ..references import OUT_OF_SCOPE, code_key
from ..rowwise import RowImporter
from ..schema import Dataset, ParsedRow, column

COLUMNS = (
    column(
        "registration_number",
        "Numéro d'enregistrement",
        cells.text(40),
        "numero, n° d'enregistrement, numero anacoop, n° anacoop, matricule, registration number, registration no, reg number",
        "ANACOOP/2021/0042",
        required=True,
        help="Numéro ANACOOP : la clé de la coopérative (une ligne par numéro).",
    ),
    column(
        "name",
        "Nom",
        cells.text(200),
        "nom de la cooperative, raison sociale, cooperative, name",
        "Coopérative Dukorere Hamwe",
        required=True,
    ),
    column("acronym", "Sigle", cells.text(40), "acronyme, acronym", "CODUHA"),
    column(
        "seller_kind",
        "Type de vendeur",
        cells.choice(m.SellerKind, {"entrepreneur": "entrepreneur"}),
        "type, seller kind, kind",
        "Coopérative",
        help="Coopérative ou Entrepreneur individuel.",
    ),
    column(
        "category",
        "Catégorie",
        cells.choice(
            m.CooperativeCategory,
            {
                "agriculture": "production",
                "elevage": "production",
                "commercialisation": "marketing",
                "consommation": "marketing",
                "epargne": "savings_credit",
                "mines": "mining",
            },
        ),
        "categorie de cooperative, category",
        "Production",
        help="Catégorie de la loi n°1/12 du 28 juin 2017 (Production, Services…).",
    ),
    column(
        "province",
        "Province",
        cells.text(80),
        "province code",
        "Kirundo",
        required=True,
        help=(
            "Nom ou code ISO (BI-GI), carte de 2015 ou de 2025 ; un nom présent sur les "
            "deux cartes (Gitega) désigne la province de 2015."
        ),
    ),
    column(
        "commune",
        "Commune",
        cells.text(80),
        "municipality",
        "Busoni",
        help="Commune de la carte de 2025 ; obligatoire si la province est de la carte de 2025.",
    ),
    column(
        "founded_on",
        "Date de création",
        cells.date,
        "date creation, creee le, founded on, founded",
        "26/06/2019",
    ),
    column(
        "members_total",
        "Membres",
        cells.integer(0, 100_000),
        "nombre de membres, membres total, members, members total",
        "35",
    ),
    column(
        "members_women",
        "Membres femmes",
        cells.integer(0, 100_000),
        "femmes, women, members women",
        "20",
    ),
    column(
        "members_youth",
        "Membres jeunes",
        cells.integer(0, 100_000),
        "jeunes, youth, members youth",
        "8",
    ),
    column(
        "nif", "NIF", cells.text(20), "numero d'identification fiscale, tax id, tin", "4000123456"
    ),
    column(
        "trade_register_number",
        "Registre de commerce",
        cells.text(40),
        "rc, numero rc, trade register, trade register number",
        "RC/GI/2020/117",
    ),
    column(
        "vat_registered",
        "Assujetti TVA",
        cells.boolean,
        "assujetti a la tva, tva, vat registered, vat",
        "non",
    ),
    column(
        "status",
        "Statut",
        cells.choice(m.CooperativeStatus, {"dissous": "dissolved"}),
        "status",
        "Active",
        help="Active, Suspendue ou Dissoute (Actif, Suspendu… acceptés).",
    ),
    column("is_pioneer", "Pionnière", cells.boolean, "pionniere, pioneer", "oui"),
    column(
        "contact_name",
        "Contact",
        cells.text(120),
        "personne de contact, contact name",
        "Jeanne Niyonzima",
    ),
    column(
        "phone",
        "Téléphone",
        cells.phone,
        "tel, telephone, n° de telephone, phone",
        "+257 79 123 456",
        help="Enregistré sous une seule forme : +257 et huit chiffres (79 12 34 56 → +25779123456).",
    ),
    column(
        "email",
        "Courriel",
        cells.email,
        "e-mail, email, mail, adresse e-mail, adresse email, adresse electronique",
        "contact@coduha.bi",
    ),
)

PLAIN = (
    "name",
    "acronym",
    "seller_kind",
    "category",
    "founded_on",
    "members_total",
    "members_women",
    "members_youth",
    "nif",
    "trade_register_number",
    "vat_registered",
    "status",
    "is_pioneer",
    "contact_name",
    "phone",
    "email",
)


class CooperativeImporter(RowImporter):
    model = m.Cooperative

    def key(self, row: ParsedRow):
        number = row.values.get("registration_number")
        return (code_key(number),) if number else None

    def existing(self, keys: Iterable[tuple]) -> dict:
        wanted = {k[0] for k in keys}
        found = self.session.scalars(select(m.Cooperative))
        return {
            (code_key(c.registration_number),): c
            for c in found
            if code_key(c.registration_number) in wanted
        }

    def values(self, row: ParsedRow, target):
        v = row.values
        ok = True
        location = self._location(row)
        if location is None:
            ok = False
        else:
            province_id, province_2025_id, commune_id = location
            if not self.refs.province_allowed(province_id, province_2025_id):
                self.error(row, "province", OUT_OF_SCOPE)
                ok = False
        if ok and target is not None and not self.refs.cooperative_allowed(target.id):
            self.error(
                row,
                "registration_number",
                ("Ce numéro appartient à une coopérative hors de votre périmètre."),
            )
            ok = False
        total = v.get("members_total")
        total = total if total is not None else (target.members_total if target else None)
        for part in ("members_women", "members_youth"):
            if v.get(part) is not None and total is not None and v[part] > total:
                self.error(row, part, f"Supérieur au nombre total de membres ({total}).")
                ok = False
        if v.get("nif"):
            owner = self._nif_owner(v["nif"])
            if owner is not None and (target is None or owner != target.id):
                self.error(row, "nif", "Ce NIF est déjà celui d'une autre coopérative.")
                ok = False
        if not ok:
            return None
        values = {k: v[k] for k in PLAIN if k in row.values and v[k] is not None}
        values.update(province_id=province_id, province_2025_id=province_2025_id)
        if commune_id is not None:
            values["commune_id"] = commune_id
        if target is None:
            values["registration_number"] = v["registration_number"]
        return values

    def _location(self, row: ParsedRow):
        """(2015 province, 2025 province, commune) from the province and commune cells.

        The commune decides: its former province is the 2015 one, its province the 2025
        one. A province cell that names another province is an error naming both, so a
        wrong province cell can never file a cooperative under another province.
        """
        province = self.resolve(row, "province", self.refs.province)
        commune = self.resolve(row, "commune", self.refs.commune)
        if province is None or (not cells.is_blank(row.raw.get("commune")) and commune is None):
            return None
        if commune is not None:
            commune_id, commune_province, former = commune
            expected = former if province.map_version == "2015" else commune_province
            if expected is not None and province.id != expected:
                self.error(
                    row,
                    "province",
                    (
                        f"La commune {self.refs.commune_name(commune_id)} est dans la province "
                        f"{self.refs.province_by_id(expected).name} (carte de {province.map_version}), "
                        f"pas dans {province.name} : corrigez la province ou la commune."
                    ),
                )
                return None
            if (
                former is None
                and province.map_version == "2015"
                and commune_province != province.successor_id
            ):
                self.error(
                    row, "commune", f"Cette commune n'est pas dans la province {province.name}."
                )
                return None
            if province.map_version == "2015":
                return province.id, commune_province, commune_id
            return former, province.id, commune_id
        if province.map_version == "2025":
            self.error(
                row,
                "commune",
                (
                    f"Commune obligatoire : {province.name} est une province de 2025 ; la commune "
                    "donne la province de 2015."
                ),
                value="",
            )
            return None
        return province.id, province.successor_id, None

    def _nif_owner(self, nif: str) -> int | None:
        cache = self.__dict__.get("_nifs")
        if cache is None:
            rows = self.session.execute(
                select(m.Cooperative.nif, func.min(m.Cooperative.id))
                .where(m.Cooperative.nif.is_not(None))
                .group_by(m.Cooperative.nif)
            )
            cache = self.__dict__["_nifs"] = {code_key(n): i for n, i in rows}
        return cache.get(code_key(nif))


DATASET = Dataset(
    kind="cooperatives",
    label="Coopératives",
    columns=COLUMNS,
    key=("registration_number",),
    resource="CooperativeImportView",
    description="Le registre des coopératives et entrepreneurs : création et mise à jour par numéro d'enregistrement.",
    create_permission=("can_add", "CooperativeView"),
    importer=CooperativeImporter,
    notes=(
        "Une cellule vide laisse la valeur enregistrée telle quelle (elle ne l'efface pas).",
        "Un coordinateur provincial n'importe que des coopératives de ses provinces.",
    ),
)
