"""The order lines import by columns and chunks: same values, same errors, same writes as row by row."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.models.imports import ImportOutcome
from importers import cells
from importers.cell_arrays import LOCAL_OFFSET_S, micros_to_datetime, parse_column
from importers.datasets.orders import COLUMNS
from importers.errors import FileRefused
from importers.reading import inspect_file, iter_data_chunks, iter_rows

from .conftest import create_user
from .import_support import COOPERATIVES_CSV, PRODUCTS_CSV, fingerprint, run_as, write_file

FAST = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
PARSERS = {c.key: c.parse for c in COLUMNS}
HEADER = "Référence de commande;Ligne;Date de commande;Vendeur;Acheteur;Statut;SKU;Quantité;Prix unitaire\n"


# -- the column parsers -------------------------------------------------------------------


def _row_wise(parse, cell):
    try:
        return parse(cell), None
    except cells.CellError as exc:
        return None, str(exc)


def _column_values(parse, raw: list) -> list:
    """(value, error) per cell from parse_column, values converted back to the row-wise types."""
    array = np.empty(len(raw), dtype=object)
    array[:] = raw
    parsed = parse_column(parse, array, texts=all(isinstance(c, str) or c is None for c in raw))
    out = []
    for code in parsed.codes.tolist():
        if parsed.errors[code] is not None or not parsed.present[code]:
            out.append((None, parsed.errors[code]))
        elif parsed.values is not None:
            out.append((parsed.values[code], None))
        else:
            out.append((_typed(int(parsed.numbers[code]), parsed.spec), None))
    return out


def _typed(number: int, spec: cells.ParserSpec):
    """A parse_column number as the row-wise parser's value."""
    if spec.kind == "decimal":
        return Decimal(number).scaleb(-spec.places)
    if spec.kind == "datetime":
        return micros_to_datetime(number)
    return number


NUMBER_TEXT = st.text(alphabet="0123456789 ,.-\u00a0\u202f\u2009x", min_size=0, max_size=16)
DATE_TEXT = st.one_of(
    st.builds(
        lambda d, m, y, s1, s2: f"{d:02d}{s1}{m:02d}{s2}{y}",
        st.integers(0, 32),
        st.integers(0, 13),
        st.integers(1900, 2150),
        st.sampled_from("/.-x"),
        st.sampled_from("/.-"),
    ),
    st.builds(
        lambda d, m, y, h, mi, sep: f"{d:02d}/{m:02d}/{y} {h:02d}{sep}{mi:02d}",
        st.integers(1, 31),
        st.integers(1, 12),
        st.integers(1949, 2101),
        st.integers(0, 25),
        st.integers(0, 61),
        st.sampled_from(":h"),
    ),
    st.builds(
        lambda y, m, d, h, mi, s, t: f"{y}-{m:02d}-{d:02d}{t}{h:02d}:{mi:02d}:{s:02d}",
        st.integers(1949, 2101),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 24),
        st.integers(0, 60),
        st.integers(0, 60),
        st.sampled_from(" T"),
    ),
    st.text(alphabet="0123456789/-.: Th", max_size=20),
)
WORKBOOK_CELL = st.one_of(
    st.integers(-5, 10**7),
    st.floats(-10, 10**6, allow_nan=False),
    st.booleans(),
    st.datetimes(dt.datetime(1940, 1, 1), dt.datetime(2110, 1, 1)),
    st.none(),
)


@FAST
@given(
    key=st.sampled_from(["quantity", "unit_price", "line_no", "net", "tax_rate"]),
    raw=st.lists(
        st.one_of(NUMBER_TEXT, st.sampled_from(["1 234,5", "54 713", "12,5", "1.500", "0", ""])),
        max_size=30,
    ),
)
def test_number_columns_parse_like_the_row_wise_parsers(key, raw):
    parse = PARSERS[key]
    assert _column_values(parse, raw) == [_row_wise(parse, cell) for cell in raw]


@FAST
@given(raw=st.lists(DATE_TEXT, max_size=30))
def test_date_columns_parse_like_the_row_wise_parser(raw):
    parse = PARSERS["placed_at"]
    assert _column_values(parse, raw) == [_row_wise(parse, cell) for cell in raw]


@FAST
@given(
    key=st.sampled_from(
        ["placed_at", "quantity", "unit_price", "status", "prices_include_tax", "order_reference"]
    ),
    raw=st.lists(WORKBOOK_CELL, max_size=20),
)
def test_workbook_cells_of_any_type_parse_like_the_row_wise_parsers(key, raw):
    parse = PARSERS[key]
    assert _column_values(parse, raw) == [_row_wise(parse, cell) for cell in raw]


def test_bujumbura_is_two_hours_ahead_of_utc_over_every_plausible_date():
    assert LOCAL_OFFSET_S == 7200


# -- reading by chunks --------------------------------------------------------------------

CSV_PIECES = st.sampled_from(
    ["a;b", "1;2", "é;\u202f", " ; ", ";", "", '"x\ny";z', '"q";"r"', '"bad;c', "a;b;c", "x"]
)


@FAST
@given(
    pieces=st.lists(CSV_PIECES, max_size=25),
    newline=st.sampled_from(["\n", "\r\n"]),
    tail=st.booleans(),
    block=st.sampled_from([1, 4, 9, 1 << 20]),
    size=st.sampled_from([1, 3, 50]),
)
def test_reading_by_chunks_gives_the_rows_and_numbers_of_the_row_reader(
    pieces, newline, tail, block, size
):
    body = "H1;H2" + newline + newline.join(pieces) + (newline if tail else "")
    path = write_file(body, "f.csv")
    facts = inspect_file(path)
    expected, got = [], []
    try:
        expected.extend(list(iter_rows(path, facts))[1:])
    except FileRefused as exc:
        expected.append(("refused", exc.message))
    try:
        for chunk in iter_data_chunks(path, facts, size, block=block):
            rows = (
                chunk.rows
                if chunk.rows is not None
                else [list(r) for r in zip(*chunk.columns, strict=True)]
            )
            got.extend(zip(chunk.numbers.tolist(), rows, strict=True))
    except FileRefused as exc:
        got.append(("refused", exc.message))
    if expected and expected[-1][0] == "refused":
        # The row reader stops at the broken row; rows read before it are the same.
        assert got[-1] == expected[-1] and got[: len(expected) - 1] == expected[:-1]
    else:
        assert got == expected


# -- importing ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(app):
    create_user(app, "ministere", "Ministère")
    for kind, content in (("cooperatives", COOPERATIVES_CSV), ("products", PRODUCTS_CSV)):
        assert run_as(app, kind, content, username="ministere").outcome == ImportOutcome.APPLIED
    return app


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 3 rows and read blocks of 40 characters: every check crosses chunk borders."""
    monkeypatch.setattr("importers.orders_bulk.CHUNK_ROWS", 3)
    monkeypatch.setattr("importers.reading.BLOCK", 40)
    monkeypatch.setattr("importers.reading.iter_data_chunks.__defaults__", (40, 1))


def _errors(result):
    return [(e.row, e.column, e.value, e.message) for e in result.errors]


def test_errors_across_chunks_are_those_of_the_row_by_row_import(loaded, small_chunks):
    content = HEADER + (
        "X-1;1;26/06/2023 14:05;ANACOOP/KI/001;Hôtel du Lac;Livrée;KI-HAR-001;12,5;2 900\n"
        "X-2;1;26/06/2023;ANACOOP/GI/002;A;Passée;GI-LAI-001;1;100\n"
        "X-3;1;31/02/2023;ANACOOP/GI/002;A;Passée;GI-LAI-001;1;100\n"
        "X-4;1;26/06/2023;ANACOOP/GI/002;A;Passée;ZZ-000;1;100\n"
        "X-1;2;26/06/2023 14:05;ANACOOP/KI/001;Hôtel du Lac;Passée;KI-FOY-002;1;25 000\n"
        "X-2;1;26/06/2023;ANACOOP/GI/002;A;Passée;GI-LAI-001;2;100\n"
        "X-5;1;26/06/2023;;A;Passée;GI-LAI-001;1;100\n"
        "X-6;1;26/06/2023;ANACOOP/GI/002;A;Passée;=SKU;1;100\n"
    )
    before = fingerprint(loaded)
    result = run_as(loaded, "orders", content, username="ministere")
    assert result.outcome == ImportOutcome.REJECTED
    assert _errors(result) == [
        (
            4,
            "Date de commande",
            "31/02/2023",
            "Date impossible (31/02/2023) : vérifiez le jour et le mois.",
        ),
        (5, "SKU", "ZZ-000", "Produit (SKU) inconnu : importez d'abord le produit."),
        (
            6,
            "Statut",
            "",
            "Diffère de la ligne 2 de la même commande : toutes les lignes d'une commande "
            "doivent porter la même valeur.",
        ),
        (
            7,
            "Ligne",
            "X-2 / 1",
            "Doublon dans le fichier : même Référence de commande + Ligne que la ligne 3.",
        ),
        (8, "Vendeur", "", "Valeur obligatoire manquante."),
        (
            9,
            "SKU",
            "=SKU",
            "Formule refusée : un texte ne peut pas commencer par =, +, - ou @ "
            "(retirez ce caractère ou collez la valeur comme texte).",
        ),
    ]
    assert fingerprint(loaded) == before


def test_the_error_log_keeps_the_first_errors_in_file_order(loaded, small_chunks, monkeypatch):
    monkeypatch.setattr("importers.errors.KEPT_ERRORS", 3)
    content = HEADER + "".join(
        f"K-{n};1;26/06/2023;ANACOOP/GI/002;A;Passée;GI-LAI-001;{'x' if n % 2 else 1};100\n"
        for n in range(9)
    )
    content += (
        "K-0;1;26/06/2023;ANACOOP/GI/002;A;Passée;GI-LAI-001;1;100\n"  # a duplicate, found last
    )
    result = run_as(loaded, "orders", content, username="ministere")
    assert result.error_count == 5
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "Quantité"),
        (5, "Quantité"),
        (7, "Quantité"),
    ]


def test_an_invalid_optional_value_is_reported_and_the_line_still_checked(loaded):
    content = HEADER + (
        "Y-1;1;26/06/2023;ANACOOP/GI/002;A;Livrée;GI-LAI-001;1;100\n"
        "Y-1;2;26/06/2023;ANACOOP/GI/002;A;zzz;GI-LAI-001;1;100\n"
    )
    result = run_as(loaded, "orders", content, username="ministere")
    assert [(e.row, e.column, e.message[:20]) for e in result.errors] == [
        (3, "Statut", "Valeur inconnue : ch"),
        (3, "Statut", "Diffère de la ligne "),
    ]


def test_a_tax_rate_that_disagrees_names_both_rates_and_the_rule(loaded):
    content = (
        "Référence de commande;Ligne;Date de commande;Vendeur;Acheteur;SKU;Quantité;Prix unitaire;"
        "Taux de TVA\nZ-1;1;26/06/2023;ANACOOP/KI/001;A;KI-HAR-001;1;100;18 %\n"
    )
    result = run_as(loaded, "orders", content, username="ministere")
    (error,) = result.errors
    assert (error.row, error.column, error.value) == (2, "Taux de TVA", "18 %")
    assert error.message.startswith(
        "Taux de TVA du fichier (18\u00a0%) différent de celui du moteur fiscal (10\u00a0%, "
    )


def test_plain_crlf_and_quoted_files_import_alike(loaded):
    lines = [
        "Q-1;1;26/06/2023 14:05;ANACOOP/KI/001;Hôtel du Lac;Livrée;KI-HAR-001;12,5;2 900",
        "Q-1;2;26/06/2023 14:05;ANACOOP/KI/001;Hôtel du Lac;Livrée;KI-FOY-002;1;25 000",
    ]
    plain = HEADER + "\n".join(lines) + "\n"
    crlf = plain.replace("\n", "\r\n")
    quoted = (
        HEADER + "\n".join(";".join(f'"{c}"' for c in line.split(";")) for line in lines) + "\n"
    )
    results = [
        run_as(loaded, "orders", content, username="ministere", dry_run=True)
        for content in (plain, crlf, quoted)
    ]
    assert {(r.outcome, r.created, r.updated, r.unchanged) for r in results} == {
        (ImportOutcome.DRY_RUN, 2, 0, 0)
    }


def test_a_workbook_goes_through_the_same_checks(loaded):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(";"))
    sheet.append(
        [
            "W-1",
            1,
            dt.datetime(2023, 6, 26, 14, 5),
            "ANACOOP/KI/001",
            "Hôtel du Lac",
            "Livrée",
            "KI-HAR-001",
            12.5,
            2900,
        ]
    )
    sheet.append(
        [
            "W-1",
            2,
            dt.datetime(2023, 6, 26, 14, 5),
            "ANACOOP/KI/001",
            "Hôtel du Lac",
            "Livrée",
            "KI-FOY-002",
            1,
            "25 000",
        ]
    )
    sheet.append(["W-2", 1, 45103, "ANACOOP/GI/002", "Marie", "Passée", "GI-LAI-001", True, 1200])
    out = io.BytesIO()
    workbook.save(out)
    result = run_as(loaded, "orders", out.getvalue(), username="ministere", name="commandes.xlsx")
    assert result.outcome == ImportOutcome.REJECTED
    assert _errors(result) == [(4, "Quantité", "True", "Nombre attendu.")]


def test_changing_one_line_updates_that_line_only_and_traces_it(loaded):
    from console.extensions import db

    base = HEADER + (
        "U-1;1;26/06/2023;ANACOOP/GI/002;Marie;Passée;GI-LAI-001;3;1 200\n"
        "U-1;2;26/06/2023;ANACOOP/GI/002;Marie;Passée;GI-LAI-001;4;1 200\n"
        "U-2;1;27/06/2023;ANACOOP/GI/002;Marie;Passée;GI-LAI-001;5;1 200\n"
    )
    first = run_as(loaded, "orders", base, username="ministere")
    assert (first.outcome, first.created) == (ImportOutcome.APPLIED, 3)
    changed = base.replace(
        "U-1;2;26/06/2023;ANACOOP/GI/002;Marie;Passée;GI-LAI-001;4;",
        "U-1;2;26/06/2023;ANACOOP/GI/002;Marie;Passée;GI-LAI-001;4,5;",
    )
    second = run_as(loaded, "orders", changed, username="ministere")
    assert (second.created, second.updated, second.unchanged) == (0, 1, 2)
    with loaded.app_context():
        line_id, quantity = db.session.execute(
            sa.text(
                "SELECT l.id, l.quantity FROM order_line l JOIN sale_order o ON o.id = l.order_id "
                "WHERE o.reference = 'U-1' AND l.line_no = 2"
            )
        ).one()
        trace = db.session.execute(
            sa.text(
                "SELECT table_name, action, row_id_from, row_id_to FROM import_batch_row WHERE batch_id = :b"
            ),
            {"b": second.batch_id},
        ).all()
        db.session.rollback()
    assert Decimal(str(quantity)) == Decimal("4.5")
    assert [tuple(t) for t in trace] == [("order_line", "update", line_id, line_id)]
    # The order's status changes: its two lines count as updated, nothing is inserted.
    third = run_as(
        loaded,
        "orders",
        changed.replace(
            "U-1;1;26/06/2023;ANACOOP/GI/002;Marie;Passée",
            "U-1;1;26/06/2023;ANACOOP/GI/002;Marie;Livrée",
        ).replace(
            "U-1;2;26/06/2023;ANACOOP/GI/002;Marie;Passée",
            "U-1;2;26/06/2023;ANACOOP/GI/002;Marie;Livrée",
        ),
        username="ministere",
    )
    assert (
        third.created,
        third.updated,
        third.unchanged,
        third.details["commandes mises à jour"],
    ) == (0, 2, 1, 1)


def test_an_orders_import_refreshes_the_aggregates_from_the_first_day_it_changes(loaded):
    """Old order changed + new order: aggregates rebuilt from the old day equal a full rebuild."""
    from console.extensions import db
    from console.models import FactRefresh
    from console.services.facts import refresh_facts

    from .dashboards_support import fact_snapshot

    base = HEADER + (
        "R-1;1;05/02/2024;ANACOOP/GI/002;Marie;Livrée;GI-LAI-001;3;1 200\n"
        "R-2;1;12/03/2024;ANACOOP/GI/002;Marie;Livrée;GI-LAI-001;2;1 200\n"
    )
    assert run_as(loaded, "orders", base, username="ministere").created == 2
    later = base.replace("GI-LAI-001;2;1 200", "GI-LAI-001;7;1 200") + (
        "R-3;1;20/04/2024;ANACOOP/GI/002;Marie;Livrée;GI-LAI-001;1;1 200\n"
    )
    result = run_as(loaded, "orders", later, username="ministere")
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    with loaded.app_context():
        last_id, since = db.session.execute(
            sa.select(FactRefresh.id, FactRefresh.since).order_by(FactRefresh.id.desc()).limit(1)
        ).one()
        assert since == dt.date(2024, 3, 11)  # R-2 at 12/03 00:00 Bujumbura = 11/03 UTC
        after_import = fact_snapshot(db.session)
        march = db.session.scalar(
            sa.text("SELECT SUM(quantity) FROM fact_sales_month WHERE month = '2024-03-01'")
        )
        refresh_facts(db.session)
        assert fact_snapshot(db.session) == after_import
        db.session.rollback()
    assert Decimal(str(march)) == Decimal("7")
    unchanged = run_as(loaded, "orders", later, username="ministere")
    with loaded.app_context():
        newest = db.session.scalar(sa.select(sa.func.max(FactRefresh.id)))
        db.session.rollback()
    assert (unchanged.created, unchanged.updated) == (0, 0)
    assert newest == last_id  # nothing changed: no refresh


def test_references_with_backslashes_and_tabs_are_stored_exactly(loaded):
    from console.extensions import db

    content = (
        "Référence de commande\tLigne\tDate de commande\tVendeur\tAcheteur\tSKU\tQuantité\tPrix unitaire\n"
        "B\\\\1\t1\t26/06/2023\tANACOOP/GI/002\tC:\\clients\\Marie\tGI-LAI-001\t1\t100\n"
    )
    result = run_as(loaded, "orders", content, username="ministere")
    assert result.outcome == ImportOutcome.APPLIED, result.errors
    with loaded.app_context():
        stored = db.session.execute(
            sa.text(
                "SELECT o.reference, b.name FROM sale_order o JOIN buyer b ON b.id = o.buyer_id "
                "WHERE o.reference LIKE 'B%'"
            )
        ).all()
        db.session.rollback()
    assert [tuple(r) for r in stored] == [("B\\\\1", "C:\\clients\\Marie")]
    again = run_as(loaded, "orders", content, username="ministere")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_the_staging_schema_names_columns_the_models_and_the_dataset_have():
    from console import models as m
    from importers.datasets.orders import DATASET
    from importers.orders_stage import LINE_FIELDS, ORDER_WRITTEN, STAGE_FIELDS

    assert set(LINE_FIELDS) <= set(m.OrderLine.__table__.columns.keys())
    assert {column for column, _ in ORDER_WRITTEN} <= set(m.Order.__table__.columns.keys())
    assert {f.source for f in STAGE_FIELDS if f.source} <= {c.key for c in DATASET.columns}
