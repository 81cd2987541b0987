"""Every export is safe to open in a spreadsheet: text that would run as a formula is made
inert by the one neutraliser, numbers (negative ones included) stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from console.services.mevente.suggestions_export import HEADINGS, suggestions_csv, suggestions_xlsx
from console.services.spreadsheet_cells import neutralise
from console.views.export import _export_cell
from importers.errors import errors_csv

from .conftest import create_user, login
from .console_builders import make_cooperative

HOSTILE = ['=HYPERLINK("http://example.invalid","x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=x"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_would_run_as_a_formula_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [-1500, Decimal("-2.5"), -0.5, 0, "Coop Amahoro", "a=b", None])
def test_numbers_and_ordinary_text_are_left_alone(value):
    assert neutralise(value) == value


def test_list_export_cells_keep_negative_numbers_and_neutralise_text():
    assert _export_cell(-1500) == "-1500"
    assert _export_cell(Decimal("-2.50")) == "-2,50"
    assert _export_cell("-2+3") == "'-2+3"
    # a view's formatter turning a label into hostile text is neutralised too
    assert _export_cell("x", lambda _value: "=1+1") == "'=1+1"


def _csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_cooperative_list_export_writes_hostile_names_as_text(app):
    from console.extensions import db

    with app.app_context():
        make_cooperative(db.session, "BI-GI", name='=HYPERLINK("http://x.invalid","Coop")')
        make_cooperative(db.session, "BI-GI", name="@SUM(A1) coopérative")
        db.session.commit()
    create_user(app, "ministere.export", "Ministère")
    client = app.test_client()
    login(client, "ministere.export")
    rows = _csv_rows(client.get("/cooperativeview/csv/", buffered=True))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://x.invalid","Coop")' in cells
    assert "'@SUM(A1) coopérative" in cells
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)


def _suggestion(**overrides) -> dict:
    record = {key: None for key, _label, _width in HEADINGS}
    record.update(
        seller="=cmd|' /C calc'!A0",
        candidate="+257 79 000 000",
        rank=1,
        listing_price=-1200,
        status_note="@SUM(1)",
        reasons=["-10 km", "même filière"],
    )
    record.update(overrides)
    return record


def test_suggestions_csv_neutralises_names_and_notes_and_keeps_numbers():
    rows = list(
        csv.reader(io.StringIO(suggestions_csv([_suggestion()]).decode("utf-8-sig")), delimiter=";")
    )
    header, row = rows[0], rows[1]
    cell = dict(zip(header, row, strict=True))
    assert cell["Coopérative vendeuse"] == "'=cmd|' /C calc'!A0"
    assert cell["Acheteur proposé"] == "'+257 79 000 000"
    assert cell["Note"] == "'@SUM(1)"
    assert cell["Raisons"].startswith("'-10 km")
    assert cell["Prix de l'offre (FBu)"] == "-1200"


def test_suggestions_xlsx_holds_text_not_formulas_and_numbers_as_numbers():
    sheet = load_workbook(io.BytesIO(suggestions_xlsx([_suggestion()], "Suggestions"))).active
    rows = list(sheet.iter_rows(values_only=True))
    header, row = rows[1], rows[2]
    cell = dict(zip(header, row, strict=True))
    assert cell["Coopérative vendeuse"] == "'=cmd|' /C calc'!A0"
    assert cell["Note"] == "'@SUM(1)"
    assert cell["Prix de l'offre (FBu)"] == -1200
    assert all(c.data_type != "f" for line in sheet.iter_rows() for c in line)


def test_import_error_files_echo_values_as_text():
    text = errors_csv([[3, "Nom", "=1+1", "Formule refusée"]]).decode("utf-8-sig")
    assert "3;Nom;'=1+1;Formule refusée" in text
