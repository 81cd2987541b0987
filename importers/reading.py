"""Reading an uploaded file row by row: CSV in any of three encodings and two separators, or XLSX.

The file is streamed: rows are yielded one at a time, so memory stays flat whatever
the file's size.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice, repeat
from pathlib import Path

import numpy as np

from .errors import FileRefused

CHUNK = 1 << 20
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")

NOT_TEXT = (
    "Le fichier n'est pas un texte CSV lisible (octets nuls ou caractères de contrôle) : "
    "enregistrez-le au format « CSV UTF-8 » ou « Classeur Excel (.xlsx) »."
)
NOT_WORKBOOK = (
    "Le fichier n'est pas un classeur Excel (.xlsx) valide : ouvrez-le dans Excel et "
    "enregistrez-le sous « Classeur Excel (.xlsx) », ou envoyez un CSV."
)
EMPTY = "Le fichier est vide : il faut au moins la ligne d'en-têtes et une ligne de données."


@dataclass(frozen=True)
class FileFacts:
    """What is known of a file before reading its rows."""

    sha256: str
    size: int
    kind: str  # "csv" | "xlsx"
    encoding: str | None = None  # utf-8-sig, utf-8, cp1252, latin-1
    delimiter: str | None = None


def inspect_file(path: Path | str, file_name: str | None = None) -> FileFacts:
    """Hash the file and detect its kind, encoding and separator (one streaming pass)."""
    path = Path(path)
    name = (file_name or path.name).lower()
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="strict")
    is_utf8 = True
    has_nul = False
    size = 0
    head = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if len(head) < 65536:
                head += chunk[: 65536 - len(head)]
            has_nul = has_nul or b"\x00" in chunk
            if is_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
        if is_utf8:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                is_utf8 = False
    if size == 0:
        raise FileRefused(EMPTY)
    is_zip = head.startswith(b"PK\x03\x04")
    if name.endswith(XLSX_SUFFIXES) or (is_zip and not name.endswith(CSV_SUFFIXES)):
        if not is_zip:
            raise FileRefused(NOT_WORKBOOK)
        return FileFacts(digest.hexdigest(), size, "xlsx")
    if has_nul or is_zip:
        raise FileRefused(NOT_TEXT)
    if is_utf8:
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    else:
        encoding = "cp1252" if _decodes(path, "cp1252") else "latin-1"
    sample = head.decode(encoding, errors="replace")
    if any(ord(c) < 32 and c not in "\t\r\n" for c in sample):
        raise FileRefused(NOT_TEXT)
    return FileFacts(digest.hexdigest(), size, "csv", encoding, _delimiter(sample))


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _delimiter(sample: str) -> str:
    """The separator of the heading row: of ; , and tab, the one a line of the first ten
    holds most often (ties: ;). A title above the headings (« Ministère de l'Intérieur, du
    Développement… ») must not decide it from its one comma."""
    lines = [line for line in sample.lstrip("\ufeff").splitlines() if line.strip()][:10]
    counts = {d: max((line.count(d) for line in lines), default=0) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


def iter_rows(
    path: Path | str, facts: FileFacts, sheet: str | None = None
) -> Iterator[tuple[int, list]]:
    """(row number, cells) for every non-empty row, header first; row 1 is the first line."""
    if facts.kind == "xlsx":
        yield from _xlsx_rows(Path(path), sheet)
    else:
        yield from _csv_rows(Path(path), facts)


def _csv_rows(path: Path, facts: FileFacts) -> Iterator[tuple[int, list]]:
    with path.open("r", encoding=facts.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=facts.delimiter, strict=True)
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _broken(start, exc) from exc
            if any(cell.strip() for cell in cells):
                yield start, cells


@dataclass
class RowChunk:
    """Consecutive data rows of a file: their row numbers, and their cells by row or by column.

    ``columns`` (a list per column, as wide as the header) is set instead of ``rows``
    when every row of the chunk has exactly the header's width.
    """

    numbers: np.ndarray  # int64, the row numbers iter_rows gives
    rows: list[list] | None = None
    columns: list[list] | None = None

    def __len__(self) -> int:
        return len(self.numbers)


# Characters read at a time by iter_data_chunks (about 40 000 order lines).
BLOCK = 4 << 20


def iter_data_chunks(
    path: Path | str, facts: FileFacts, size: int, block: int = BLOCK, header_row: int = 1
) -> Iterator[RowChunk]:
    """The data rows of a CSV below its heading row (file row ``header_row``; title rows
    above it skipped) by chunks: the rows and numbers of iter_rows.

    A block of whole lines with no quote and no lone carriage return, each line holding
    exactly the header's number of separators, is split with two ``str`` calls: that is
    what the csv module would make of it, row by row. From the first block that is not
    so simple, the rest of the file goes through the csv module itself (same reader,
    same blank-row rule, same refusal of a broken file, after the rows before it).
    """
    delimiter = facts.delimiter
    with Path(path).open("r", encoding=facts.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        width = None
        while width is None:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _broken(start, exc) from exc
            if start >= header_row and any(cell.strip() for cell in cells):
                width = len(cells)
        line_base, carry = reader.line_num, ""
        while True:
            text = handle.read(block)
            if text:
                text = carry + text
                cut = text.rfind("\n")
                if cut < 0:
                    carry = text
                    continue
                original, carry = text[:cut], text[cut + 1 :]
            elif carry:
                original, carry = carry, ""
            else:
                return
            lines = _simple_lines(original, delimiter, width)
            if lines is None:
                rest = io.StringIO(
                    original + "\n" + carry + handle.readline() if text else original, newline=""
                )
                yield from _csv_chunks(
                    csv.reader(chain(rest, handle), delimiter=delimiter, strict=True),
                    size,
                    line_base,
                )
                return
            chunk = _split_lines(lines, delimiter, width, line_base)
            line_base += len(lines)
            if len(chunk):
                yield chunk


def _simple_lines(text: str, delimiter: str, width: int) -> list[str] | None:
    """The block's lines if the csv module would read each as a row split on the separator."""
    if '"' in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    lines = text.split("\n")
    counts = list(map(str.count, lines, repeat(delimiter, len(lines))))
    if min(counts) != width - 1 or max(counts) != width - 1:
        return None
    return lines


def _split_lines(lines: list[str], delimiter: str, width: int, line_base: int) -> RowChunk:
    """Regular lines → columns; blank rows (nothing but separators and spaces) left out."""
    cells = delimiter.join(lines).split(delimiter)
    columns = [cells[k::width] for k in range(width)]
    numbers = np.arange(line_base + 1, line_base + 1 + len(lines), dtype=np.int64)
    first_blank = np.flatnonzero(
        ~np.fromiter(map(bool, map(str.strip, columns[0])), bool, len(lines))
    )
    blank = [i for i in first_blank.tolist() if not lines[i].replace(delimiter, "").strip()]
    if blank:
        kept = np.setdiff1d(np.arange(len(lines)), blank)
        numbers = numbers[kept]
        columns = [[column[i] for i in kept.tolist()] for column in columns]
    return RowChunk(numbers, columns=columns)


def _csv_chunks(reader, size: int, line_base: int) -> Iterator[RowChunk]:
    """Rows of a csv reader by chunks, numbered after ``line_base`` lines already read."""
    while True:
        before = reader.line_num
        rows: list[list] = []
        ends: list[int] = []
        failure = None
        try:
            for cells in islice(reader, size):
                rows.append(cells)
                ends.append(reader.line_num)
        except csv.Error as exc:
            failure = _broken(line_base + (ends[-1] if ends else before) + 1, exc)
            failure.__cause__ = exc
        if rows:
            starts = np.array([before, *ends[:-1]], dtype=np.int64) + 1 + line_base
            # A row is kept when one of its cells has a non-blank character.
            keep = np.fromiter(map(bool, map(str.strip, map("".join, rows))), bool, len(rows))
            if keep.all():
                yield RowChunk(starts, rows)
            elif keep.any():
                kept = np.flatnonzero(keep)
                yield RowChunk(starts[kept], [rows[i] for i in kept.tolist()])
        if failure is not None:
            raise failure
        if len(rows) < size:
            return


def _broken(start: int, exc: csv.Error) -> FileRefused:
    return FileRefused(
        f"Ligne {start} : structure CSV invalide ({_csv_reason(exc)}). "
        "Le fichier est peut-être tronqué ou un guillemet n'est pas fermé."
    )


def without_rows(chunk: RowChunk, dropped: list[int]) -> RowChunk:
    """The chunk less the rows at these positions."""
    kept = np.setdiff1d(np.arange(len(chunk)), dropped)
    if chunk.columns is not None:
        return RowChunk(
            chunk.numbers[kept],
            columns=[[column[i] for i in kept.tolist()] for column in chunk.columns],
        )
    return RowChunk(chunk.numbers[kept], rows=[chunk.rows[i] for i in kept.tolist()])


def chunked(rows: Iterator[tuple[int, list]], size: int) -> Iterator[RowChunk]:
    """(row number, cells) pairs, e.g. a workbook's rows from iter_rows, grouped by chunks."""
    while batch := list(islice(rows, size)):
        yield RowChunk(np.array([n for n, _ in batch], dtype=np.int64), rows=[c for _, c in batch])


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "fin de fichier au milieu d'une valeur entre guillemets"
    if "expected" in text and "delimiter" in text:
        return "caractère inattendu après un guillemet fermant"
    return "guillemets mal placés"


def workbook_sheets(path: Path | str) -> list[str]:
    """Names of a workbook's sheets (FileRefused when it is not a workbook)."""
    workbook = _open_workbook(Path(path))
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _open_workbook(path: Path):
    from openpyxl import load_workbook

    try:
        # data_only=False: formulas arrive as "=…" text and are refused like typed ones.
        return load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as exc:
        raise FileRefused(NOT_WORKBOOK) from exc
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
        raise FileRefused(NOT_WORKBOOK) from exc


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[tuple[int, list]]:
    workbook = _open_workbook(path)
    try:
        if sheet:
            if sheet not in workbook.sheetnames:
                names = ", ".join(f"« {n} »" for n in workbook.sheetnames)
                raise FileRefused(
                    f"La feuille « {sheet} » n'existe pas dans ce classeur (feuilles : {names})."
                )
            worksheet = workbook[sheet]
        else:
            if not workbook.worksheets:
                raise FileRefused(NOT_WORKBOOK)
            worksheet = workbook.worksheets[0]
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                cells = list(values)
                while cells and (
                    cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())
                ):
                    cells.pop()
                if cells:
                    yield number, cells
        except FileRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - a corrupt sheet XML surfaces while iterating
            raise FileRefused(NOT_WORKBOOK) from exc
    finally:
        workbook.close()


def estimate_rows(path: Path | str, facts: FileFacts, sheet: str | None = None) -> int:
    """About how many data rows the file holds (for progress bars and queueing big files)."""
    if facts.kind == "xlsx":
        workbook = _open_workbook(Path(path))
        try:
            worksheet = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
            return max((worksheet.max_row or 1) - 1, 0)
        finally:
            workbook.close()
    lines = 0
    with Path(path).open("rb") as handle:
        while chunk := handle.read(CHUNK):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)
