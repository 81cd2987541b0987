"""Blank files to fill in, one per dataset: CSV (Excel-friendly) and XLSX with a help sheet."""

from __future__ import annotations

import csv
import io

from .schema import Dataset

# What every file may hold, said on the « Aide » sheet of every template (importers/README.md).
FILE_RULES = (
    "Des lignes de titre peuvent précéder la ligne d'en-têtes : elle est cherchée parmi les 10 premières lignes.",
    "Les intitulés sont reconnus sans tenir compte des majuscules, des accents ni d'une unité entre "
    "parenthèses (« Prix unitaire (FBu) »). Une colonne inconnue (« N° », « Observations ») est ignorée.",
    "« - », « – », « N/A », « néant » et « RAS » valent une cellule vide.",
    "Les montants sont en francs entiers ; « FBu » ou « BIF » après le nombre sont acceptés.",
    "Une ligne de totaux (« TOTAL ») est ignorée. Collez des valeurs, pas des formules.",
)


def blank_csv(dataset: Dataset) -> bytes:
    """The header row, UTF-8 with BOM and semicolons, as French Excel expects."""
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerow([c.header for c in dataset.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def blank_xlsx(dataset: Dataset) -> bytes:
    """A workbook: sheet « Données » with the headers, sheet « Aide » explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    data = workbook.active
    data.title = "Données"
    data.append([c.header for c in dataset.columns])
    for cell in data[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(dataset.columns, start=1):
        data.column_dimensions[data.cell(1, index).column_letter].width = max(
            14, len(column.header) + 4
        )
        # Text columns stay text in Excel (no automatic dates or numbers on codes).
        if column.key in dataset.key or "text" in getattr(column.parse, "__qualname__", ""):
            data.column_dimensions[data.cell(1, index).column_letter].number_format = "@"
    help_sheet = workbook.create_sheet("Aide")
    help_sheet.append(
        ["Colonne", "Obligatoire", "Autres intitulés acceptés", "Ce qu'il faut écrire", "Exemple"]
    )
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for column in dataset.columns:
        help_sheet.append(
            [
                column.header,
                "oui" if column.required else "non",
                ", ".join(column.aliases),
                column.help,
                column.example,
            ]
        )
    help_sheet.append([])
    for rule in FILE_RULES:
        help_sheet.append([rule])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
