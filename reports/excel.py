"""Streaming Excel workbooks: a sheet per section, whole-franc formats, formulas neutralised.

Workbooks are written with ``Workbook(write_only=True)``: rows go to disk as they are
appended, so a million-row section keeps memory flat. Styles are prepared once per
column kind and copied onto cells, since looking a style up per cell is the slow path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MethodType

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from console.services.spreadsheet_cells import neutralise

NUMBER_FORMATS = {
    "francs": '#,##0 "FBu"',
    "int": "#,##0",
    "rate": "0.00 %",
    "percent": "0.0 %",
    "date": "DD/MM/YYYY",
    "datetime": "DD/MM/YYYY HH:MM",
    "quantity": "#,##0.000",
}
DEFAULT_WIDTHS = {
    "text": 24,
    "francs": 16,
    "int": 11,
    "rate": 10,
    "percent": 11,
    "date": 12,
    "datetime": 17,
    "quantity": 13,
}
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E3D")
TITLE_FONT = Font(bold=True, size=13)


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text, int, francs, rate, percent, date, datetime, quantity
    width: float | None = None


@dataclass
class Section:
    """One sheet: a title, typed columns and rows (a list or a generator)."""

    title: str
    columns: list[Column]
    rows: Iterable[Sequence]
    total_rows: int | None = None  # known in advance for long generators: drives progress
    notes: list[str] = field(default_factory=list)  # lines under the table


def _sheet_title(title: str, used: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of []:*?/\\)."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:31].strip() or "Feuille"
    name, n = clean, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


class _Styles:
    """One prepared style per column kind, copied onto each cell."""

    def __init__(self, ws) -> None:
        self.arrays = {}
        for kind, number_format in NUMBER_FORMATS.items():
            cell = WriteOnlyCell(ws)
            cell.number_format = number_format
            self.arrays[kind] = cell._style

    def converter(self, ws, kind: str) -> Callable:
        """A function turning a raw value into what the sheet stores for that kind."""
        style = self.arrays.get(kind)
        if style is None:
            return neutralise

        # One styled cell per column, its value replaced row after row: the write-only
        # sheet serialises each appended row at once, so the cell is free again after.
        cell = Cell(ws, row=1, column=1, style_array=style)

        def convert(value):
            if value is None:
                return None
            if isinstance(value, str):  # a placeholder in a typed column is still text
                return neutralise(value)
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)  # callers pass Bujumbura time
            cell.value = value
            return cell

        return convert


def _values_to_row(self, values, row_idx):
    """openpyxl's ``WriteOnlyWorksheet._values_to_row``, taking prepared cells directly.

    The original first tries each value as plain data and, for a styled cell, builds
    and discards an error message with the cell's repr: a third of the time of a
    styled row. Installed per sheet by :func:`write_workbook`.
    """
    plain = WriteOnlyCell(self)
    for col_idx, value in enumerate(values, 1):
        if value is None:
            continue
        if isinstance(value, Cell):
            cell = value
        else:
            cell = plain
            cell.value = value
        cell.column = col_idx
        cell.row = row_idx
        yield cell


def _header_row(ws, columns: list[Column]) -> list:
    cells = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=neutralise(column.header))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cells.append(cell)
    return cells


def write_workbook(
    target: Path,
    sections: list[Section],
    parameters: list[tuple[str, str]],
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write a ``Paramètres`` sheet then one sheet per section; return the data rows written."""
    wb = Workbook(write_only=True)
    used: set[str] = set()
    _write_parameters(wb, parameters, used)
    expected = sum(s.total_rows or 0 for s in sections) or 1
    written = 0
    for section in sections:
        ws = wb.create_sheet(_sheet_title(section.title, used))
        for index, column in enumerate(section.columns, 1):
            width = column.width or DEFAULT_WIDTHS.get(column.kind, 14)
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        ws._values_to_row = MethodType(_values_to_row, ws)
        styles = _Styles(ws)
        converters = [styles.converter(ws, c.kind) for c in section.columns]
        ws.append(_header_row(ws, section.columns))
        count = 0
        append = ws.append
        for row in section.rows:
            append([convert(value) for convert, value in zip(converters, row, strict=False)])
            count += 1
            if progress is not None and count % 10000 == 0:
                progress(written + count, expected)
        written += count
        last = get_column_letter(len(section.columns))
        ws.auto_filter.ref = f"A1:{last}{count + 1}"
        for note in section.notes:
            ws.append([])
            ws.append([neutralise(note)])
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    if progress is not None:
        progress(expected, expected)
    return written


def _write_parameters(wb: Workbook, parameters: list[tuple[str, str]], used: set[str]) -> None:
    ws = wb.create_sheet(_sheet_title("Paramètres", used))
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 90
    for label, value in parameters:
        if label and not value:
            title = WriteOnlyCell(ws, value=neutralise(label))
            title.font = TITLE_FONT
            ws.append([title])
        else:
            ws.append([neutralise(label), _plain(value)])


def _plain(value):
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, int | Decimal | float):
        return value
    return neutralise(str(value)) if value is not None else None
