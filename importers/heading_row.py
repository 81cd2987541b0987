"""The heading row of a file: found among its first rows, matched to a dataset's columns
through their synonyms (units ignored, unknown columns set aside, ambiguous ones refused),
and the totals rows that follow the data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .cells import is_blank
from .errors import FileRefused, RowError
from .headers import normalise

if TYPE_CHECKING:
    from .schema import Column, Dataset

# The heading row is looked for among this many first non-empty rows (title rows,
# « RÉPUBLIQUE DU BURUNDI — Ministère… », blank lines and merged cells above it).
HEADER_SEARCH_ROWS = 10
# A unit written in a heading: « Prix unitaire (FBu) », « Quantité (kg) », « Montant en BIF ».
_UNIT_IN_PARENTHESES = re.compile(r"[\(\[][^\)\]]*[\)\]]")
_UNIT_WORDS = ("en_fbu", "en_bif", "fbu", "bif", "en_francs", "francs", "kg", "en_kg")
# Words too common to tell two columns apart (an unknown heading made of them is just unknown).
_COMMON_WORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "et", "en", "par", "n", "no", "of", "the"}
)
# Words of a totals row (« TOTAL », « Total général »), written where the key would be.
TOTAL_WORDS = frozenset(
    {"total", "totaux", "total_general", "sous_total", "grand_total", "totals", "somme"}
)


@dataclass
class HeaderMap:
    """Which file position holds which column, and the headers as the user wrote them."""

    positions: dict[str, int]  # column key → index in the row
    written: dict[str, str]  # column key → header as written
    row: int = 1  # the file row holding the headings
    ignored: list[str] = field(default_factory=list)  # headings of unknown columns, as written

    def shown(self, key: str) -> str:
        return self.written.get(key, key)

    def notices(self) -> list[str]:
        """What the import should tell about the heading row (which row, which columns ignored)."""
        said = []
        if self.row > 1:
            said.append(
                f"Ligne d'en-têtes trouvée à la ligne {self.row} : les lignes au-dessus "
                "(titre, lignes vides) sont ignorées."
            )
        if self.ignored:
            names = ", ".join(f"« {name} »" for name in self.ignored)
            said.append(f"Colonne(s) inconnue(s) ignorée(s) : {names}.")
        return said


def heading_keys(label: str) -> list[str]:
    """The normalised spellings a heading may match: as written, then without its unit."""
    keys = [normalise(label)]
    bare = normalise(_UNIT_IN_PARENTHESES.sub(" ", label))
    for unit in _UNIT_WORDS:
        if bare.endswith("_" + unit):
            bare = bare[: -len(unit) - 1]
            break
    if bare and bare not in keys:
        keys.append(bare)
    return keys


def _meaningful_words(key: str) -> set[str]:
    return {w for w in key.split("_") if w and w not in _COMMON_WORDS}


def _candidates(dataset: Dataset, keys: list[str]) -> list[Column]:
    """Columns an unknown heading could mean: those whose spellings hold all its words."""
    words = set().union(*(_meaningful_words(k) for k in keys[-1:]))
    if not words or not any(len(w) >= 3 for w in words):
        return []
    found = [
        column
        for column in dataset.columns
        if any(words <= set(alias.split("_")) for alias in column.accepted)
    ]
    return found


def _heading_label(cell) -> str:
    return str(cell).strip().lstrip("\ufeff")


def recognised(dataset: Dataset, cells: list) -> set[str]:
    """Keys of the columns a row's cells name (to find the heading row)."""
    lookup = dataset.synonyms
    found = set()
    for cell in cells:
        if is_blank(cell) or not isinstance(cell, str):
            continue
        for key in heading_keys(_heading_label(cell)):
            if key in lookup:
                found.add(lookup[key].key)
                break
    return found


def find_header(dataset: Dataset, rows: Iterator[tuple[int, list]]) -> tuple[int, list]:
    """(row number, cells) of the heading row among the first rows; FileRefused if none.

    The first row naming every required column is the heading row; the rows above it
    (titles, merged cells, blank lines) are skipped. When no row qualifies, the refusal
    names the closest row and the required columns it lacks.
    """
    required = [c for c in dataset.columns if c.required]
    best: tuple[int, int, set[str], list] | None = None
    seen = 0
    for number, cells in rows:
        seen += 1
        found = recognised(dataset, cells)
        if all(c.key in found for c in required):
            return number, cells
        if found and (best is None or len(found) > best[1]):
            best = (number, len(found), found, cells)
        if seen >= HEADER_SEARCH_ROWS:
            break
    if seen == 0:
        from .reading import EMPTY

        raise FileRefused(EMPTY)
    if best is None:
        expected = ", ".join(f"« {c.header} »" for c in required)
        message = (
            f"Ligne d'en-têtes introuvable : aucune des {seen} premières lignes ne porte les "
            f"intitulés attendus (obligatoires : {expected}). Téléchargez le modèle."
        )
        raise FileRefused(message)
    number, _, found, cells = best
    missing = [c for c in required if c.key not in found]
    names = ", ".join(f"« {c.header} »" for c in missing)
    message = (
        f"Ligne d'en-têtes introuvable : la ligne {number} s'en approche le plus "
        f"({len(found)} colonne(s) reconnue(s)) mais il y manque {names}."
    )
    try:  # what that row lacks, and why (an ambiguous heading, a duplicate…)
        match_headers(dataset, cells, number)
    except FileRefused as exc:
        raise FileRefused(message, [RowError(None, None, "", message), *exc.errors]) from None
    raise AssertionError("a row without every required column cannot match")  # pragma: no cover


def match_headers(dataset: Dataset, cells: list, row: int = 1) -> HeaderMap:
    """Map heading cells to columns. Unknown headings are ignored (listed in ``ignored``);
    FileRefused lists every ambiguous, duplicate or missing required column."""
    lookup = dataset.synonyms
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    for index, cell in enumerate(cells):
        if is_blank(cell):
            continue
        label = _heading_label(cell)
        keys = heading_keys(label)
        column = next((lookup[k] for k in keys if k in lookup), None)
        if column is None:
            candidates = _candidates(dataset, keys)
            if len(candidates) > 1:
                names = " ou ".join(f"« {c.header} »" for c in candidates)
                errors.append(
                    RowError(
                        row,
                        label,
                        label,
                        (
                            f"Intitulé ambigu « {label} » : il peut désigner {names}. "
                            "Renommez la colonne avec l'intitulé du modèle."
                        ),
                    )
                )
            else:
                ignored.append(label)
        elif column.key in positions:
            errors.append(
                RowError(
                    row,
                    label,
                    label,
                    (
                        f"Colonne en double : « {label} » désigne la même colonne que "
                        f"« {written[column.key]} »."
                    ),
                )
            )
        else:
            positions[column.key] = index
            written[column.key] = label
    for column in dataset.columns:
        if column.required and column.key not in positions:
            errors.append(
                RowError(
                    row,
                    column.header,
                    "",
                    (f"Colonne obligatoire manquante : « {column.header} »."),
                )
            )
    if errors:
        raise FileRefused(
            f"{len(errors)} problème(s) dans la ligne d'en-têtes (ligne {row}).", errors
        )
    return HeaderMap(positions, written, row, ignored)


def is_total_row(dataset: Dataset, header: HeaderMap, cells: list) -> bool:
    """A totals row (« TOTAL », « Total général »…): its key cells are blank or a total word,
    and one of its cells is such a word."""

    def word(cell) -> bool:
        return isinstance(cell, str) and normalise(cell) in TOTAL_WORDS

    if not any(word(c) for c in cells):
        return False
    for key in dataset.key:
        position = header.positions.get(key)
        cell = cells[position] if position is not None and position < len(cells) else None
        if not (is_blank(cell) or word(cell)):
            return False
    return True


def total_row_notice(number: int) -> str:
    return f"Ligne {number} : ligne de totaux ignorée (elle n'est pas une donnée à importer)."
