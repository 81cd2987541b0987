"""Chart data as CSV and Excel: French headers, dd/mm/YYYY dates, and no formula injection."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from openpyxl import load_workbook

from console.services.spreadsheet_cells import neutralise
from dashboards.exports import frame_to_csv, frame_to_xlsx

HOSTILE = [
    '=HYPERLINK("http://example.invalid")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tcmd",
    "Coopérative « Amahoro »",
]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Vendeur": HOSTILE,
            "Ventes TTC (FBu)": [1234567, 0, -5, 10, 20, 30],
            "Mois": [dt.date(2023, 6, 26)] * 6,
        }
    )


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_made_inert():
    assert [neutralise(v) for v in HOSTILE] == ["'" + v for v in HOSTILE[:5]] + [HOSTILE[5]]
    assert neutralise(-5) == -5  # numbers stay numbers


def test_csv_is_semicolon_separated_utf8_with_french_dates_and_inert_text():
    text = frame_to_csv(_frame()).decode("utf-8")
    assert text.startswith("\ufeffVendeur;Ventes TTC (FBu);Mois\r\n")
    lines = text.splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[1].endswith(";1234567;26/06/2023")
    assert lines[3] == "'-2+3;-5;26/06/2023"
    assert all(not line.startswith(("=", "+", "-", "@")) for line in lines)


def test_xlsx_keeps_numbers_and_dates_typed_and_text_inert():
    sheet = load_workbook(io.BytesIO(frame_to_xlsx(_frame(), "Ventes: top/10"))).active
    assert sheet.title == "Ventes  top 10"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Vendeur", "Ventes TTC (FBu)", "Mois")
    assert rows[1][0] == "'" + HOSTILE[0] and rows[1][1] == 1234567
    assert rows[1][2] == dt.datetime(2023, 6, 26)
    assert sheet["C2"].number_format == "DD/MM/YYYY"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_amounts_counts_and_rates_carry_number_and_percent_formats():
    from dashboards.exports import INTEGER, PERCENT

    frame = pd.DataFrame(
        {
            "Filière": ["Café", "Riz"],
            "Valeur vendue (FBu)": [1234567, 89],
            "Offres en ligne": [12.0, 3.0],  # counts that pandas made float (a NaN elsewhere)
            "Taux d'écoulement": [0.25, None],
            "Taux d'écoulement du premier mois (%)": [25.5, 12.25],
            "Quantité": [1.5, 2.125],
        }
    )
    filters = [("Périmètre", "Provinces : Gitega"), ("Période", "janv. 2025 – juin 2025")]
    workbook = load_workbook(io.BytesIO(frame_to_xlsx(frame, "Filières", filters)))
    data = workbook["Filières"]
    assert data["A2"].number_format == "General"
    assert (data["B2"].value, data["B2"].number_format) == (1234567, INTEGER)
    assert data["C2"].number_format == INTEGER
    assert (data["D2"].value, data["D2"].number_format) == (0.25, PERCENT)
    assert data["D3"].value is None
    # Already in percents (points): a plain number, not multiplied by 100 again.
    assert data["E2"].number_format not in (PERCENT, "General")
    assert (data["F3"].value, data["F3"].number_format) == (2.125, data["E2"].number_format)
    assert workbook.sheetnames == ["Filières", "Filtres"]
    rows = list(workbook["Filtres"].iter_rows(values_only=True))
    assert rows == [("Filtre", "Valeur"), *filters]
