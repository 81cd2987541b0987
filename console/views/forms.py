"""Forms of the console's workflow screens (status change, hand-overs, incidents…).

Fields only: the rules live in the domain services, which give the French errors.
Select choices are filled by the view from scoped queries at request time.
"""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import (
    BS3TextAreaFieldWidget,
    BS3TextFieldWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from console.models import (
    ApiClientKind,
    CooperativeStatus,
    DeviceCondition,
    Gender,
    IncidentKind,
)

from .dates import FrenchDateField


def _enum_choices(enum_cls, blank: bool = True) -> list[tuple[str, str]]:
    return ([("", "—")] if blank else []) + [(m.value, _(m.label)) for m in enum_cls]


def _id_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _id_select(label) -> SelectField:
    # The service decides whether the id exists in the user's scope (French message).
    return SelectField(
        label,
        coerce=_id_or_none,
        validators=[Optional()],
        widget=Select2Widget(),
        validate_choice=False,
    )


def _enum_select(label, enum_cls) -> SelectField:
    return SelectField(
        label,
        choices=_enum_choices(enum_cls),
        validators=[Optional()],
        widget=Select2Widget(),
        validate_choice=False,
    )


def _date(label) -> FrenchDateField:
    return FrenchDateField(label, validators=[Optional()])


def _text(label, length: int = 160) -> StringField:
    return StringField(
        label, validators=[Optional(), Length(max=length)], widget=BS3TextFieldWidget()
    )


def _long_text(label, description=None) -> TextAreaField:
    return TextAreaField(
        label,
        description="" if description is None else description,  # FAB prints it: never "None"
        validators=[Optional(), Length(max=2000)],
        widget=BS3TextAreaFieldWidget(),
    )


class EbmsTransmitForm(DynamicForm):
    choice = SelectField(
        _("Transmission des factures à l'OBR (eBMS)"),
        choices=[],  # filled by the view from console.services.ebms.override.CHOICES
        validators=[Optional()],
        widget=Select2Widget(),
        validate_choice=False,
    )


class StatusChangeForm(DynamicForm):
    status = _enum_select(_("Nouveau statut"), CooperativeStatus)
    reason = _long_text(
        _("Motif"),
        _(
            "Obligatoire : par exemple la décision de l'assemblée "
            "générale ou de l'administration, avec sa date."
        ),
    )


class WithdrawForm(DynamicForm):
    reason = _long_text(_("Motif du retrait"))
    day = _date(_("Date du retrait"))


class HandOverForm(DynamicForm):
    """Handing equipment to one cooperative (the devices are chosen in the list)."""

    cooperative = _id_select(_("Coopérative"))
    received_by = _text(_("Reçu par (nom et fonction)"))
    condition = _enum_select(_("État à la remise"), DeviceCondition)
    day = _date(_("Date de la remise"))
    note = _long_text(_("Observation"))


class CheckOutForm(HandOverForm):
    device = _id_select(_("Équipement"))


class NominateForm(DynamicForm):
    cohort = _id_select(_("Cohorte"))
    day = _date(_("Date de la nomination"))


class AttendanceRowForm(Form):
    """One participant (one line of the attendance table); an empty line is skipped."""

    participant_name = StringField(_("Participant"), validators=[Optional(), Length(max=160)])
    gender = SelectField(
        _("Sexe"), choices=_enum_choices(Gender), validators=[Optional()], validate_choice=False
    )
    role = StringField(_("Fonction"), validators=[Optional(), Length(max=80)])
    cooperative = SelectField(
        _("Coopérative"), coerce=_id_or_none, validators=[Optional()], validate_choice=False
    )
    # Text: the service says in French when it is not a whole number.
    days_attended = StringField(_("Jours de présence"), validators=[Optional(), Length(max=6)])


ATTENDANCE_ROWS = 15


class AttendanceTableForm(DynamicForm):
    rows = FieldList(FormField(AttendanceRowForm), min_entries=ATTENDANCE_ROWS, max_entries=200)


class CheckInForm(DynamicForm):
    condition = _enum_select(_("État au retour"), DeviceCondition)
    day = _date(_("Date de la restitution"))
    note = _long_text(_("Observation"))


class TransferForm(DynamicForm):
    cooperative = _id_select(_("Nouvelle coopérative"))
    received_by = _text(_("Reçu par (nom et fonction)"))
    condition = _enum_select(_("État au transfert"), DeviceCondition)
    day = _date(_("Date du transfert"))
    note = _long_text(_("Observation"))


class IncidentForm(DynamicForm):
    device = _id_select(_("Équipement"))
    kind = _enum_select(_("Type d'incident"), IncidentKind)
    occurred_on = _date(_("Survenu le"))
    reported_by = _text(_("Signalé par"))
    description = _long_text(_("Description"))


class AuditForm(DynamicForm):
    device = _id_select(_("Équipement"))
    seen_on = _date(_("Vu le"))
    seen_by = _text(_("Vu par"))
    location = _text(_("Lieu"))
    note = _long_text(_("Observation"))


class CloseRuleForm(DynamicForm):
    valid_to = _date(_("Dernier jour d'application"))


class ApiClientForm(DynamicForm):
    name = _text(_("Nom du client"), 120)
    kind = _enum_select(_("Type"), ApiClientKind)
    cooperative = _id_select(_("Coopérative (tablette)"))
    device = _id_select(_("Tablette"))


class RevokeForm(DynamicForm):
    reason = _long_text(_("Motif de la révocation"))
