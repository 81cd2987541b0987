"""Cells safe to open in a spreadsheet: the one neutraliser every export calls.

Text beginning with = + - @ (or a tab or carriage return) runs as a formula, or a DDE
command, when Excel or LibreOffice opens the file (OWASP "CSV injection"). Every CSV and
XLSX the console writes (list exports, suggestions, dashboards' charts, reports, import
error files) passes its text cells through :func:`neutralise`, which puts an apostrophe
in front: the spreadsheet shows the text as typed and never evaluates it. Numbers are
not text: a negative amount stays a number.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """``value`` unchanged unless it is text a spreadsheet would run; then '-prefixed."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
