"""Blank files to fill in, one per dataset: CSV (Excel-friendly) and XLSX with a help sheet."""

from __future__ import annotations

import csv
import io

from .schema import Dataset


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
        data.column_dimensions[data.cell(1, index).column_letter].width = max(14, len(column.header) + 4)
        # Text columns stay text in Excel (no automatic dates or numbers on codes).
        if column.key in dataset.key or "text" in getattr(column.parse, "__qualname__", ""):
            data.column_dimensions[data.cell(1, index).column_letter].number_format = "@"
    help_sheet = workbook.create_sheet("Aide")
    help_sheet.append(["Colonne", "Obligatoire", "Autres intitulés acceptés", "Ce qu'il faut écrire", "Exemple"])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for column in dataset.columns:
        help_sheet.append([column.header, "oui" if column.required else "non", ", ".join(column.aliases),
                           column.help, column.example])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
