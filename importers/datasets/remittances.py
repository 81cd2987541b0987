"""Tax remittances to OBR, keyed by the OBR receipt reference."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from console import models as m

from .. import cells
from ..references import code_key
from ..rowwise import RowImporter
from ..schema import Dataset, ParsedRow, column

COLUMNS = (
    column(
        "obr_receipt_ref",
        "Référence de la quittance OBR",
        cells.text(60),
        "quittance, reference quittance, numero de quittance, n° de quittance, n° quittance, reference obr, obr receipt, receipt reference, receipt",
        "OBR-2023-000123",
        required=True,
        help="La clé : une ligne par quittance.",
    ),
    column(
        "cooperative",
        "Coopérative",
        cells.text(200),
        "contribuable, numero d'enregistrement, cooperative, taxpayer",
        "ANACOOP/2021/0042",
        required=True,
    ),
    column(
        "tax_kind",
        "Impôt",
        cells.choice(m.TaxKind, {"retenue": "withholding"}),
        "type d'impot, taxe, tax, tax kind",
        "TVA",
        help="TVA, Retenue à la source ou Autre taxe.",
    ),
    column(
        "period_start",
        "Début de période",
        cells.date,
        "du, periode du, period start",
        "01/04/2023",
        required=True,
    ),
    column(
        "period_end",
        "Fin de période",
        cells.date,
        "au, periode au, period end",
        "30/06/2023",
        required=True,
    ),
    column(
        "amount",
        "Montant",
        cells.money(1, 10**12),
        "montant verse, montant fbu, amount",
        "1 234 567",
        required=True,
        help="Francs entiers.",
    ),
    column(
        "remitted_on",
        "Date de versement",
        cells.date,
        "verse le, date de paiement, remitted on, paid on",
        "14/07/2023",
        required=True,
    ),
)


class RemittanceImporter(RowImporter):
    model = m.TaxRemittance

    def key(self, row: ParsedRow):
        ref = row.values.get("obr_receipt_ref")
        return (code_key(ref),) if ref else None

    def existing(self, keys: Iterable[tuple]) -> dict:
        wanted = {k[0] for k in keys}
        return {
            (code_key(r.obr_receipt_ref),): r
            for r in self.session.scalars(select(m.TaxRemittance))
            if code_key(r.obr_receipt_ref) in wanted
        }

    def values(self, row: ParsedRow, target):
        v = row.values
        cooperative = self.resolve(row, "cooperative", self.refs.cooperative)
        if cooperative is None:
            return None
        if target is not None and target.cooperative_id != cooperative.id:
            self.error(
                row,
                "obr_receipt_ref",
                "Cette quittance est déjà enregistrée pour une autre coopérative.",
            )
            return None
        if v["period_end"] and v["period_start"] and v["period_end"] < v["period_start"]:
            self.error(row, "period_end", "La fin de période précède son début.")
            return None
        if v["remitted_on"] and v["period_start"] and v["remitted_on"] < v["period_start"]:
            self.error(row, "remitted_on", "Le versement précède le début de la période.")
            return None
        values = {k: v[k] for k in ("period_start", "period_end", "amount", "remitted_on")}
        values["tax_kind"] = v.get("tax_kind") or (target.tax_kind if target else m.TaxKind.VAT)
        values["cooperative_id"] = cooperative.id
        if target is None:
            values["obr_receipt_ref"] = v["obr_receipt_ref"]
        return values


DATASET = Dataset(
    kind="remittances",
    label="Versements OBR",
    columns=COLUMNS,
    key=("obr_receipt_ref",),
    resource="RemittanceImportView",
    description="Les quittances de l'OBR : versements des vendeurs, par référence de quittance.",
    importer=RemittanceImporter,
    notes=("Une quittance déjà enregistrée pour une autre coopérative est refusée.",),
)
