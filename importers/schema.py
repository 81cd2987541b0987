"""How a dataset's file looks: its columns, their aliases and parsers, and its typed rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .cells import CellError, is_blank
from .errors import ErrorLog
from .headers import normalise
from .heading_row import HeaderMap, is_total_row, total_row_notice


@dataclass(frozen=True)
class Column:
    """One column of an import file."""

    key: str  # internal name
    header: str  # the French header written in the blank template
    parse: Callable[[object], object]
    required: bool = False
    aliases: tuple[str, ...] = ()  # English and other accepted spellings
    help: str = ""  # what to write, in French (README and template notes)
    example: str = ""

    @property
    def accepted(self) -> tuple[str, ...]:
        """Every header spelling accepted, normalised."""
        return tuple(dict.fromkeys(normalise(h) for h in (self.header, self.key, *self.aliases)))


def column(
    key: str,
    header: str,
    parse: Callable[[object], object],
    synonyms: str,
    example: str,
    *,
    required: bool = False,
    help: str = "",
) -> Column:
    """A column as one row of a dataset's table: ``synonyms`` are the other accepted headings,
    written as importers/README.md and the templates' « Aide » sheet list them (``"a, b, c"``).
    A stray comma adds no empty synonym (which would claim blank headings)."""
    aliases = tuple(a for a in (s.strip() for s in synonyms.split(",")) if a)
    return Column(key, header, parse, required, aliases, help, example)


@dataclass(frozen=True)
class Dataset:
    """An importable dataset: its columns, natural key and the importer that writes it."""

    kind: str  # CLI name: cooperatives, products, …
    label: str  # French, for menus and pages
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key (column keys)
    resource: str  # the policy resource (FAB view name) that grants importing it
    description: str = ""
    importer: object = None  # RowImporter subclass (row-wise datasets)
    bulk: object = None  # set-wise pipeline function (order lines)
    notes: tuple[str, ...] = ()  # rules worth documenting (README, upload page)
    # The console permission needed to create (not update) a row, e.g. ("can_add", "CooperativeView").
    create_permission: tuple[str, str] | None = None

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def synonyms(self) -> dict[str, Column]:
        """Every accepted heading spelling, normalised → its column (the dataset's synonym table)."""
        return {alias: column for column in self.columns for alias in column.accepted}


@dataclass
class ParsedRow:
    """A data row with typed values (column key → value) and its file row number."""

    number: int
    values: dict[str, object]
    raw: dict[str, object]


def parse_rows(
    dataset: Dataset,
    header: HeaderMap,
    rows: Iterator[tuple[int, list]],
    errors: ErrorLog,
    width: int | None,
) -> Iterator[ParsedRow]:
    """Typed rows; every cell problem goes to ``errors`` (rows with errors are still yielded).

    ``width`` is the header's width for a CSV (rows must match it); None for a workbook,
    whose rows lose their trailing blank cells. Totals rows are skipped with a notice.
    """
    columns = [c for c in dataset.columns if c.key in header.positions]
    for number, cells in rows:
        if is_total_row(dataset, header, cells):
            errors.notice(total_row_notice(number))
            continue
        if width is None:
            pass
        elif len(cells) > width and any(not is_blank(c) for c in cells[width:]):
            errors.add(
                number,
                None,
                "",
                (
                    f"{len(cells)} valeurs pour {width} colonnes : une valeur en trop "
                    "(séparateur dans un texte sans guillemets ?)."
                ),
            )
        elif len(cells) < width:
            errors.add(
                number,
                None,
                "",
                (
                    f"Ligne incomplète : {len(cells)} valeurs pour {width} colonnes "
                    "(fichier tronqué ou séparateur manquant ?)."
                ),
            )
        values: dict[str, object] = {}
        raw: dict[str, object] = {}
        for column in columns:
            position = header.positions[column.key]
            cell = cells[position] if position < len(cells) else None
            raw[column.key] = cell
            try:
                value = column.parse(cell)
            except CellError as exc:
                errors.add(number, header.shown(column.key), cell, str(exc))
                value = None
            else:
                if value is None and column.required:
                    errors.add(
                        number, header.shown(column.key), cell, "Valeur obligatoire manquante."
                    )
            values[column.key] = value
        yield ParsedRow(number, values, raw)
