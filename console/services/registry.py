"""The cooperative registry's rules: likely duplicates, and status changes with a reason.

Duplicates: an exact registration number is refused; the same NIF, or a near-identical
name in the same commune, is a warning the user confirms (the console form and the
importers ask the same question). Status changes (suspend, dissolve, reactivate) need a
reason; the audit trail records who made them and when, and :func:`status_history`
reads them back.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from console import models as m
from console.models import CooperativeStatus as CS
from console.security.scoping import ProvinceScope, get_in_scope, scope_clause
from console.services.commands import Command, parse_enum
from console.text_match import contains_folded, fold, folded
from console.translations import gettext as _

# Two names this similar (difflib ratio, after normalising) in one commune are flagged.
NAME_SIMILARITY = 0.88
# Words every cooperative name shares; they say nothing about which one it is.
GENERIC_WORDS = frozenset(
    {
        "cooperative",
        "cooperatives",
        "coop",
        "coopec",
        "societe",
        "association",
        "de",
        "des",
        "du",
        "la",
        "le",
        "les",
        "d",
        "l",
        "et",
    }
)
MIN_REASON_LENGTH = 10

# Status changes the directorate may record; a dissolution is final in law.
ALLOWED_STATUS_CHANGES = {
    CS.ACTIVE: {CS.SUSPENDED, CS.DISSOLVED},
    CS.SUSPENDED: {CS.ACTIVE, CS.DISSOLVED},
    CS.DISSOLVED: set(),
}


def normalized_name(name: str | None) -> str:
    """Lower case, no accents, no punctuation, without generic words like "coopérative"."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z0-9]+", text)
    return " ".join(w for w in words if w not in GENERIC_WORDS)


def names_look_alike(first: str | None, second: str | None) -> bool:
    """Whether two cooperative names are probably the same one written differently."""
    a, b = normalized_name(first), normalized_name(second)
    if not a or not b:
        return False
    return a == b or SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


@dataclass(frozen=True)
class CooperativeCandidate:
    """A cooperative about to be created (or edited: ``id`` is then its own)."""

    name: str
    registration_number: str | None = None
    nif: str | None = None
    commune_id: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class DuplicateMatch:
    """An existing cooperative the candidate may duplicate."""

    cooperative_id: int
    reason: str  # "registration_number", "nif" or "name"
    blocking: bool  # True: refused; False: a warning to confirm
    message: str


def _describe(cooperative: m.Cooperative, visible: bool) -> str:
    if not visible:
        return _("une coopérative d'une autre province")
    return _(
        "« %(name)s » (n° %(number)s, %(province)s)",
        name=cooperative.name,
        number=cooperative.registration_number,
        province=cooperative.province.name,
    )


def find_duplicates(
    session: Session, candidate: CooperativeCandidate, scope: ProvinceScope | None = None
) -> list[DuplicateMatch]:
    """Existing cooperatives the candidate may duplicate, searched across the country.

    Outside ``scope`` a match is reported without its name, so a coordinator learns
    there is a duplicate without seeing another province's record.
    """
    others = select(m.Cooperative)
    if candidate.id is not None:
        others = others.where(m.Cooperative.id != candidate.id)
    clause = scope_clause(m.Cooperative, scope) if scope is not None else None
    visible_ids: set[int] | None = None
    matches: list[DuplicateMatch] = []
    seen: set[tuple[int, str]] = set()

    def add(cooperative: m.Cooperative, reason: str, blocking: bool, wording) -> None:
        nonlocal visible_ids
        if (cooperative.id, reason) in seen:
            return
        seen.add((cooperative.id, reason))
        visible = True
        if clause is not None:
            if visible_ids is None:
                visible_ids = set(session.scalars(select(m.Cooperative.id).where(clause)))
            visible = cooperative.id in visible_ids
        matches.append(
            DuplicateMatch(
                cooperative.id, reason, blocking, wording(_describe(cooperative, visible))
            )
        )

    number = (candidate.registration_number or "").strip()
    if number:
        query = others.where(func.lower(m.Cooperative.registration_number) == number.lower())
        for cooperative in session.scalars(query):
            add(
                cooperative,
                "registration_number",
                True,
                lambda other: _(
                    "Ce numéro d'enregistrement est déjà celui de %(other)s.", other=other
                ),
            )
    nif = (candidate.nif or "").strip()
    if nif:
        for cooperative in session.scalars(others.where(m.Cooperative.nif == nif)):
            add(
                cooperative,
                "nif",
                False,
                lambda other: _("Ce NIF est déjà celui de %(other)s.", other=other),
            )
    if candidate.commune_id and normalized_name(candidate.name):
        query = others.where(m.Cooperative.commune_id == candidate.commune_id)
        for cooperative in session.scalars(query):
            if names_look_alike(candidate.name, cooperative.name):
                add(
                    cooperative,
                    "name",
                    False,
                    lambda other: _(
                        "Un nom presque identique existe dans la même commune : %(other)s.",
                        other=other,
                    ),
                )
    return matches


class ChangeCooperativeStatus(Command):
    """Suspend, dissolve or reactivate a cooperative, with the reason (audited)."""

    def __init__(
        self, session: Session, scope: ProvinceScope, *, cooperative_id, status, reason: str | None
    ) -> None:
        self.session = session
        self.cooperative = get_in_scope(session, m.Cooperative, cooperative_id, scope)
        self.status = parse_enum(CS, status)
        self.reason = (reason or "").strip()

    def validate(self) -> list[str]:
        if self.cooperative is None:
            return [_("Coopérative introuvable.")]
        errors = []
        current = self.cooperative.status
        if self.status is None:
            errors.append(_("Choisissez le nouveau statut."))
        elif self.status == current:
            errors.append(
                _(
                    "« %(name)s » est déjà « %(status)s ».",
                    name=self.cooperative.name,
                    status=_(current.label),
                )
            )
        elif self.status not in ALLOWED_STATUS_CHANGES[current]:
            errors.append(
                _(
                    "Une coopérative dissoute ne peut plus changer de statut : la dissolution est "
                    "définitive (enregistrez au besoin une nouvelle coopérative)."
                )
            )
        if len(self.reason) < MIN_REASON_LENGTH:
            errors.append(
                _(
                    "Indiquez le motif du changement de statut (au moins %(n)s caractères), par "
                    "exemple la décision de l'assemblée générale et sa date.",
                    n=MIN_REASON_LENGTH,
                )
            )
        return errors

    def apply(self) -> m.Cooperative:
        self.cooperative.status = self.status
        self.cooperative.status_reason = self.reason
        self.session.flush()
        return self.cooperative


@dataclass(frozen=True)
class StatusChange:
    at: dt.datetime
    username: str | None
    old_status: str | None
    new_status: str
    reason: str | None


def _status_label(value: str | None) -> str | None:
    return _(CS(value).label) if value in {s.value for s in CS} else value


def status_history(session: Session, cooperative_id: int) -> list[StatusChange]:
    """The cooperative's status changes, newest first, as the audit trail recorded them."""
    events = session.scalars(
        select(m.AuditEvent)
        .where(
            m.AuditEvent.table_name == m.Cooperative.__tablename__,
            m.AuditEvent.row_id == cooperative_id,
        )
        .order_by(m.AuditEvent.at.desc(), m.AuditEvent.id.desc())
    )
    history = []
    for event in events:
        changes = event.changes or {}
        if event.action == "insert":
            history.append(
                StatusChange(
                    event.at,
                    event.username,
                    None,
                    _status_label(changes.get("status")),
                    changes.get("status_reason"),
                )
            )
        elif "status" in changes:
            old, new = changes["status"]
            reason = changes.get("status_reason", [None, None])[1]
            history.append(
                StatusChange(
                    event.at, event.username, _status_label(old), _status_label(new), reason
                )
            )
    return history


# -- finding a cooperative by what people know (its ANACOOP number or its name) -----------

LOOKUP_LIMIT = 20


def _folded_search(session: Session, text: str):
    dialect = session.get_bind().dialect.name
    return [
        contains_folded(column, text, dialect)
        for column in (m.Cooperative.registration_number, m.Cooperative.name, m.Cooperative.acronym)
    ]


def find_cooperatives(
    session: Session, scope: ProvinceScope, text: str, limit: int = LOOKUP_LIMIT
) -> list[m.Cooperative]:
    """Cooperatives in ``scope`` whose ANACOOP number, name or acronym contains ``text``
    (case and accents ignored), by name: the typeahead's suggestions."""
    text = " ".join((text or "").split())
    if len(text) < 2:
        return []
    query = select(m.Cooperative).where(or_(*_folded_search(session, text)))
    clause = scope_clause(m.Cooperative, scope)
    if clause is not None:
        query = query.where(clause)
    return list(session.scalars(query.order_by(m.Cooperative.name).limit(limit)))


def cooperative_by_identifier(
    session: Session, scope: ProvinceScope, text: str
) -> tuple[m.Cooperative | None, str | None]:
    """The one cooperative in ``scope`` that ``text`` designates — its ANACOOP number, its
    exact name, or a part of its name only it has — else None and a French reason."""
    text = " ".join((text or "").split())
    if not text:
        return None, _("Coopérative : indiquez son numéro ANACOOP ou son nom.")
    dialect = session.get_bind().dialect.name
    clause = scope_clause(m.Cooperative, scope)

    def equal(column) -> list[m.Cooperative]:
        query = select(m.Cooperative).where(folded(column, dialect) == fold(text))
        if clause is not None:
            query = query.where(clause)
        return list(session.scalars(query.order_by(m.Cooperative.name).limit(LOOKUP_LIMIT)))

    for finder in (
        lambda: equal(m.Cooperative.registration_number),
        lambda: equal(m.Cooperative.name),
        lambda: find_cooperatives(session, scope, text, limit=LOOKUP_LIMIT + 1),
    ):
        found = finder()
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            shown = ", ".join(f"{c.name} ({c.registration_number})" for c in found[:5])
            more = " …" if len(found) > 5 else ""
            return None, _(
                "Coopérative : « %(text)s » en désigne plusieurs (%(names)s%(more)s) ; "
                "choisissez-en une dans la liste ou tapez son numéro ANACOOP.",
                text=text,
                names=shown,
                more=more,
            )
    return None, _(
        "Coopérative : aucune coopérative de votre périmètre ne porte le numéro ou le nom "
        "« %(text)s ».",
        text=text,
    )
