"""The suggestions sheet a coordinator takes to a meeting: XLSX or CSV, French headings.

One row per suggestion: the seller and its unsold stock, the candidate buyer, the
figures behind the ranking (one reason per line of the cell), the status and the sale.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from console.formatting import format_date, format_datetime
from console.services.spreadsheet_cells import neutralise

HEADINGS = [
    ("seller_province", "Province du vendeur", 18),
    ("seller", "Coopérative vendeuse", 30),
    ("seller_phone", "Téléphone vendeur", 16),
    ("category", "Produit invendu", 22),
    ("unsold_quantity", "Quantité invendue", 12),
    ("unit", "Unité", 8),
    ("listing_price", "Prix de l'offre (FBu)", 14),
    ("oldest_listed_at", "En vente depuis", 14),
    ("rank", "Rang", 6),
    ("candidate", "Acheteur proposé", 30),
    ("candidate_kind", "Type d'acheteur", 18),
    ("candidate_province", "Province de l'acheteur", 18),
    ("candidate_phone", "Téléphone acheteur", 16),
    ("distance_km", "Distance (km)", 10),
    ("score", "Score", 8),
    ("reasons", "Raisons", 70),
    ("status_label", "Statut", 12),
    ("status_changed_by", "Statut changé par", 16),
    ("status_changed_at", "Le", 16),
    ("status_note", "Note", 30),
    ("order_reference", "Commande liée", 18),
]
CSV_DELIMITER = ";"  # French spreadsheets read ";" between fields and "," as decimal mark


def _plain(column: str, value):
    """A cell's value for the sheet: dates in Bujumbura time, reasons one per line, and
    text inert in a spreadsheet (names come from the marketplace, notes from users)."""
    if value is None:
        return None
    if column == "reasons":
        return neutralise("\n".join(value))
    if column == "oldest_listed_at":
        return format_date(value)
    if column == "status_changed_at":
        return format_datetime(value)
    if isinstance(value, Decimal):
        return float(value) if column == "score" else value
    return neutralise(value)


def suggestions_xlsx(records: list[dict], title: str) -> bytes:
    """An XLSX workbook of the suggestions (streamed rows, flat memory)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Suggestions")
    for index, (_key, _label, width) in enumerate(HEADINGS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    heading = WriteOnlyCell(sheet, value=title)
    heading.font = Font(bold=True, size=13)
    sheet.append([heading])
    header = []
    for _key, label, _width in HEADINGS:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    for record in records:
        row = []
        for key, _label, _width in HEADINGS:
            cell = WriteOnlyCell(sheet, value=_plain(key, record.get(key)))
            cell.alignment = wrap
            if key == "listing_price":
                cell.number_format = "#,##0"
            row.append(cell)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def suggestions_csv(records: list[dict]) -> bytes:
    """A CSV file of the suggestions (UTF-8 with BOM so Excel reads the accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER)
    writer.writerow([label for _key, label, _width in HEADINGS])
    for record in records:
        cells = []
        for key, _label, _width in HEADINGS:
            value = _plain(key, record.get(key))
            if key == "reasons" and value:
                value = value.replace("\n", " ; ")
            if isinstance(value, Decimal | float):
                value = (
                    format(value, "f").replace(".", ",")
                    if isinstance(value, Decimal)
                    else str(value).replace(".", ",")
                )
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
