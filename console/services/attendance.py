"""Attendance at a training session: who came, for which cooperative, how many days.

The rules the console's attendance table and the attendance import share: a participant
has a name and a gender, the cooperative (when given) is one the user may see, and a
coordinator names it; nobody attends more days than the session lasts; a participant is
recorded once per session and cooperative. Commands flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope
from console.security.scoping import get_in_scope as scoped_get
from console.services.commands import Command, parse_enum
from console.text_match import fold
from console.translations import gettext as _

FIELDS = ("participant_name", "gender", "role", "cooperative_id", "days_attended")


def session_length(training: m.TrainingSession) -> int:
    """How many days the session lasts, first and last included."""
    return (training.ends_on - training.starts_on).days + 1


def days_refusal(training: m.TrainingSession, days: int | None) -> str | None:
    """Why ``days`` of presence cannot be recorded at ``training`` (None when they can)."""
    if days is None:
        return None
    if days < 0:
        return _("Le nombre de jours de présence ne peut pas être négatif.")
    length = session_length(training)
    if days > length:
        return _("La session ne dure que %(n)s jour(s).", n=length)
    return None


def participant_key(name: str | None, cooperative_id: int | None) -> tuple[str, int | None]:
    """A participant compared tolerant of case, accents and spacing."""
    return " ".join((fold(name) or "").split()), cooperative_id


def _whole_number(value) -> int | None | bool:
    """An int from a cell or a typed text; None when empty; False when not a whole number."""
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return False


def _blank(row: Mapping) -> bool:
    return all(row.get(name) in (None, "") for name in FIELDS)


class RecordAttendance(Command):
    """Record the participants of one training session from a table; all rows or none."""

    def __init__(
        self,
        session: Session,
        scope: ProvinceScope,
        *,
        training_session_id,
        rows: Sequence[Mapping],
    ) -> None:
        self.session, self.scope = session, scope
        self.training = scoped_get(session, m.TrainingSession, training_session_id, scope)
        # Rows left empty in the table are not participants.
        self.rows = [(n, row) for n, row in enumerate(rows, start=1) if not _blank(row)]
        self.attendances: list[m.Attendance] = []

    def validate(self) -> list[str]:
        if self.training is None:
            return [_("Session de formation introuvable.")]
        if not self.rows:
            return [_("Saisissez au moins un participant.")]
        recorded = {
            participant_key(a.participant_name, a.cooperative_id)
            for a in self.session.scalars(
                select(m.Attendance).where(m.Attendance.session_id == self.training.id)
            )
        }
        errors: list[str] = []
        self.attendances = []
        for number, row in self.rows:
            problems, attendance = self._row(row, recorded)
            errors += [_("Ligne %(n)s : %(problem)s", n=number, problem=p) for p in problems]
            if attendance is not None:
                self.attendances.append(attendance)
        return errors

    def _row(self, row: Mapping, recorded: set) -> tuple[list[str], m.Attendance | None]:
        problems: list[str] = []
        name = " ".join(str(row.get("participant_name") or "").split())
        if not name:
            problems.append(_("indiquez le nom du participant."))
        gender = parse_enum(m.Gender, row.get("gender"))
        if gender is None:
            problems.append(_("indiquez le sexe (Femme ou Homme)."))
        cooperative = None
        if row.get("cooperative_id") not in (None, ""):
            cooperative = scoped_get(self.session, m.Cooperative, row["cooperative_id"], self.scope)
            if cooperative is None:
                problems.append(_("coopérative introuvable."))
        elif not self.scope.national:
            problems.append(
                _(
                    "indiquez la coopérative : un coordinateur n'enregistre que les présences "
                    "des coopératives de ses provinces."
                )
            )
        days = _whole_number(row.get("days_attended"))
        if days is False:
            problems.append(
                _(
                    "jours de présence : « %(value)s » n'est pas un nombre entier.",
                    value=row.get("days_attended"),
                )
            )
        else:
            refusal = days_refusal(self.training, days)
            if refusal:
                problems.append(refusal)
        if name:
            key = participant_key(name, cooperative.id if cooperative else None)
            if key in recorded:
                problems.append(
                    _("« %(name)s » est déjà enregistré(e) pour cette session.", name=name)
                )
            recorded.add(key)
        if problems or days is False:
            return problems, None
        role = " ".join(str(row.get("role") or "").split()) or None
        attendance = m.Attendance(
            session_id=self.training.id,
            cooperative=cooperative,
            participant_name=name,
            gender=gender,
            role=role,
            days_attended=days if days is not None else session_length(self.training),
        )
        return [], attendance

    def apply(self) -> list[m.Attendance]:
        self.session.add_all(self.attendances)
        self.session.flush()
        return self.attendances
