"""The importer for datasets of modest size: plan every row, then write through the ORM.

Writing through the ORM means each created or updated row gets its own audit event
(console.services.audit). Used for every dataset except order lines, which need the
set-wise path of importers.orders_bulk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from .cells import CellError
from .errors import ErrorLog
from .heading_row import HeaderMap
from .references import References
from .schema import Dataset, ParsedRow

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class Operation:
    """What importing one row does: create, update (these attributes) or nothing."""

    row: int
    action: str
    values: dict
    target: object | None = None  # the existing model instance, for updates
    extra: dict = field(default_factory=dict)


@dataclass
class Written:
    """Ids a batch wrote, by (table, action), for its trace."""

    ids: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, table: str, action: str, row_id: int) -> None:
        self.ids.setdefault((table, action), []).append(row_id)


class RowImporter:
    """Subclasses say how a row becomes model values and which existing row it is."""

    dataset: Dataset
    model: type

    def __init__(
        self,
        session: Session,
        refs: References,
        errors: ErrorLog,
        header: HeaderMap,
        can_create: bool = True,
    ) -> None:
        self.can_create = can_create
        self.session = session
        self.refs = refs
        self.errors = errors
        self.header = header

    # -- to implement ---------------------------------------------------------------------
    def key(self, row: ParsedRow) -> tuple | None:
        """The row's natural key (None when a key cell is missing or invalid)."""
        raise NotImplementedError

    def existing(self, keys: Iterable[tuple]) -> dict[tuple, object]:
        """Stored rows by natural key."""
        raise NotImplementedError

    def values(self, row: ParsedRow, target: object | None) -> dict | None:
        """Model attribute values for the row (references resolved), or None after errors."""
        raise NotImplementedError

    def create(self, values: dict) -> object:
        return self.model(**values)

    # -- shared ---------------------------------------------------------------------------
    def error(self, row: ParsedRow, key: str | None, message: str, value=None) -> None:
        column = self.header.shown(key) if key else None
        shown = row.raw.get(key) if key and value is None else value
        self.errors.add(row.number, column, shown, message)

    def resolve(self, row: ParsedRow, key: str, resolver):
        """Resolve a reference cell, recording a CellError as the row's error."""
        raw = row.raw.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            return resolver(raw)
        except CellError as exc:
            self.error(row, key, str(exc))
            return None

    def key_label(self) -> str:
        return " + ".join(self.header.shown(k) for k in self.dataset.key)

    def plan(self, rows: list[ParsedRow]) -> list[Operation]:
        """Check every row (duplicates, references, conflicts, scope) and decide its action."""
        seen: dict[tuple, int] = {}
        keyed: list[tuple[ParsedRow, tuple | None]] = []
        for row in rows:
            key = self.key(row)
            if key is not None:
                if key in seen:
                    self.error(
                        row,
                        self.dataset.key[0],
                        (
                            f"Doublon dans le fichier : même {self.key_label()} que la ligne {seen[key]}."
                        ),
                    )
                    key = None
                else:
                    seen[key] = row.number
            keyed.append((row, key))
        stored = self.existing([k for _, k in keyed if k is not None])
        operations = []
        for row, key in keyed:
            target = stored.get(key) if key is not None else None
            values = self.values(row, target)
            if values is None or key is None:
                continue
            if target is None and not self.can_create:
                self.error(
                    row,
                    self.dataset.key[0],
                    (
                        "Création refusée : votre rôle permet de mettre à jour les fiches existantes "
                        "de vos provinces, pas d'en enregistrer de nouvelles."
                    ),
                )
            elif target is None:
                operations.append(Operation(row.number, CREATE, values))
            else:
                changed = {k: v for k, v in values.items() if getattr(target, k) != v}
                action = UPDATE if changed else UNCHANGED
                operations.append(Operation(row.number, action, changed, target))
        return operations

    def apply(self, operations: list[Operation], written: Written) -> None:
        """Write the planned rows through the ORM (audited per row); ids into ``written``."""
        created = []
        for op in operations:
            if op.action == CREATE:
                obj = self.create(op.values)
                self.session.add(obj)
                created.append(obj)
            elif op.action == UPDATE:
                for attr, value in op.values.items():
                    setattr(op.target, attr, value)
        self.session.flush()
        table = self.model.__tablename__
        for obj in created:
            written.add(table, "insert", obj.id)
        for op in operations:
            if op.action == UPDATE:
                written.add(table, "update", op.target.id)
