"""A chart's data as CSV or Excel, safe to open in a spreadsheet.

Text cells starting with = + - @ (or a tab or carriage return) would run as formulas
in Excel or LibreOffice (CSV/formula injection, OWASP): they go through the one
neutraliser, console.services.spreadsheet_cells. Numbers stay numbers; dates read dd/mm/YYYY.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from console.services.spreadsheet_cells import neutralise

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plain(value):
    """A cell value openpyxl and csv understand (numpy and pandas scalars unwrapped)."""
    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, str | Decimal):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return neutralise(value)


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """Semicolon-separated UTF-8 with BOM: what French Excel opens without a wizard."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        cells = []
        for value in map(_plain, row):
            if isinstance(value, dt.datetime):
                value = value.strftime("%d/%m/%Y %H:%M")
            elif isinstance(value, dt.date):
                value = value.strftime("%d/%m/%Y")
            elif isinstance(value, float | Decimal):
                value = str(value).replace(".", ",")
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def frame_to_xlsx(frame: pd.DataFrame, title: str) -> bytes:
    """One sheet, bold headers, dates formatted dd/mm/YYYY, streamed (write-only)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    header = []
    for column in frame.columns:
        cell = WriteOnlyCell(sheet, value=neutralise(str(column)))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in frame.itertuples(index=False):
        cells = []
        for value in map(_plain, row):
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = (
                    "DD/MM/YYYY HH:MM" if isinstance(value, dt.datetime) else "DD/MM/YYYY"
                )
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Excel sheet names: 31 characters at most, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Données")[:31]
