"""Cell parsers over whole columns: the parsers of importers.cells, once per distinct cell.

A column of a chunk of rows is factorised (pandas.factorize, a C hash of the raw cells)
and each distinct cell is parsed once; the results are spread back to the rows by the
codes. Dates, whole numbers and decimals of the usual shapes (``26/06/2023 14:05``,
``2023-06-26``, ``54 713``, ``334,4``) are parsed by numpy over all distinct cells at
once, from the parser's own ParserSpec and the separators and bounds of importers.cells;
every other shape, and every cell in error, goes through the row-wise parser itself,
which thus stays the one definition of the messages and of every odd case.
tests/test_import_cell_arrays.py checks with hypothesis that both paths agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from . import cells

EPOCH = dt.datetime(1970, 1, 1)
MICROS = 1_000_000
# Widest cell the numpy paths look at; longer cells go to the row-wise parser.
FAST_WIDTH = 24
# Whole numbers of up to 18 digits fit in int64.
MAX_DIGITS = 18
# Parsed cells remembered from one chunk to the next, per column (sellers, buyers, SKUs
# recur; order references do not, and stop being remembered at this size).
MEMO_LIMIT = 100_000


def _fixed_offset_seconds() -> int | None:
    """Bujumbura's UTC offset if it is the same over every plausible date (it is: UTC+2)."""
    offsets = {
        cells.BUJUMBURA.utcoffset(dt.datetime(year, month, 1))
        for year in range(cells.EARLIEST.year, cells.LATEST.year + 1)
        for month in (1, 7)
    }
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


LOCAL_OFFSET_S = _fixed_offset_seconds()


@dataclass
class ParsedColumn:
    """A column parsed once per distinct cell; index any per-distinct array with ``codes``.

    The distinct arrays have one more element than there are distinct cells: the last
    stands for a missing cell (a short row), so that code -1 lands on it.
    """

    codes: np.ndarray  # per row: index of its distinct cell (-1: missing)
    raw: np.ndarray  # distinct raw cells (object), then None
    errors: np.ndarray  # CellError message per distinct cell, or None
    present: np.ndarray  # True where the parsed value is not None
    values: np.ndarray | None = None  # parsed values (object), for parsers without a spec
    numbers: np.ndarray | None = None  # int64: integer; decimal × 10**places; datetime: µs UTC
    spec: cells.ParserSpec | None = None

    def rows(self, per_distinct: np.ndarray) -> np.ndarray:
        """A per-distinct array spread over the rows."""
        return per_distinct[self.codes]


def factorize(raw: np.ndarray, texts: bool) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct cells); ``texts`` when every cell is a str or None (CSV).

    Workbook cells keep their type in the key: True, 1 and 1.0 are equal in Python but
    not to every parser.
    """
    if texts:
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)
    index: dict[tuple, int] = {}
    distinct: list = []
    codes = np.empty(len(raw), dtype=np.int64)
    for i, cell in enumerate(raw.tolist()):
        if cell is None:
            codes[i] = -1
            continue
        key = (type(cell), cell)
        code = index.get(key)
        if code is None:
            code = index[key] = len(distinct)
            distinct.append(cell)
        codes[i] = code
    uniques = np.empty(len(distinct), dtype=object)
    uniques[:] = distinct
    return codes, uniques


def parse_column(
    parse: Callable[[object], object], raw: np.ndarray, texts: bool = True, memo: dict | None = None
) -> ParsedColumn:
    """Parse a column of raw cells (object array; None for a missing cell).

    ``memo`` (kept by the caller from chunk to chunk) spares parsing a cell seen before,
    for parsers without a numpy path.
    """
    codes, distinct = factorize(raw, texts)
    count = len(distinct)
    spec = getattr(parse, "spec", None)
    errors = np.full(count + 1, None, dtype=object)
    present = np.zeros(count + 1, dtype=bool)
    raw_out = np.empty(count + 1, dtype=object)
    raw_out[:count] = distinct
    if spec is None:
        values = np.full(count + 1, None, dtype=object)
        memo = {} if memo is None else memo
        for i, cell in enumerate(distinct.tolist()):
            key = cell if texts else (type(cell), cell)
            known = memo.get(key)
            if known is None:
                try:
                    known = (parse(cell), None)
                except cells.CellError as exc:
                    known = (None, str(exc))
                if len(memo) < MEMO_LIMIT:
                    memo[key] = known
            values[i], errors[i] = known
        present[:count] = [v is not None for v in values[:count].tolist()]
        return ParsedColumn(codes, raw_out, errors, present, values=values)
    numbers = np.zeros(count + 1, dtype=np.int64)
    done = np.zeros(count, dtype=bool)
    if count:
        fast = _FAST[spec.kind]
        done, fast_numbers = fast(spec, distinct)
        numbers[:count][done] = fast_numbers[done]
        present[:count] = done
    to_number = _TO_NUMBER[spec.kind]
    for i in np.flatnonzero(~done).tolist():
        try:
            value = parse(distinct[i])
        except cells.CellError as exc:
            errors[i] = str(exc)
            continue
        if value is not None:
            numbers[i] = to_number(spec, value)
            present[i] = True
    return ParsedColumn(codes, raw_out, errors, present, numbers=numbers, spec=spec)


# -- the numpy paths: (spec, distinct cells) → (handled mask, numbers) ------------------


def _char_matrix(distinct: np.ndarray, width: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(candidates mask, code points matrix, padding mask) of the str cells up to FAST_WIDTH long.

    The matrix is at least ``width`` wide; the padding mask marks positions past each end.
    """
    candidate = np.fromiter(
        (type(c) is str and 0 < len(c) <= FAST_WIDTH for c in distinct.tolist()),
        bool,
        len(distinct),
    )
    texts = distinct[candidate].tolist()
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    width = max(width, int(lengths.max()) if len(texts) else 1)
    matrix = (
        np.array(texts or [""], dtype=f"<U{width}").view(np.uint32).reshape(-1, width)[: len(texts)]
    )
    padding = np.arange(width)[None, :] >= lengths[:, None]
    return candidate, matrix, padding


_SPACES = np.array([ord(c) for c in cells.THOUSANDS_SPACES], dtype=np.uint32)
_ZERO, _NINE = ord("0"), ord("9")


def _digits_value(matrix: np.ndarray, is_digit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(value of the digits read left to right, their count), other characters skipped."""
    count = is_digit.sum(axis=1)
    right = np.cumsum(is_digit[:, ::-1], axis=1)[:, ::-1] - is_digit  # digits after each position
    digit = np.where(is_digit, matrix.astype(np.int64) - _ZERO, 0)
    powers = 10 ** np.minimum(right, MAX_DIGITS).astype(np.int64)
    return (digit * powers).sum(axis=1), count


def _within(numbers: np.ndarray, spec: cells.ParserSpec) -> np.ndarray:
    """Inside the spec's bounds, numbers being scaled by 10**places (exactly, in integers)."""
    ok = np.ones(len(numbers), dtype=bool)
    if spec.minimum is not None:
        low = Decimal(spec.minimum).scaleb(spec.places)
        ok &= numbers >= int(low.to_integral_value(rounding="ROUND_CEILING"))
    if spec.maximum is not None:
        high = Decimal(spec.maximum).scaleb(spec.places)
        ok &= numbers <= int(high.to_integral_value(rounding="ROUND_FLOOR"))
    if spec.positive:
        ok &= numbers > 0
    return ok


def _fast_integer(spec: cells.ParserSpec, distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Digits with thousands spaces (``54 713``, ``1\u202f234\u202f567``)."""
    handled = np.zeros(len(distinct), dtype=bool)
    numbers = np.zeros(len(distinct), dtype=np.int64)
    candidate, matrix, padding = _char_matrix(distinct)
    if not matrix.size:
        return handled, numbers
    is_digit = (matrix >= _ZERO) & (matrix <= _NINE)
    filler = np.isin(matrix, _SPACES) | padding
    value, count = _digits_value(matrix, is_digit)
    ok = (is_digit | filler).all(axis=1) & (count >= 1) & (count <= MAX_DIGITS)
    ok &= _within(value, spec)
    handled[candidate] = ok
    numbers[candidate] = np.where(ok, value, 0)
    return handled, numbers


def _fast_decimal(spec: cells.ParserSpec, distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Digits with thousands spaces and at most one decimal comma or point (``1 234,5``)."""
    handled = np.zeros(len(distinct), dtype=bool)
    numbers = np.zeros(len(distinct), dtype=np.int64)
    candidate, matrix, padding = _char_matrix(distinct)
    if not matrix.size:
        return handled, numbers
    is_digit = (matrix >= _ZERO) & (matrix <= _NINE)
    is_sep = (matrix == ord(",")) | (matrix == ord("."))
    filler = np.isin(matrix, _SPACES) | padding
    seps = is_sep.sum(axis=1)
    after_sep = np.cumsum(is_sep, axis=1) > 0
    int_digits = (is_digit & ~after_sep).sum(axis=1)
    frac_digits = (is_digit & after_sep).sum(axis=1)
    value, count = _digits_value(matrix, is_digit)
    ok = (is_digit | is_sep | filler).all(axis=1) & (seps <= 1) & (int_digits >= 1)
    ok &= (seps == 0) | (frac_digits >= 1)
    ok &= (frac_digits <= spec.places) & (count + spec.places - frac_digits <= MAX_DIGITS)
    scaled = value * 10 ** np.clip(spec.places - frac_digits, 0, MAX_DIGITS).astype(np.int64)
    ok &= _within(scaled, spec)
    handled[candidate] = ok
    numbers[candidate] = np.where(ok, scaled, 0)
    return handled, numbers


def _fast_datetime(spec: cells.ParserSpec, distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``dd/mm/yyyy``, ISO ``yyyy-mm-dd``, each with ``hh:mm`` or ``hh:mm:ss``, two-digit parts."""
    handled = np.zeros(len(distinct), dtype=bool)
    numbers = np.zeros(len(distinct), dtype=np.int64)
    if LOCAL_OFFSET_S is None:
        return handled, numbers
    candidate, matrix, padding = _char_matrix(distinct, width=19)
    if not matrix.size:
        return handled, numbers
    length = (~padding).sum(axis=1)
    is_digit = (matrix >= _ZERO) & (matrix <= _NINE)
    number = matrix.astype(np.int64) - _ZERO

    def digits(*positions: int) -> np.ndarray:
        return is_digit[:, list(positions)].all(axis=1)

    def pair(first: int) -> np.ndarray:
        return number[:, first] * 10 + number[:, first + 1]

    def one_of(position: int, chars: str) -> np.ndarray:
        return np.isin(matrix[:, position], [ord(c) for c in chars])

    dmy = (
        digits(0, 1, 3, 4, 6, 7, 8, 9)
        & one_of(2, cells.DATE_SEPARATORS)
        & one_of(5, cells.DATE_SEPARATORS)
    )
    iso = ~dmy & digits(0, 1, 2, 3, 5, 6, 8, 9) & one_of(4, "-") & one_of(7, "-")
    time = one_of(10, cells.DATE_TIME_SEPARATORS) & digits(11, 12, 14, 15)
    minutes = np.where(dmy, one_of(13, cells.TIME_SEPARATORS), one_of(13, ":"))
    seconds = one_of(16, ":") & digits(17, 18)
    shape = (dmy | iso) & (
        (length == 10)
        | ((length == 16) & time & minutes)
        | ((length == 19) & time & minutes & seconds)
    )
    year = np.where(dmy, pair(6) * 100 + pair(8), pair(0) * 100 + pair(2))
    month = np.where(dmy, pair(3), pair(5))
    day = np.where(dmy, pair(0), pair(8))
    hour = np.where(length >= 16, pair(11), 0)
    minute = np.where(length >= 16, pair(14), 0)
    second = np.where(length == 19, pair(17), 0)
    ok = (
        shape
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 59)
    )
    ok &= (year >= cells.EARLIEST.year) & (year <= cells.LATEST.year)
    safe_month = np.where(ok, (year - 1970) * 12 + month - 1, 0)
    month_start = safe_month.astype("datetime64[M]").astype("datetime64[D]")
    next_month = (safe_month + 1).astype("datetime64[M]").astype("datetime64[D]")
    date = month_start + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    ok &= date < next_month
    first, last = (np.datetime64(d, "D") for d in (cells.EARLIEST, cells.LATEST))
    ok &= (date >= first) & (date <= last)
    days = date.astype(np.int64)
    local = days * 86400 + hour * 3600 + minute * 60 + second
    handled[candidate] = ok
    numbers[candidate] = np.where(ok, (local - LOCAL_OFFSET_S) * MICROS, 0)
    return handled, numbers


def _datetime_micros(spec, value: dt.datetime) -> int:
    delta = value.astimezone(dt.UTC).replace(tzinfo=None) - EPOCH
    return (delta.days * 86400 + delta.seconds) * MICROS + delta.microseconds


_FAST = {"integer": _fast_integer, "decimal": _fast_decimal, "datetime": _fast_datetime}
_TO_NUMBER = {
    "integer": lambda spec, value: int(value),
    "decimal": lambda spec, value: int(value.scaleb(spec.places)),
    "datetime": _datetime_micros,
}


def micros_to_datetime(micros: int) -> dt.datetime:
    """µs since 1970 (UTC) → an aware UTC datetime."""
    return (EPOCH + dt.timedelta(microseconds=int(micros))).replace(tzinfo=dt.UTC)
