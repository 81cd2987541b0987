"""Training attendance, keyed by session, participant name and cooperative."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from console import models as m
from console.services.attendance import days_refusal

from .. import cells
from ..cells import CellError
from ..headers import name_key
from ..rowwise import RowImporter
from ..schema import Dataset, ParsedRow, column

COLUMNS = (
    column(
        "session",
        "Session",
        cells.text(200),
        "session de formation, formation, titre de la session, training session, training",
        "Formation des pionnières — Gitega",
        required=True,
        help="Titre de la session telle qu'enregistrée (Programme pilote → Sessions de formation).",
    ),
    column(
        "session_start",
        "Début de la session",
        cells.date,
        "date de la session, date de debut, session start, session date",
        "26/06/2023",
        help="Nécessaire seulement si plusieurs sessions portent le même titre.",
    ),
    column(
        "participant_name",
        "Participant",
        cells.text(160),
        "nom du participant, nom, noms et prenoms, nom et prenom, nom et prenoms, participant, participant name, name",
        "Jeanne Niyonzima",
        required=True,
    ),
    column(
        "gender",
        "Sexe",
        cells.choice(
            m.Gender,
            {
                "f": "F",
                "m": "M",
                "female": "F",
                "male": "M",
                "femme": "F",
                "homme": "M",
                "feminin": "F",
                "masculin": "M",
            },
        ),
        "genre, gender, sex",
        "F",
        required=True,
        help="F ou M (Femme, Homme).",
    ),
    column(
        "cooperative",
        "Coopérative",
        cells.text(200),
        "numero d'enregistrement, cooperative, organisation",
        "ANACOOP/2021/0042",
        help="Numéro d'enregistrement ou nom ; obligatoire pour un coordinateur.",
    ),
    column("role", "Fonction", cells.text(80), "role, poste, position", "Trésorière"),
    column(
        "days_attended",
        "Jours de présence",
        cells.integer(0, 60),
        "jours, presence, days, days attended",
        "5",
    ),
)


class AttendanceImporter(RowImporter):
    model = m.Attendance

    def key(self, row: ParsedRow):
        session = self.resolve(
            row, "session", lambda raw: self._session(raw, row.values.get("session_start"))
        )
        cooperative = self.resolve(row, "cooperative", self.refs.cooperative)
        row.values["_session"], row.values["_cooperative"] = session, cooperative
        name = row.values.get("participant_name")
        if session is None or not name:
            return None
        if row.raw.get("cooperative") not in (None, "") and cooperative is None:
            return None
        return (session.id, name_key(name), cooperative.id if cooperative else None)

    def _session(self, raw, start):
        sessions = self.__dict__.get("_sessions")
        if sessions is None:
            sessions = self.__dict__["_sessions"] = list(
                self.session.scalars(select(m.TrainingSession))
            )
        found = [s for s in sessions if name_key(s.title) == name_key(raw)]
        if start is not None:
            found = [s for s in found if s.starts_on == start]
        if not found:
            raise CellError(
                "Session de formation inconnue : enregistrez-la d'abord dans la console."
            )
        if len(found) > 1:
            raise CellError("Plusieurs sessions portent ce titre : indiquez la date de début.")
        return found[0]

    def existing(self, keys: Iterable[tuple]) -> dict:
        session_ids = {k[0] for k in keys}
        found = {}
        for attendance in self.session.scalars(
            select(m.Attendance).where(m.Attendance.session_id.in_(session_ids))
        ):
            found[
                (
                    attendance.session_id,
                    name_key(attendance.participant_name),
                    attendance.cooperative_id,
                )
            ] = attendance
        return found

    def values(self, row: ParsedRow, target):
        v = row.values
        if v["_session"] is None:
            return None
        if self.refs.allowed_cooperative_ids is not None and v["_cooperative"] is None:
            self.error(
                row,
                "cooperative",
                (
                    "Coopérative obligatoire : un coordinateur n'importe que les présences des "
                    "coopératives de ses provinces."
                ),
                value="",
            )
            return None
        session = v["_session"]
        refusal = days_refusal(session, v.get("days_attended"))
        if refusal:
            self.error(row, "days_attended", refusal)
            return None
        values = {k: v[k] for k in ("gender", "role", "days_attended") if v.get(k) is not None}
        if target is None:
            values.update(
                session_id=session.id,
                participant_name=v["participant_name"],
                cooperative_id=v["_cooperative"].id if v["_cooperative"] else None,
            )
        return values


DATASET = Dataset(
    kind="attendance",
    label="Présences aux formations",
    columns=COLUMNS,
    key=("session", "participant_name", "cooperative"),
    resource="AttendanceImportView",
    description="Les participants des sessions de formation, par session, nom et coopérative.",
    importer=AttendanceImporter,
    notes=("La session de formation doit déjà exister dans la console.",),
)
