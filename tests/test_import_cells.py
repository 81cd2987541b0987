"""Cell parsers and file reading: French numbers, three date forms, encodings, separators, formulas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from importers import cells
from importers.errors import FileRefused
from importers.headers import normalise
from importers.reading import inspect_file, iter_rows

from .import_support import write_file


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 234,5", Decimal("1234.500")),
        ("1\u202f234,5", Decimal("1234.500")),
        ("1\u00a0234,5", Decimal("1234.500")),
        ("1.234,5", Decimal("1234.500")),
        ("1,234.5", Decimal("1234.500")),
        ("12,5", Decimal("12.500")),
        ("12.5", Decimal("12.500")),
        ("1.234.567", Decimal("1234567.000")),
        (2.5, Decimal("2.500")),
        (3, Decimal("3.000")),
    ],
)
def test_quantities_read_french_and_english_notation(raw, expected):
    assert cells.decimal()(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 234 567", 1234567),
        ("1.234.567", 1234567),
        ("1.500", 1500),
        ("2\u202f900", 2900),
        ("1500,00", 1500),
        (1500.0, 1500),
        ("45 000", 45000),
    ],
)
def test_money_is_whole_francs_with_any_thousands_separator(raw, expected):
    assert cells.money()(raw) == expected


@pytest.mark.parametrize("raw", ["12,5", "abc", "1 500 USD", 1500.5, "-10"])
def test_money_with_decimals_text_or_negative_is_refused_in_french(raw):
    with pytest.raises(cells.CellError) as error:
        cells.money()(raw)
    assert "francs" in str(error.value) or "supérieur" in str(error.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("26/06/2023", dt.date(2023, 6, 26)),
        ("2023-06-26", dt.date(2023, 6, 26)),
        ("45103", dt.date(2023, 6, 26)),
        (45103, dt.date(2023, 6, 26)),
        (dt.datetime(2023, 6, 26, 10, 0), dt.date(2023, 6, 26)),
        ("26.06.2023", dt.date(2023, 6, 26)),
    ],
)
def test_dates_read_french_iso_and_excel_serials(raw, expected):
    assert cells.date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2023", "2023-13-01", "hier", "26/06/1823", "99999999"])
def test_impossible_or_absurd_dates_are_refused(raw):
    with pytest.raises(cells.CellError) as error:
        cells.date(raw)
    assert "Date" in str(error.value)


def test_a_local_time_is_stored_in_utc():
    assert cells.datetime("26/06/2023 14:05") == dt.datetime(2023, 6, 26, 12, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize("raw", ['=HYPERLINK("http://x")', "+cmd", "-2+3", "@SUM(A1)"])
def test_text_starting_like_a_formula_is_refused(raw):
    with pytest.raises(cells.CellError) as error:
        cells.text(200)(raw)
    assert "Formule refusée" in str(error.value)


@pytest.mark.parametrize(
    "raw",
    [
        "+257 79 123 456",
        "79 12 34 56",
        "79123456",
        79123456,
        79123456.0,
        "00257 79-12-34-56",
        "257.79.12.34.56",
        "(+257) 79 123 456",
    ],
)
def test_a_burundi_phone_number_is_stored_in_one_form(raw):
    assert cells.phone(raw) == "+25779123456"


@pytest.mark.parametrize("raw", ["79 12 34", "+257 79 12 34 567", "=79123456", "abc"])
def test_a_phone_number_without_eight_digits_is_refused(raw):
    with pytest.raises(cells.CellError, match="8 chiffres"):
        cells.phone(raw)


@pytest.mark.parametrize("raw", ["-", "–", "N/A", "néant", "Néant", " RAS ", "n/a"])
def test_placeholders_mean_an_empty_cell(raw):
    assert cells.text(120)(raw) is None
    assert cells.email(raw) is None
    assert cells.money()(raw) is None
    assert cells.date(raw) is None
    assert cells.phone(raw) is None


@pytest.mark.parametrize(
    ("raw", "francs"),
    [("1 500 FBu", 1500), ("1500 BIF", 1500), ("25 000 Fbu", 25000), ("2.900 FBU", 2900)],
)
def test_amounts_may_carry_their_currency(raw, francs):
    assert cells.money()(raw) == francs


@pytest.mark.parametrize("raw", ["2019", 2019, 2019.0, "06/2019"])
def test_a_year_alone_is_an_incomplete_date(raw):
    with pytest.raises(cells.CellError) as error:
        cells.date(raw)
    assert str(error.value).startswith(f"Date incomplète : {raw if isinstance(raw, str) else 2019}")


@pytest.mark.parametrize("parse", [cells.money(), cells.decimal(), cells.date])
def test_a_formula_in_a_value_cell_is_named_as_a_formula(parse):
    with pytest.raises(cells.CellError) as error:
        parse("=2+3")
    assert str(error.value).startswith("Formule =2+3 : collez les valeurs")


@pytest.mark.parametrize(
    ("enum_name", "word", "value"),
    [
        ("CooperativeStatus", "Actif", "active"),
        ("CooperativeStatus", "Suspendu", "suspended"),
        ("OrderStatus", "Livré(e)", "delivered"),
        ("OrderStatus", "livre", "delivered"),
        ("DeviceStatus", "Remis", "assigned"),
        ("DeviceStatus", "remise", "assigned"),
    ],
)
def test_french_spellings_of_a_choice_are_accepted(enum_name, word, value):
    from console import models as m

    assert cells.choice(getattr(m, enum_name))(word).value == value


def test_headers_match_without_case_accents_or_spacing():
    assert normalise("  Numéro D'ENREGISTREMENT ") == normalise("numero_d_enregistrement")


@pytest.mark.parametrize(
    ("content", "encoding", "delimiter"),
    [
        ("Nom;Province\nCoopérative;Gitega\n".encode(), "utf-8", ";"),
        ("\ufeffNom,Province\nCoopérative,Gitega\n".encode(), "utf-8-sig", ","),
        ("Nom;Province\nCoopérative;Gitega\n".encode("cp1252"), "cp1252", ";"),
    ],
)
def test_encoding_and_separator_are_detected(content, encoding, delimiter):
    path = write_file(content, "f.csv")
    facts = inspect_file(path)
    assert (facts.encoding, facts.delimiter) == (encoding, delimiter)
    rows = list(iter_rows(path, facts))
    assert rows[1] == (2, ["Coopérative", "Gitega"])


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"", "f.csv", "vide"),
        ("Nom;Province\n".encode("utf-16"), "f.csv", "CSV UTF-8"),
        (b"this is not a zip", "f.xlsx", "classeur Excel"),
        (b"PK\x03\x04garbage", "f.xlsx", "classeur Excel"),
    ],
)
def test_unreadable_files_are_refused_with_a_french_reason(content, name, words):
    path = write_file(content, name)
    with pytest.raises(FileRefused) as error:
        facts = inspect_file(path)
        list(iter_rows(path, facts))
    assert words in error.value.message


def test_a_file_cut_inside_a_quoted_value_is_refused_with_its_line():
    path = write_file('Nom;Province\n"Coop A;Gitega\n', "f.csv")
    with pytest.raises(FileRefused) as error:
        list(iter_rows(path, inspect_file(path)))
    assert "Ligne 2" in error.value.message and "tronqué" in error.value.message


@pytest.mark.parametrize("raw", [2958466, -800000, 10**12])
def test_a_workbook_number_beyond_any_calendar_is_an_implausible_date(raw):
    with pytest.raises(cells.CellError) as error:
        cells.datetime(raw)
    assert "Date invraisemblable" in str(error.value)
