"""Tablets and accessories: check-out, check-in, transfer, incidents, audits, stock.

Rules: a device is handed to one cooperative at a time; only a device in stock can be
checked out (a lost, stolen, retired or in-repair one cannot); an incident moves the
device's status (lost → lost, stolen → stolen and its hand-over closed, damaged → in
repair, repaired → back with the cooperative that holds it, else in stock). A tablet
lost, stolen, checked in or transferred has its integration API clients revoked in the
same transaction, and the hand-over's note (printed on its receipt) says so. Devices and
cooperatives are looked up through the caller's province scope: another province's id
is "not found". Commands flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from stdnum import imei as stdnum_imei
from stdnum import luhn

from console import models as m
from console.models import DeviceStatus as DS
from console.models import IncidentKind as IK
from console.models.types import utcnow
from console.security.scoping import ProvinceScope, apply_scope
from console.security.scoping import get_in_scope as scoped_get
from console.services.api_clients import revoke_device_clients
from console.services.commands import Command, french_date, parse_enum
from console.services.periods import BUJUMBURA, local_date, local_midnight_utc, today_local
from console.translations import N_
from console.translations import gettext as _

# Statuses from which a device can never be handed out without first being dealt with.
NOT_AVAILABLE = {
    DS.LOST: N_("déclaré perdu"),
    DS.STOLEN: N_("déclaré volé"),
    DS.RETIRED: N_("réformé"),
    DS.IN_REPAIR: N_("en réparation"),
}
COOPERATIVE_CLOSED = (m.CooperativeStatus.SUSPENDED, m.CooperativeStatus.DISSOLVED)


IMEI_LENGTH = 15


def normalise_imei(value) -> str | None:
    """An IMEI as typed or read from a cell (spaces, hyphens, a number) → its digits; None
    when blank."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return stdnum_imei.compact(str(value)) or None


def imei_error(value: str | None) -> str | None:
    """Why ``value`` (normalised) is not an IMEI, in French; None when it is one or blank."""
    if value is None:
        return None
    if not value.isdigit() or len(value) != IMEI_LENGTH:
        return _(
            "IMEI « %(value)s » : 15 chiffres attendus (le numéro affiché par *#06#).",
            value=value,
        )
    if not luhn.is_valid(value):
        return _(
            "IMEI « %(value)s » : le dernier chiffre (chiffre de contrôle) ne correspond pas ; "
            "vérifiez la saisie.",
            value=value,
        )
    return None


def open_assignment(session: Session, device_id: int) -> m.DeviceAssignment | None:
    """The device's current hand-over, if it is with a cooperative."""
    query = select(m.DeviceAssignment).where(
        m.DeviceAssignment.device_id == device_id, m.DeviceAssignment.checked_in_at.is_(None)
    )
    return session.scalars(query).first()


def _moment(day: dt.date | None) -> dt.datetime:
    """An aware UTC instant for a day entered in Bujumbura: now if today or unset."""
    if day is None or day == today_local():
        return utcnow()
    return dt.datetime.combine(day, dt.time(12), tzinfo=BUJUMBURA).astimezone(dt.UTC)


def _check_day(day: dt.date | None, errors: list[str]) -> None:
    if day is not None and day > today_local():
        errors.append(_("La date ne peut pas être dans le futur (%(day)s).", day=french_date(day)))


def _check_recipient(cooperative: m.Cooperative | None, errors: list[str]) -> None:
    if cooperative is None:
        errors.append(_("Coopérative introuvable."))
    elif cooperative.status in COOPERATIVE_CLOSED:
        errors.append(
            _(
                "« %(name)s » est %(status)s : aucun équipement ne peut lui être remis.",
                name=cooperative.name,
                status=_(cooperative.status.label).lower(),
            )
        )


def _required(value: str | None, label: str, errors: list[str]) -> str:
    text = (value or "").strip()
    if not text:
        errors.append(_("Le champ « %(field)s » est obligatoire.", field=label))
    return text


class CheckOutDevice(Command):
    """Hand a device in stock to a cooperative."""

    def __init__(
        self,
        session: Session,
        scope: ProvinceScope,
        *,
        device_id,
        cooperative_id,
        received_by: str,
        condition,
        day: dt.date | None = None,
        note: str | None = None,
    ) -> None:
        self.session, self.scope = session, scope
        self.device = scoped_get(session, m.Device, device_id, scope)
        self.cooperative = scoped_get(session, m.Cooperative, cooperative_id, scope)
        self.received_by, self.day, self.note = received_by, day, note
        self.condition = parse_enum(m.DeviceCondition, condition)

    def validate(self) -> list[str]:
        errors: list[str] = []
        if self.device is None:
            errors.append(_("Équipement introuvable."))
        else:
            errors += availability_errors(self.session, self.device, self.scope)
        _check_recipient(self.cooperative, errors)
        self.received_by = _required(self.received_by, _("Reçu par"), errors)
        if not self.condition:
            errors.append(_("Indiquez l'état de l'équipement à la remise."))
        _check_day(self.day, errors)
        return errors

    def apply(self) -> m.DeviceAssignment:
        assignment = m.DeviceAssignment(
            device=self.device,
            cooperative=self.cooperative,
            checked_out_at=_moment(self.day),
            received_by=self.received_by,
            condition_out=self.condition,
            note=(self.note or "").strip() or None,
        )
        self.device.status = DS.ASSIGNED
        # The device now sits in the cooperative's province: its coordinator follows it.
        self.device.province_id = self.cooperative.province_id
        self.session.add(assignment)
        self.session.flush()
        return assignment


class CheckOutDevices(Command):
    """Hand several devices in stock to one cooperative at once: all of them or none.

    Each device goes through CheckOutDevice's own guards; a refusal shared by every
    device (the cooperative, a missing field) is said once."""

    def __init__(self, session: Session, scope: ProvinceScope, *, device_ids, **values) -> None:
        ids = list(dict.fromkeys(device_ids or ()))
        self.commands = [
            CheckOutDevice(session, scope, device_id=device_id, **values) for device_id in ids
        ]

    def validate(self) -> list[str]:
        if not self.commands:
            return [_("Sélectionnez au moins un équipement.")]
        errors: list[str] = []
        for command in self.commands:
            errors += [error for error in command.validate() if error not in errors]
        return errors

    def apply(self) -> list[m.DeviceAssignment]:
        return [command.apply() for command in self.commands]


def availability_errors(session: Session, device: m.Device, scope: ProvinceScope) -> list[str]:
    """Why ``device`` cannot be checked out now (empty when it can); the holder is named
    only when ``scope`` may see that hand-over."""
    if device.status in NOT_AVAILABLE:
        return [
            _(
                "L'équipement %(tag)s est %(state)s : il ne peut pas être remis.",
                tag=device.asset_tag,
                state=_(NOT_AVAILABLE[device.status]),
            )
        ]
    current = open_assignment(session, device.id)
    if current is not None or device.status == DS.ASSIGNED:
        visible = current is not None and scoped_get(session, m.DeviceAssignment, current.id, scope)
        holder = (
            current.cooperative.name
            if visible
            else (_("une coopérative d'une autre province") if current is not None else "—")
        )
        return [
            _(
                "L'équipement %(tag)s est déjà remis à « %(holder)s » : enregistrez sa "
                "restitution ou un transfert avant de le remettre à nouveau.",
                tag=device.asset_tag,
                holder=holder,
            )
        ]
    return []


class CheckInDevice(Command):
    """Close a device's hand-over: the device is back in stock (or stays in repair)."""

    def __init__(
        self,
        session: Session,
        scope: ProvinceScope,
        *,
        assignment_id,
        condition,
        day: dt.date | None = None,
        note: str | None = None,
    ) -> None:
        self.session = session
        self.assignment = scoped_get(session, m.DeviceAssignment, assignment_id, scope)
        self.day, self.note = day, note
        self.condition = parse_enum(m.DeviceCondition, condition)

    def validate(self) -> list[str]:
        errors: list[str] = []
        if self.assignment is None:
            return [_("Remise introuvable.")]
        if self.assignment.checked_in_at is not None:
            errors.append(_("Cette remise est déjà clôturée."))
        if not self.condition:
            errors.append(_("Indiquez l'état de l'équipement au retour."))
        _check_day(self.day, errors)
        if self.day and self.day < local_date(self.assignment.checked_out_at):
            errors.append(_("La restitution ne peut pas précéder la remise."))
        return errors

    def apply(self) -> m.DeviceAssignment:
        assignment = self.assignment
        assignment.checked_in_at = _moment(self.day)
        assignment.condition_in = self.condition
        if self.note:
            assignment.note = "\n".join(filter(None, [assignment.note, self.note.strip()]))
        device = assignment.device
        if device.status in (DS.ASSIGNED, DS.LOST):
            # A lost device handed back was found: it returns to stock.
            device.status = DS.IN_STOCK
        revoke_api_clients(self.session, device, [assignment], _("restituée"))
        self.session.flush()
        return assignment


class TransferDevice(Command):
    """Move a device from the cooperative holding it to another, in one step."""

    def __init__(
        self,
        session: Session,
        scope: ProvinceScope,
        *,
        assignment_id,
        cooperative_id,
        received_by: str,
        condition,
        day: dt.date | None = None,
        note: str | None = None,
    ) -> None:
        self.session = session
        self.assignment = scoped_get(session, m.DeviceAssignment, assignment_id, scope)
        self.cooperative = scoped_get(session, m.Cooperative, cooperative_id, scope)
        self.received_by, self.day, self.note = received_by, day, note
        self.condition = parse_enum(m.DeviceCondition, condition)

    def validate(self) -> list[str]:
        errors: list[str] = []
        if self.assignment is None:
            return [_("Remise introuvable.")]
        if self.assignment.checked_in_at is not None:
            errors.append(
                _("Cette remise est clôturée : l'équipement n'est plus chez la coopérative.")
            )
        device = self.assignment.device
        if device.status != DS.ASSIGNED:
            errors.append(
                _(
                    "L'équipement %(tag)s est « %(status)s » : il ne peut pas être transféré.",
                    tag=device.asset_tag,
                    status=_(device.status.label),
                )
            )
        _check_recipient(self.cooperative, errors)
        if self.cooperative is not None and self.cooperative.id == self.assignment.cooperative_id:
            errors.append(_("Choisissez une autre coopérative que celle qui détient l'équipement."))
        self.received_by = _required(self.received_by, _("Reçu par"), errors)
        if not self.condition:
            errors.append(_("Indiquez l'état de l'équipement au transfert."))
        _check_day(self.day, errors)
        return errors

    def apply(self) -> m.DeviceAssignment:
        at = _moment(self.day)
        condition = self.condition
        old = self.assignment
        old.checked_in_at = at
        old.condition_in = condition
        new = m.DeviceAssignment(
            device=old.device,
            cooperative=self.cooperative,
            checked_out_at=at,
            received_by=self.received_by,
            condition_out=condition,
            note=(self.note or "").strip()
            or _("Transfert depuis « %(name)s ».", name=old.cooperative.name),
        )
        old.device.province_id = self.cooperative.province_id
        self.session.add(new)
        revoke_api_clients(
            self.session, old.device, [old, new], _("transférée à une autre coopérative")
        )
        self.session.flush()
        return new


# Incident kind → the status it leads to, and the statuses it cannot follow.
INCIDENT_TARGET = {IK.LOST: DS.LOST, IK.STOLEN: DS.STOLEN, IK.DAMAGED: DS.IN_REPAIR}
# How the home page and the pilot dashboard count devices (one definition for both):
# with a cooperative, and out of use (« perdus, volés ou en réparation »).
DEPLOYED_STATUSES = (DS.ASSIGNED,)
TROUBLED_STATUSES = (DS.LOST, DS.STOLEN, DS.IN_REPAIR)


class ReportIncident(Command):
    """Record a loss, theft, damage or repair, and move the device's status."""

    def __init__(
        self,
        session: Session,
        scope: ProvinceScope,
        *,
        device_id,
        kind,
        occurred_on: dt.date | None,
        reported_by: str,
        description: str | None = None,
    ) -> None:
        self.session = session
        self.device = scoped_get(session, m.Device, device_id, scope)
        self.kind = parse_enum(IK, kind)
        self.occurred_on, self.reported_by, self.description = occurred_on, reported_by, description

    def validate(self) -> list[str]:
        errors: list[str] = []
        if self.device is None:
            errors.append(_("Équipement introuvable."))
        if self.kind is None:
            errors.append(_("Indiquez le type d'incident."))
        if self.occurred_on is None:
            errors.append(_("Indiquez la date de l'incident."))
        _check_day(self.occurred_on, errors)
        self.reported_by = _required(self.reported_by, _("Signalé par"), errors)
        if self.device is not None and self.kind is not None:
            status = self.device.status
            if status in (DS.STOLEN, DS.RETIRED) or (status == DS.LOST and self.kind != IK.STOLEN):
                errors.append(
                    _(
                        "L'équipement %(tag)s est déjà « %(status)s » : incident impossible.",
                        tag=self.device.asset_tag,
                        status=_(status.label),
                    )
                )
            elif self.kind == IK.REPAIRED and status != DS.IN_REPAIR:
                errors.append(
                    _(
                        "L'équipement %(tag)s n'est pas en réparation : il ne peut pas être "
                        "déclaré réparé.",
                        tag=self.device.asset_tag,
                    )
                )
        return errors

    def apply(self) -> m.DeviceIncident:
        device = self.device
        incident = m.DeviceIncident(
            device=device,
            kind=self.kind,
            occurred_on=self.occurred_on,
            reported_by=self.reported_by,
            description=(self.description or "").strip() or None,
        )
        current = open_assignment(self.session, device.id)
        if self.kind == IK.REPAIRED:
            device.status = DS.ASSIGNED if current is not None else DS.IN_STOCK
        else:
            device.status = INCIDENT_TARGET[self.kind]
        if self.kind == IK.STOLEN and current is not None:
            # A stolen device is no longer with the cooperative: its hand-over ends.
            current.checked_in_at = _moment(self.occurred_on)
            current.note = "\n".join(filter(None, [current.note, _("Clôturée : vol déclaré.")]))
        if self.kind in (IK.LOST, IK.STOLEN):
            event = _("déclarée volée") if self.kind == IK.STOLEN else _("déclarée perdue")
            revoke_api_clients(self.session, device, [current] if current else [], event)
        self.session.add(incident)
        self.session.flush()
        return incident


def revoke_api_clients(
    session: Session, device: m.Device, assignments: list[m.DeviceAssignment], event: str
) -> None:
    """Revoke the device's integration API clients now; the hand-overs' notes (printed on
    the receipt) say so. A tablet out of its cooperative's hands must not sell for it."""
    revoked = revoke_device_clients(session, device, str(event))
    if not revoked:
        return
    names = ", ".join(client.name for client in revoked)
    text = _(
        "Accès à l'API révoqué pour cette tablette (%(names)s) : un nouveau client doit être créé.",
        names=names,
    )
    for assignment in assignments:
        assignment.note = "\n".join(filter(None, [assignment.note, str(text)]))


class RecordAudit(Command):
    """Record that a device was physically seen: on which day, by whom, where."""

    def __init__(
        self,
        session: Session,
        scope: ProvinceScope,
        *,
        device_id,
        seen_on: dt.date | None,
        seen_by: str,
        location: str | None = None,
        note: str | None = None,
    ) -> None:
        self.session = session
        self.device = scoped_get(session, m.Device, device_id, scope)
        self.seen_on, self.seen_by, self.location, self.note = seen_on, seen_by, location, note

    def validate(self) -> list[str]:
        errors: list[str] = []
        if self.device is None:
            errors.append(_("Équipement introuvable."))
        if self.seen_on is None:
            errors.append(_("Indiquez la date du contrôle."))
        _check_day(self.seen_on, errors)
        self.seen_by = _required(self.seen_by, _("Vu par"), errors)
        return errors

    def apply(self) -> m.DeviceAudit:
        audit = m.DeviceAudit(
            device=self.device,
            seen_on=self.seen_on,
            seen_by=self.seen_by,
            location=(self.location or "").strip() or None,
            note=(self.note or "").strip() or None,
        )
        self.session.add(audit)
        self.session.flush()
        return audit


@dataclass(frozen=True)
class StockTable:
    """Device counts per province (rows) and status (columns), with totals."""

    statuses: tuple[DS, ...]
    rows: tuple[tuple[str, dict[DS, int], int], ...]  # province name, counts, total
    totals: dict[DS, int]
    total: int


def _province_label(name: str | None, map_version: str | None) -> str:
    if name is None:
        return _("Non localisé")
    return name if map_version != m.MapVersion.MAP_2025.value else f"{name} (2025)"


def stock_by_province(session: Session, scope: ProvinceScope, kind=None) -> StockTable:
    """How many devices each province holds, per status, within ``scope``."""
    query = (
        select(m.Province.name, m.Province.map_version, m.Device.status, func.count(m.Device.id))
        .select_from(m.Device)
        .outerjoin(m.Province, m.Province.id == m.Device.province_id)
        .group_by(m.Province.id, m.Province.name, m.Province.map_version, m.Device.status)
    )
    if kind:
        query = query.where(m.Device.kind == m.DeviceKind(kind))
    query = apply_scope(query, m.Device, scope)
    counts: dict[str, Counter] = {}
    for name, map_version, status, count in session.execute(query):
        counts.setdefault(_province_label(name, map_version), Counter())[DS(status)] += count
    rows = tuple(
        (name, dict(counter), sum(counter.values()))
        for name, counter in sorted(counts.items(), key=lambda item: item[0])
    )
    totals: Counter = Counter()
    for counter in counts.values():
        totals.update(counter)
    return StockTable(tuple(DS), rows, dict(totals), sum(totals.values()))


@dataclass(frozen=True)
class HandoverReceipt:
    """What a hand-over receipt prints: the device, the cooperative, who received it."""

    reference: str
    checked_out_at: dt.datetime
    checked_in_at: dt.datetime | None
    device_kind: str
    asset_tag: str
    serial: str
    imei: str | None
    device_model: str | None
    funder: str | None
    cooperative_name: str
    registration_number: str
    province: str
    commune: str | None
    received_by: str
    condition: str
    note: str | None
    # Other equipment handed to the same cooperative the same day (accessories).
    companions: tuple[tuple[str, str, str], ...]  # kind, asset tag, serial


def receipt_reference(assignment_id: int) -> str:
    """The number printed on a hand-over receipt."""
    return f"REM-{assignment_id:06d}"


# « REM-000012 », « rem 12 », « 12 »: the number printed on a receipt (not an IMEI).
_RECEIPT_NUMBER = re.compile(r"^(?:REM)?[\s\-/°:n]*0*(\d{1,9})$", re.IGNORECASE)


def receipt_number(text: str | None) -> int | None:
    """The hand-over id a receipt number designates, or None when it is not one."""
    match = _RECEIPT_NUMBER.match((text or "").strip())
    return int(match.group(1)) if match else None


def handover_by_reference(
    session: Session, scope: ProvinceScope, text: str | None
) -> tuple[m.DeviceAssignment | None, str | None]:
    """The hand-over ``text`` designates within ``scope`` — its receipt number, or a device's
    asset tag, serial number or IMEI (then the device's latest hand-over) — else None and
    a French reason."""
    text = " ".join((text or "").split())
    if not text:
        return None, _(
            "Remise : indiquez le numéro du bon (REM-000012) ou le numéro d'inventaire de "
            "l'équipement."
        )
    number = receipt_number(text)
    if number is not None:
        found = scoped_get(session, m.DeviceAssignment, number, scope)
        if found is None:
            return None, _(
                "Remise : aucun bon %(ref)s dans votre périmètre.", ref=receipt_reference(number)
            )
        return found, None
    key = text.upper().replace(" ", "")
    device_ids = select(m.Device.id).where(
        or_(
            func.upper(m.Device.asset_tag) == key,
            func.upper(m.Device.serial) == key,
            m.Device.imei == normalise_imei(text),
        )
    )
    query = apply_scope(
        select(m.DeviceAssignment)
        .where(m.DeviceAssignment.device_id.in_(device_ids))
        .order_by(m.DeviceAssignment.checked_out_at.desc(), m.DeviceAssignment.id.desc()),
        m.DeviceAssignment,
        scope,
    )
    found = session.scalars(query.limit(1)).first()
    if found is None:
        return None, _(
            "Remise : aucun équipement « %(text)s » remis dans votre périmètre (numéro "
            "d'inventaire, de série ou IMEI).",
            text=text,
        )
    return found, None


def find_handovers(
    session: Session, scope: ProvinceScope, text: str | None, limit: int = 20
) -> list[m.DeviceAssignment]:
    """Hand-overs in ``scope`` for the typeahead: by receipt number, or whose device's asset
    tag, serial number or IMEI contains ``text``; latest first."""
    from console.text_match import contains_folded

    text = " ".join((text or "").split())
    if len(text) < 2:
        return []
    dialect = session.get_bind().dialect.name
    matches = [
        m.DeviceAssignment.device_id.in_(
            select(m.Device.id).where(
                or_(
                    *(
                        contains_folded(column, text, dialect)
                        for column in (m.Device.asset_tag, m.Device.serial, m.Device.imei)
                    )
                )
            )
        )
    ]
    number = receipt_number(text)
    if number is not None:
        matches.append(m.DeviceAssignment.id == number)
    query = apply_scope(
        select(m.DeviceAssignment)
        .where(or_(*matches))
        .order_by(m.DeviceAssignment.checked_out_at.desc(), m.DeviceAssignment.id.desc()),
        m.DeviceAssignment,
        scope,
    )
    return list(session.scalars(query.limit(limit)))


def handover_receipt(
    session: Session, assignment_id, scope: ProvinceScope
) -> HandoverReceipt | None:
    """The receipt data of one check-out, or None when the scope may not see it."""
    assignment = scoped_get(session, m.DeviceAssignment, assignment_id, scope)
    if assignment is None:
        return None
    device, cooperative = assignment.device, assignment.cooperative
    day = local_date(assignment.checked_out_at)
    start = local_midnight_utc(day)
    others = session.scalars(
        select(m.DeviceAssignment)
        .where(
            m.DeviceAssignment.cooperative_id == cooperative.id,
            m.DeviceAssignment.id != assignment.id,
            m.DeviceAssignment.checked_out_at >= start,
            m.DeviceAssignment.checked_out_at < start + dt.timedelta(days=1),
        )
        .order_by(m.DeviceAssignment.id)
    )
    return HandoverReceipt(
        reference=receipt_reference(assignment.id),
        checked_out_at=assignment.checked_out_at,
        checked_in_at=assignment.checked_in_at,
        device_kind=device.kind.label,
        asset_tag=device.asset_tag,
        serial=device.serial,
        imei=device.imei,
        device_model=device.model,
        funder=device.funder,
        cooperative_name=cooperative.name,
        registration_number=cooperative.registration_number,
        province=cooperative.province.name,
        commune=cooperative.commune.name if cooperative.commune else None,
        received_by=assignment.received_by,
        condition=assignment.condition_out.label,
        note=assignment.note,
        companions=tuple(
            (o.device.kind.label, o.device.asset_tag, o.device.serial) for o in others
        ),
    )
