"""Errors found in an imported file: row, column, value and a French message saying what to fix."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from console.services.spreadsheet_cells import neutralise

# Errors kept in detail (on screen, in the batch log, in the report); all are counted.
KEPT_ERRORS = 10_000
# Notices kept (heading row used, columns ignored, totals rows skipped…).
KEPT_NOTICES = 100


@dataclass(frozen=True)
class RowError:
    """One problem: the file row (1 = header), the column as written, the value, what to fix."""

    row: int | None
    column: str | None
    value: str
    message: str

    def as_list(self) -> list:
        return [self.row, self.column, self.value, self.message]


class FileRefused(Exception):
    """The file as a whole cannot be read (encoding, not a workbook, empty, bad header)."""

    def __init__(self, message: str, errors: list[RowError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or [RowError(None, None, "", message)]


class ErrorLog:
    """Every error of a file, counted; the first KEPT_ERRORS kept in detail."""

    def __init__(self) -> None:
        self.count = 0
        self.kept: list[RowError] = []
        # What the import tells without refusing anything: the heading row it used, the
        # columns it ignored, the totals rows it skipped.
        self.notices: list[str] = []

    def notice(self, message: str) -> None:
        if len(self.notices) < KEPT_NOTICES and message not in self.notices:
            self.notices.append(message)

    def add(self, row: int | None, column: str | None, value, message: str) -> None:
        self.count += 1
        if len(self.kept) < KEPT_ERRORS:
            self.kept.append(RowError(row, column, _shown(value), message))

    def extend(self, errors: list[RowError]) -> None:
        for error in errors:
            self.add(error.row, error.column, error.value, error.message)

    def __bool__(self) -> bool:
        return self.count > 0

    def sorted(self) -> list[RowError]:
        return sorted(self.kept, key=lambda e: (e.row or 0, e.column or ""))


def _shown(value) -> str:
    """The value as the user typed it, shortened for display."""
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "…"


def errors_csv(errors: list[RowError] | list[list], total: int | None = None) -> bytes:
    """The error report as a CSV file for Excel (UTF-8 with BOM, semicolons)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Ligne", "Colonne", "Valeur", "Erreur"])
    shown = 0
    for error in errors:
        row = error.as_list() if isinstance(error, RowError) else list(error)
        # The values are echoed back (the file's, and ours): Excel must show them as text.
        writer.writerow(["" if v is None else neutralise(v) for v in row])
        shown += 1
    if total is not None and total > shown:
        writer.writerow(["", "", "", f"… et {total - shown} autres erreurs non détaillées."])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
