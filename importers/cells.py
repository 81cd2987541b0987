"""Cell parsers: French numbers, dates in three forms, yes/no, enums, and text without formulas.

Each parser takes a raw cell (text from a CSV, or a native value from a workbook) and
returns the typed value, None for a blank cell, or raises CellError with a French
message that says what to write instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from console.services.periods import BUJUMBURA

# Text cells starting with FORMULA_STARTS are refused: a spreadsheet would run them as
# formulas when the data is exported again (CSV/formula injection). See importers/README.md.
from console.services.spreadsheet_cells import FORMULA_STARTS

from .headers import normalise

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 31/12/1899 in Excel's 1900 system, as Excel counts
EARLIEST = dt.date(1950, 1, 1)
LATEST = dt.date(2100, 12, 31)
# Spaces people and spreadsheets put between thousands: space, no-break, narrow no-break, thin.
THOUSANDS_SPACES = (" ", "\u00a0", "\u202f", "\u2009")

# Separators of the date forms: between day, month and year; before the time; inside it.
DATE_SEPARATORS = "/.-"
DATE_TIME_SEPARATORS = " T"
TIME_SEPARATORS = ":h"

TRUE_WORDS = frozenset({"oui", "o", "yes", "y", "vrai", "true", "1", "x"})
FALSE_WORDS = frozenset({"non", "n", "no", "faux", "false", "0"})


class CellError(ValueError):
    """A cell whose value cannot be used; the message says what to write instead."""


@dataclass(frozen=True)
class ParserSpec:
    """What a parser accepts, for importers.cell_arrays, which parses whole columns alike."""

    kind: str  # "integer", "decimal", "datetime"
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    positive: bool = False
    places: int = 0


# What people write in a cell to say « nothing here »: the cell counts as empty (an
# optional cell stays unset, a required one is missing). Compared lower-cased, trimmed.
PLACEHOLDERS = frozenset({"-", "–", "—", "--", "n/a", "néant", "neant", "ras", "r.a.s", "r.a.s."})


def is_placeholder(value) -> bool:
    """« - », « – », « N/A », « néant », « RAS »: written for an empty cell."""
    return isinstance(value, str) and value.strip().lower() in PLACEHOLDERS


def is_blank(value) -> bool:
    """An empty cell: nothing, spaces, or a placeholder (« - », « N/A », « néant », « RAS »)."""
    return value is None or (
        isinstance(value, str) and (value.strip() == "" or is_placeholder(value))
    )


def formula_error(value) -> CellError | None:
    """The error for a formula left in a value cell (``=2+3``), naming the formula."""
    if isinstance(value, str) and value.strip().startswith("="):
        formula = value.strip()
        shown = formula if len(formula) <= 40 else formula[:39] + "…"
        return CellError(
            f"Formule {shown} : collez les valeurs (Collage spécial → Valeurs), pas la formule."
        )
    return None


def _strip(value) -> str:
    return str(value).strip()


def text(max_length: int) -> Callable[[object], str | None]:
    """Plain text up to ``max_length`` characters; formula starts refused."""

    def parse(value) -> str | None:
        if is_blank(value):
            return None
        if isinstance(value, dt.datetime | dt.date) or isinstance(value, bool):
            raise CellError("Texte attendu.")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        result = " ".join(_strip(value).split())
        if result.startswith(FORMULA_STARTS):
            raise CellError(
                "Formule refusée : un texte ne peut pas commencer par =, +, - ou @ "
                "(retirez ce caractère ou collez la valeur comme texte)."
            )
        if len(result) > max_length:
            raise CellError(f"Texte trop long : {len(result)} caractères, {max_length} au plus.")
        return result

    return parse


def imei(value) -> str | None:
    """A tablet's IMEI: 15 digits (spaces or hyphens allowed, a number cell too) whose last
    digit is the Luhn check digit; the rule is the console's (console.services.inventory)."""
    from console.services.inventory import imei_error, normalise_imei

    if is_blank(value):
        return None
    if isinstance(value, dt.datetime | dt.date) or isinstance(value, bool):
        raise CellError("IMEI attendu (15 chiffres).")
    if (error := formula_error(value)) is not None:
        raise error
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    result = normalise_imei(value)
    message = imei_error(result)
    if message:
        raise CellError(message)
    return result


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email(value) -> str | None:
    result = text(120)(value)
    if result is not None and not _EMAIL.fullmatch(result):
        raise CellError("Adresse électronique invalide (exemple : contact@coop.bi).")
    return result


_PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")
PHONE_HELP = (
    "Numéro de téléphone invalide : 8 chiffres au Burundi (ex. +257 79 123 456 ou 79 12 34 56)."
)


def phone(value) -> str | None:
    """A phone number stored in one form: ``+257`` and eight digits (other countries: + and digits).

    Spacing, dots, dashes and the ``00`` prefix vary from file to file; storing one form
    makes a re-import with other spacing « unchanged », not an update.
    """
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CellError(PHONE_HELP)
    digits = _PHONE_SEPARATORS.sub("", str(value).strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"\d{8}", digits):
        return "+257" + digits
    if re.fullmatch(r"257\d{8}", digits):
        return "+" + digits
    if re.fullmatch(r"\+257\d{8}", digits):
        return digits
    if re.fullmatch(r"\+(?!257)[1-9]\d{6,14}", digits):
        return digits  # a foreign number, in international form
    raise CellError(PHONE_HELP)


def _unspaced(value: str) -> str:
    for space in THOUSANDS_SPACES:
        value = value.replace(space, "")
    return value


_GROUPED_DOTS = re.compile(r"-?\d{1,3}(\.\d{3})+")
_GROUPED_COMMAS = re.compile(r"-?\d{1,3}(,\d{3})+")


def _decimal_text(raw: str) -> str:
    """French or English number text → a plain ``1234.5`` string (see README: dots)."""
    s = _unspaced(raw)
    if "," in s and "." in s:
        # The last separator is the decimal one: 1.234,5 or 1,234.5.
        if s.rfind(",") > s.rfind("."):
            return s.replace(".", "").replace(",", ".")
        return s.replace(",", "")
    if s.count(",") > 1 and _GROUPED_COMMAS.fullmatch(s):
        return s.replace(",", "")
    if s.count(".") > 1 and _GROUPED_DOTS.fullmatch(s):
        return s.replace(".", "")
    return s.replace(",", ".")


_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _to_decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise CellError("Nombre attendu.")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, dt.date):
        raise CellError("Nombre attendu, pas une date.")
    if error := formula_error(value):
        raise error
    s = _decimal_text(_strip(value))
    if not _PLAIN_NUMBER.fullmatch(s):
        raise CellError("Nombre attendu (exemples : 1 234,5 ou 1234.5).")
    try:
        return Decimal(s)
    except InvalidOperation as exc:  # pragma: no cover - the regex already vouches
        raise CellError("Nombre attendu.") from exc


def decimal(
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    *,
    positive: bool = False,
    places: int = 3,
) -> Callable[[object], Decimal | None]:
    """A decimal number (French comma accepted) within bounds, at most ``places`` decimals."""

    def parse(value) -> Decimal | None:
        if is_blank(value):
            return None
        number = _to_decimal(value)
        if positive and number <= 0:
            raise CellError("Doit être strictement positif.")
        _check_range(number, minimum, maximum)
        if -number.as_tuple().exponent > places and number != number.quantize(
            Decimal(1).scaleb(-places)
        ):
            raise CellError(f"{places} décimales au plus.")
        return number.quantize(Decimal(1).scaleb(-places)) if places else number

    parse.spec = ParserSpec("decimal", minimum, maximum, positive, places)
    return parse


def _check_range(number, minimum, maximum) -> None:
    if minimum is not None and number < minimum:
        raise CellError(f"Doit être supérieur ou égal à {_fr(minimum)}.")
    if maximum is not None and number > maximum:
        raise CellError(f"Valeur invraisemblable : {_fr(maximum)} au plus.")


def _fr(number) -> str:
    return f"{number:,}".replace(",", "\u202f").replace(".", ",")


# Currency written after an amount: « 1 500 FBu », « 1500 BIF », « 1 500 F ».
_CURRENCY = re.compile(r"\s*(fbu|bif|frs?|f)\.?$", re.IGNORECASE)


def _integer_value(value, what: str, currency: bool = False) -> int:
    if isinstance(value, bool):
        raise CellError(f"{what} attendu.")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"{what} attendu, sans décimales.")
        return int(value)
    if isinstance(value, dt.date):
        raise CellError(f"{what} attendu, pas une date.")
    if error := formula_error(value):
        raise error
    s = _strip(value)
    if currency:
        s = _CURRENCY.sub("", s)
    s = _unspaced(s)
    # Money and counts have no decimals, so "1.500" and "1,500" are thousands here.
    if _GROUPED_DOTS.fullmatch(s) or _GROUPED_COMMAS.fullmatch(s):
        s = s.replace(".", "").replace(",", "")
    s = re.sub(r"[.,]0+$", "", s)
    if not re.fullmatch(r"-?\d+", s):
        raise CellError(f"{what} attendu, sans décimales (exemple : 1 500).")
    return int(s)


def integer(
    minimum: int | None = 0,
    maximum: int | None = None,
    what: str = "Nombre entier",
    currency: bool = False,
):
    """A whole number within bounds (``currency``: « FBu », « BIF » after it accepted)."""

    def parse(value) -> int | None:
        if is_blank(value):
            return None
        number = _integer_value(value, what, currency)
        _check_range(number, minimum, maximum)
        return number

    parse.spec = ParserSpec("integer", minimum, maximum)
    return parse


def money(minimum: int = 0, maximum: int = 10**12):
    """Whole Burundi francs (BIF has no minor unit): ``1 234 567``, ``1.234.567``, ``1234567``."""
    return integer(minimum, maximum, what="Montant en francs entiers", currency=True)


def _excel_serial(number: Decimal) -> dt.datetime:
    days = int(number)
    fraction = number - days
    seconds = round(fraction * 86400)
    try:
        return dt.datetime.combine(EXCEL_EPOCH, dt.time()) + dt.timedelta(
            days=days, seconds=int(seconds)
        )
    except OverflowError as exc:  # a workbook number far beyond any calendar
        raise CellError(
            f"Date invraisemblable (numéro de série {number}) : entre 1950 et 2100."
        ) from exc


_D, _DT, _T = (
    f"[{re.escape(chars)}]" for chars in (DATE_SEPARATORS, DATE_TIME_SEPARATORS, TIME_SEPARATORS)
)
_DMY = re.compile(
    rf"(\d{{1,2}}){_D}(\d{{1,2}}){_D}(\d{{4}})(?:{_DT}(\d{{1,2}}){_T}(\d{{2}})(?::(\d{{2}}))?)?"
)
_ISO = re.compile(
    rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})(?:{_DT}(\d{{1,2}}):(\d{{2}})(?::(\d{{2}})(?:\.\d+)?)?)?(Z|[+-]\d{{2}}:?\d{{2}})?"
)
_SERIAL = re.compile(r"\d{4,6}([.,]\d+)?")

DATE_HELP = "Date attendue : 26/06/2023, 2023-06-26 ou numéro de série Excel."


_YEAR = re.compile(r"(?:(\d{1,2})[/.\-])?(\d{4})")


def _incomplete(value) -> CellError | None:
    """A year alone (« 2019 », or 2019 typed as a number) or a month and year: not a date."""
    if isinstance(value, bool):
        return None
    if (
        isinstance(value, int | float)
        and float(value).is_integer()
        and 1000 <= value <= LATEST.year
    ):
        return CellError(
            f"Date incomplète : {int(value)} (écrivez le jour, le mois et l'année, ex. 26/06/{int(value)})."
        )
    if isinstance(value, str) and (match := _YEAR.fullmatch(value.strip())):
        month, year = match.groups()
        if 1000 <= int(year) <= LATEST.year and (month is None or 1 <= int(month) <= 12):
            return CellError(
                f"Date incomplète : {value.strip()} (écrivez le jour, le mois et l'année, "
                f"ex. 26/{int(month or 6):02d}/{year})."
            )
    return None


def _naive_datetime(value) -> tuple[dt.datetime, bool]:
    """(naive local datetime, was an aware ISO time in UTC) from any accepted form."""
    if error := _incomplete(value) or formula_error(value):
        raise error
    if isinstance(value, str):
        return _naive_from_text(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None), False
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()), False
    if isinstance(value, bool):
        raise CellError(DATE_HELP)
    if isinstance(value, int | float | Decimal):
        return _excel_serial(
            Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        ), False
    return _naive_from_text(str(value))


@lru_cache(maxsize=65536)  # lines of one order repeat its date: parse each text once
def _naive_from_text(value: str) -> tuple[dt.datetime, bool]:
    s = value.strip()
    try:
        if match := _DMY.fullmatch(s):
            d, m, y, hh, mm, ss = match.groups()
            return dt.datetime(
                int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0)
            ), False
        if match := _ISO.fullmatch(s):
            y, m, d, hh, mm, ss, zone = match.groups()
            moment = dt.datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
            if zone:
                aware = dt.datetime.fromisoformat(s.replace(" ", "T").replace("Z", "+00:00"))
                return aware.astimezone(dt.UTC).replace(tzinfo=None), True
            return moment, False
    except ValueError as exc:
        raise CellError(f"Date impossible ({s}) : vérifiez le jour et le mois.") from exc
    if _SERIAL.fullmatch(s):
        return _excel_serial(Decimal(s.replace(",", "."))), False
    raise CellError(DATE_HELP)


def _plausible(day: dt.date) -> None:
    if not (EARLIEST <= day <= LATEST):
        raise CellError(f"Date invraisemblable ({day:%d/%m/%Y}) : entre 1950 et 2100.")


def date(value) -> dt.date | None:
    """A calendar date."""
    if is_blank(value):
        return None
    moment, _ = _naive_datetime(value)
    _plausible(moment.date())
    return moment.date()


def datetime(value) -> dt.datetime | None:
    """A moment in Bujumbura time (a bare date is midnight), returned aware in UTC."""
    if is_blank(value):
        return None
    moment, is_utc = _naive_datetime(value)
    _plausible(moment.date())
    if is_utc:
        return moment.replace(tzinfo=dt.UTC)
    return moment.replace(tzinfo=BUJUMBURA).astimezone(dt.UTC)


datetime.spec = ParserSpec("datetime")


def boolean(value) -> bool | None:
    """oui/non, yes/no, vrai/faux, 1/0, x."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = normalise(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError("Oui ou non attendu.")


def _stem(word: str) -> str:
    """A choice word without its French feminine/plural ending: Livré(e), Actif/Active, Suspendu(e)s."""
    plain = normalise(word).replace("_", "")
    if plain.endswith("if"):
        plain = plain[:-2] + "iv"  # actif / active
    return plain.rstrip("es") or plain


def choice(enum_cls, extra: dict[str, str] | None = None):
    """A LabelledEnum member by stored value, French label, member name or extra alias.

    Words also match without their feminine or plural ending (« Livré(e) », « Actif »,
    « Suspendu »), unless two choices would then read alike.
    """
    table: dict[str, object] = {}
    for member in enum_cls:
        for word in (member.value, member.label, member.name):
            table.setdefault(normalise(word), member)
    for word, value in (extra or {}).items():
        table[normalise(word)] = enum_cls(value)
    stems: dict[str, object] = {}
    clashes: set[str] = set()
    for word, member in table.items():
        stem = _stem(word)
        if stems.setdefault(stem, member) is not member:
            clashes.add(stem)
    for stem in clashes:
        del stems[stem]
    allowed = ", ".join(m.label for m in enum_cls)

    def parse(value):
        if is_blank(value):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        member = table.get(normalise(value)) or stems.get(_stem(str(value)))
        if member is None:
            raise CellError(f"Valeur inconnue : choisissez parmi {allowed}.")
        return member

    parse.allowed = allowed
    return parse
