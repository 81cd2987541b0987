"""The pilot programme's enrollment workflow: who may move forward, and the history.

nominated → selected → trained → equipped → active, one step at a time; any enrollment
not yet withdrawn may be withdrawn, with a reason. Guards, from the programme's rules:
trained needs attendance at a training session, equipped a tablet checked out to the
cooperative, active a listing or a sale. Every step writes an EnrollmentTransition
(from, to, who, when, note) and sets the step's date column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from console import models as m
from console.models import EnrollmentStatus as S
from console.models.types import utcnow
from console.services.audit import current_actor
from console.services.commands import Command
from console.services.periods import today_local
from console.translations import gettext as _

FORWARD = (S.NOMINATED, S.SELECTED, S.TRAINED, S.EQUIPPED, S.ACTIVE)
PREVIOUS = {later: earlier for earlier, later in zip(FORWARD, FORWARD[1:], strict=False)}
TERMINAL = frozenset({S.WITHDRAWN})
DATE_COLUMN = {
    S.NOMINATED: "nominated_on",
    S.SELECTED: "selected_on",
    S.TRAINED: "trained_on",
    S.EQUIPPED: "equipped_on",
    S.ACTIVE: "activated_on",
    S.WITHDRAWN: "withdrawn_on",
}


def _has_attendance(session: Session, cooperative_id: int) -> bool:
    query = select(exists().where(m.Attendance.cooperative_id == cooperative_id))
    return bool(session.scalar(query))


def _has_tablet(session: Session, cooperative_id: int) -> bool:
    query = select(
        exists().where(
            m.DeviceAssignment.cooperative_id == cooperative_id,
            m.DeviceAssignment.checked_in_at.is_(None),
            m.DeviceAssignment.device_id == m.Device.id,
            m.Device.kind == m.DeviceKind.TABLET,
        )
    )
    return bool(session.scalar(query))


def _has_listing_or_sale(session: Session, cooperative_id: int) -> bool:
    listing = select(exists().where(m.Listing.cooperative_id == cooperative_id))
    sale = select(
        exists().where(m.OrderLine.order_id == m.Order.id, m.Order.seller_id == cooperative_id)
    )
    return bool(session.scalar(listing)) or bool(session.scalar(sale))


def _label(status: S) -> str:
    return _(status.label)


def refusal(session: Session, enrollment: m.Enrollment, target: S, note: str | None) -> str | None:
    """Why ``enrollment`` may not move to ``target``, in French; None when it may."""
    cooperative = enrollment.cooperative
    name = cooperative.name
    current = enrollment.status
    if current == target:
        return _("« %(name)s » est déjà « %(status)s ».", name=name, status=_label(target))
    if current in TERMINAL:
        return _(
            "« %(name)s » est « %(status)s » : son inscription ne peut plus changer.",
            name=name,
            status=_label(current),
        )
    if target == S.WITHDRAWN:
        if not (note or "").strip():
            return _("Indiquez le motif du retrait de « %(name)s ».", name=name)
        return None
    if PREVIOUS.get(target) != current:
        return _(
            "« %(name)s » est « %(current)s » : elle ne peut passer à « %(target)s » "
            "qu'après l'étape « %(previous)s ».",
            name=name,
            current=_label(current),
            target=_label(target),
            previous=_label(PREVIOUS[target]) if target in PREVIOUS else "—",
        )
    if cooperative.status != m.CooperativeStatus.ACTIVE:
        return _(
            "« %(name)s » est %(status)s : une coopérative suspendue ou dissoute ne "
            "progresse plus dans le programme.",
            name=name,
            status=_(cooperative.status.label).lower(),
        )
    if target == S.TRAINED and not _has_attendance(session, cooperative.id):
        return _(
            "« %(name)s » ne peut pas être marquée « Formée » : aucune présence à une "
            "session de formation n'est enregistrée pour elle (Programme pilote › Présences).",
            name=name,
        )
    if target == S.EQUIPPED and not _has_tablet(session, cooperative.id):
        return _(
            "« %(name)s » ne peut pas être marquée « Équipée » : aucune tablette ne lui est "
            "remise. Enregistrez d'abord la remise d'une tablette (Inventaire › Remises).",
            name=name,
        )
    if target == S.ACTIVE and not _has_listing_or_sale(session, cooperative.id):
        return _(
            "« %(name)s » ne peut pas être marquée « Active » : elle n'a encore publié "
            "aucune offre ni réalisé aucune vente sur la plateforme.",
            name=name,
        )
    return None


class TransitionEnrollments(Command):
    """Move one or more enrollments to ``target``; all of them or none."""

    def __init__(
        self,
        session: Session,
        enrollments: Sequence[m.Enrollment],
        target: S,
        note: str | None = None,
        on: dt.date | None = None,
    ) -> None:
        self.session = session
        self.enrollments = list(enrollments)
        self.target = S(target)
        self.note = (note or "").strip() or None
        self.on = on or today_local()

    def validate(self) -> list[str]:
        if not self.enrollments:
            return [_("Sélectionnez au moins une inscription.")]
        errors = []
        if self.on > today_local():
            errors.append(_("La date ne peut pas être dans le futur."))
        for enrollment in self.enrollments:
            reason = refusal(self.session, enrollment, self.target, self.note)
            if reason:
                errors.append(reason)
        return errors

    def apply(self) -> list[m.EnrollmentTransition]:
        actor = current_actor()
        at = utcnow()
        transitions = []
        for enrollment in self.enrollments:
            transition = m.EnrollmentTransition(
                enrollment=enrollment,
                from_status=enrollment.status.value,
                to_status=self.target.value,
                at=at,
                by_user_id=actor.user_id,
                by_username=actor.username,
                note=self.note,
            )
            enrollment.status = self.target
            setattr(enrollment, DATE_COLUMN[self.target], self.on)
            self.session.add(transition)
            transitions.append(transition)
        self.session.flush()
        return transitions


def nomination_refusal(
    session: Session, cohort: m.Cohort | None, cooperative: m.Cooperative
) -> str | None:
    """Why ``cooperative`` may not be nominated into ``cohort``, in French; None when it may."""
    if cooperative.status != m.CooperativeStatus.ACTIVE:
        return _(
            "« %(name)s » est %(status)s : elle ne peut pas être nominée.",
            name=cooperative.name,
            status=_(cooperative.status.label).lower(),
        )
    if cohort is None or cohort.id is None:
        return None
    duplicate = session.scalar(
        select(m.Enrollment.id).where(
            m.Enrollment.cohort_id == cohort.id, m.Enrollment.cooperative_id == cooperative.id
        )
    )
    if duplicate:
        return _(
            "« %(name)s » est déjà inscrite dans la cohorte « %(cohort)s ».",
            name=cooperative.name,
            cohort=cohort.name,
        )
    return None


class NominateCooperatives(Command):
    """Nominate one or more cooperatives into a cohort; all of them or none."""

    def __init__(
        self,
        session: Session,
        cohort: m.Cohort | None,
        cooperatives: Sequence[m.Cooperative],
        on: dt.date | None = None,
    ) -> None:
        self.session = session
        self.cohort = cohort
        self.cooperatives = list({c.id: c for c in cooperatives}.values())
        self.on = on or today_local()

    def validate(self) -> list[str]:
        errors = []
        if not self.cooperatives:
            errors.append(_("Sélectionnez au moins une coopérative."))
        if self.cohort is None:
            errors.append(_("Choisissez la cohorte."))
        if self.on > today_local():
            errors.append(_("La date ne peut pas être dans le futur."))
        for cooperative in self.cooperatives:
            reason = nomination_refusal(self.session, self.cohort, cooperative)
            if reason:
                errors.append(reason)
        return errors

    def apply(self) -> list[m.Enrollment]:
        enrollments = []
        for cooperative in self.cooperatives:
            enrollment = m.Enrollment(
                cohort=self.cohort, cooperative=cooperative, nominated_on=self.on
            )
            record_nomination(enrollment)
            self.session.add(enrollment)
            enrollments.append(enrollment)
        self.session.flush()
        return enrollments


def record_nomination(enrollment: m.Enrollment) -> m.EnrollmentTransition:
    """The first line of a new enrollment's history (written with the enrollment)."""
    actor = current_actor()
    enrollment.status = S.NOMINATED
    enrollment.nominated_on = enrollment.nominated_on or today_local()
    transition = m.EnrollmentTransition(
        from_status=None,
        to_status=S.NOMINATED.value,
        at=utcnow(),
        by_user_id=actor.user_id,
        by_username=actor.username,
    )
    enrollment.transitions.append(transition)
    return transition
