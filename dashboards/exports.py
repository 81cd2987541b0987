"""A chart's data as CSV or Excel, safe to open in a spreadsheet.

Text cells starting with = + - @ (or a tab or carriage return) would run as formulas
in Excel or LibreOffice (CSV/formula injection, OWASP): they go through the one
neutraliser, console.services.spreadsheet_cells. Numbers stay numbers; dates read dd/mm/YYYY.

In the workbook, amounts and counts carry a thousands format and rates a percent format
(NUMBER_FORMATS), and a second sheet « Filtres » states what the figures cover: the user's
scope, the period, the map, the province, value chain and cooperative, the chart's own
controls, and when the file was made.
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
FILTERS_SHEET = "Filtres"

# Cell formats, as stored in the file (locale-neutral codes): a spreadsheet in French shows
# the thousands as spaces (« 1 234 567 », i.e. « # ##0 ») and the decimal comma.
INTEGER = "#,##0"
DECIMAL = "#,##0.0##"
PERCENT = "0.0%"
# Headings of columns holding a rate as a fraction (0.25 = 25 %): « Taux d'écoulement »,
# « Taux » (of tax), « Part vendue ». A heading in points or « (%) » already holds percents.
PERCENT_HEADINGS = ("taux", "part ")
NOT_PERCENT_HEADINGS = ("(%)", "point")


def is_percent_column(heading: str) -> bool:
    """Whether a French column heading names a rate held as a fraction."""
    lowered = heading.lower()
    return lowered.startswith(PERCENT_HEADINGS) and not any(
        word in lowered for word in NOT_PERCENT_HEADINGS
    )


def number_format(value, percent: bool) -> str | None:
    """The cell format of a plain value in a column (None: text, left as is)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if percent:
        return PERCENT
    if isinstance(value, int) or float(value).is_integer():
        return INTEGER
    return DECIMAL


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


def frame_to_xlsx(
    frame: pd.DataFrame, title: str, filters: list[tuple[str, str]] | None = None
) -> bytes:
    """The data sheet (bold headers, numbers, percents and dates formatted), streamed
    (write-only), then the « Filtres » sheet listing ``filters`` as (label, value) rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.append([_bold(sheet, neutralise(str(column))) for column in frame.columns])
    percent = [is_percent_column(str(column)) for column in frame.columns]
    for row in frame.itertuples(index=False):
        cells = []
        for value, in_percent in zip(map(_plain, row), percent, strict=True):
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = (
                    "DD/MM/YYYY HH:MM" if isinstance(value, dt.datetime) else "DD/MM/YYYY"
                )
            elif (code := number_format(value, in_percent)) is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = code
            else:
                cell = value
            cells.append(cell)
        sheet.append(cells)
    if filters is not None:
        described = workbook.create_sheet(title=FILTERS_SHEET)
        described.column_dimensions["A"].width = 24
        described.column_dimensions["B"].width = 60
        described.append([_bold(described, "Filtre"), _bold(described, "Valeur")])
        for label, value in filters:
            described.append([neutralise(label), neutralise(value)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _bold(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True)
    return cell


def _sheet_title(title: str) -> str:
    """Excel sheet names: 31 characters at most, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Données")[:31]
