"""The pilot programme: cohorts, enrollments and their workflow, training and attendance."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import lazy_gettext as _
from sqlalchemy import distinct, func, select

from console.extensions import db
from console.models import (
    Attendance,
    Cohort,
    Cooperative,
    Enrollment,
    EnrollmentStatus,
    EnrollmentTransition,
    Gender,
    TrainingSession,
)
from console.security.scoped_datamodel import ScopedSQLAInterface
from console.security.scoping import apply_scope, current_scope
from console.services.attendance import RecordAttendance, days_refusal
from console.services.enrollment import (
    NominateCooperatives,
    TransitionEnrollments,
    nomination_refusal,
    record_nomination,
)

from .base import IsokoModelView
from .forms import AttendanceTableForm, NominateForm, WithdrawForm
from .inventory import cooperative_choices
from .workflow import render_form_page, run_command, ticked_rows

MANAGE = ["can_list", "can_show", "can_add", "can_edit"]


def _status_label(value):
    """An enrollment status stored as text in the history, shown in French."""
    try:
        return _(EnrollmentStatus(value).label)
    except ValueError:
        return value or "—"


class CohortView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Cohort)
    base_permissions = MANAGE
    list_columns = ["name", "year", "started_on"]
    add_columns = edit_columns = list_columns
    base_order = ("year", "desc")


class EnrollmentTransitionView(IsokoModelView):
    """The history of an enrollment: one line per step, who and when (read-only)."""

    datamodel = ScopedSQLAInterface(EnrollmentTransition)
    base_permissions = ["can_list", "can_show"]
    list_title = _("Historique des inscriptions")
    list_columns = ["enrollment", "from_status", "to_status", "at", "by_username", "note"]
    search_columns = ["enrollment", "to_status", "at", "by_username"]
    label_columns = {
        "enrollment": _("Inscription"),
        "from_status": _("De"),
        "to_status": _("Vers"),
        "by_username": _("Par"),
        "note": _("Motif"),
    }
    formatters_columns = {"from_status": _status_label, "to_status": _status_label}
    base_order = ("at", "desc")


def _as_list(items):
    return items if isinstance(items, list) else [items]


class EnrollmentView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Enrollment)
    base_permissions = MANAGE
    # Every step of the workflow is one permission: "can_transition".
    method_permission_name = {
        "select": "transition",
        "train": "transition",
        "equip": "transition",
        "activate": "transition",
        "withdraw": "transition",
    }
    list_columns = [
        "cooperative",
        "cohort",
        "status",
        "selection_score",
        "nominated_on",
        "trained_on",
        "equipped_on",
        "activated_on",
    ]
    search_columns = ["cooperative", "cohort", "status", "selection_score", "nominated_on"]
    show_columns = [
        "cooperative",
        "cohort",
        "status",
        "selection_score",
        "selection_reason",
        "nominated_on",
        "selected_on",
        "trained_on",
        "equipped_on",
        "activated_on",
        "withdrawn_on",
    ]
    add_columns = ["cohort", "cooperative", "selection_score", "selection_reason", "nominated_on"]
    edit_columns = ["selection_score", "selection_reason"]
    related_views = [EnrollmentTransitionView]
    base_order = ("nominated_on", "desc")

    def pre_add(self, item):
        if item.cooperative is not None:
            reason = nomination_refusal(db.session, item.cohort, item.cooperative)
            if reason:
                raise ValueError(reason)
        record_nomination(item)

    @expose("/nominate/", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def nominate(self):
        """Nominate the cooperatives ticked in the registry (``?cooperatives=``) into a cohort."""
        cooperatives = ticked_rows(Cooperative, "cooperatives")
        if not cooperatives:
            flash(str(_("Sélectionnez au moins une coopérative.")), "warning")
            return redirect(url_for("CooperativeView.list"))
        form = NominateForm(request.form)
        form.cohort.choices = [("", "—")] + [
            (str(c.id), f"{c.name} ({c.year})")
            for c in db.session.scalars(select(Cohort).order_by(Cohort.year.desc(), Cohort.name))
        ]
        if request.method == "POST" and form.validate():
            cohort = db.session.get(Cohort, form.cohort.data) if form.cohort.data else None
            command = NominateCooperatives(db.session, cohort, cooperatives, on=form.day.data)
            done = _("%(n)s coopérative(s) nominée(s).", n=len(cooperatives))
            if run_command(command, done):
                return redirect(url_for(f"{self.endpoint}.list"))
        intro = [_("Coopératives à nominer :")] + [
            f"{c.name} ({c.registration_number})" for c in cooperatives
        ]
        return render_form_page(self, form, _("Nominer dans une cohorte"), ["cohort", "day"], intro)

    def _transition(self, items, target: EnrollmentStatus):
        enrollments = _as_list(items)
        command = TransitionEnrollments(db.session, enrollments, target)
        run_command(
            command,
            _(
                "%(n)s inscription(s) passée(s) à « %(status)s ».",
                n=len(enrollments),
                status=_(target.label),
            ),
        )
        return redirect(self.get_redirect())

    @action("select", _("Sélectionner"), icon="fa-check")
    def select(self, items):
        """nominated → selected."""
        return self._transition(items, EnrollmentStatus.SELECTED)

    @action("train", _("Marquer « Formée »"), icon="fa-graduation-cap")
    def train(self, items):
        """selected → trained (needs attendance at a training session)."""
        return self._transition(items, EnrollmentStatus.TRAINED)

    @action("equip", _("Marquer « Équipée »"), icon="fa-tablet")
    def equip(self, items):
        """trained → equipped (needs a tablet checked out to the cooperative)."""
        return self._transition(items, EnrollmentStatus.EQUIPPED)

    @action("activate", _("Marquer « Active »"), icon="fa-line-chart")
    def activate(self, items):
        """equipped → active (needs a listing or a sale)."""
        return self._transition(items, EnrollmentStatus.ACTIVE)

    @action("withdraw", _("Retirer du programme…"), icon="fa-sign-out")
    def withdraw(self, items):
        """Open the withdrawal form, which asks for the reason."""
        ids = ",".join(str(e.id) for e in _as_list(items))
        if not ids:
            flash(str(_("Sélectionnez au moins une inscription.")), "warning")
            return redirect(url_for(f"{self.endpoint}.list"))
        return redirect(url_for(f"{self.endpoint}.withdraw_form", ids=ids))

    @expose("/withdraw/", methods=["GET", "POST"])
    @has_access
    @permission_name("transition")
    def withdraw_form(self):
        """Withdraw the chosen enrollments, giving the reason."""
        ids = [part for part in request.args.get("ids", "").split(",") if part.strip()]
        enrollments = [self._scoped_item(pk) for pk in ids]
        if not enrollments:
            flash(str(_("Sélectionnez au moins une inscription.")), "warning")
            return redirect(url_for(f"{self.endpoint}.list"))
        form = WithdrawForm(request.form)
        if request.method == "POST" and form.validate():
            command = TransitionEnrollments(
                db.session,
                enrollments,
                EnrollmentStatus.WITHDRAWN,
                note=form.reason.data,
                on=form.day.data,
            )
            if run_command(
                command, _("%(n)s inscription(s) retirée(s) du programme.", n=len(enrollments))
            ):
                return redirect(url_for(f"{self.endpoint}.list"))
        intro = [_("Inscriptions à retirer :")] + [
            f"{e.cooperative.name} — {e.cohort.name} ({_(e.status.label)})" for e in enrollments
        ]
        return render_form_page(self, form, _("Retirer du programme"), ["reason", "day"], intro)


class AttendanceView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Attendance)
    base_permissions = [*MANAGE, "can_delete"]
    list_columns = ["session", "participant_name", "gender", "role", "cooperative", "days_attended"]
    search_columns = ["session", "participant_name", "gender", "cooperative"]
    add_columns = edit_columns = list_columns

    def pre_add(self, item):
        # The attendance table's and the import's rule (console/services/attendance.py).
        refusal = item.session and days_refusal(item.session, item.days_attended)
        if refusal:
            raise ValueError(refusal)

    pre_update = pre_add


def attendance_summary(session_id: int) -> dict:
    """Participants of a training session by gender, and the cooperatives represented."""
    query = apply_scope(
        select(Attendance.gender, func.count())
        .where(Attendance.session_id == session_id)
        .group_by(Attendance.gender),
        Attendance,
        current_scope(),
    )
    by_gender = dict(db.session.execute(query).all())
    cooperatives = db.session.scalar(
        apply_scope(
            select(func.count(distinct(Attendance.cooperative_id))).where(
                Attendance.session_id == session_id
            ),
            Attendance,
            current_scope(),
        )
    )
    return {
        "women": by_gender.get(Gender.FEMALE, 0),
        "men": by_gender.get(Gender.MALE, 0),
        "total": sum(by_gender.values()),
        "cooperatives": cooperatives or 0,
    }


class TrainingSessionView(IsokoModelView):
    datamodel = ScopedSQLAInterface(TrainingSession)
    base_permissions = [*MANAGE, "can_record_attendance"]
    list_columns = ["title", "place", "province", "starts_on", "ends_on", "cohort"]
    add_columns = edit_columns = list_columns
    related_views = [AttendanceView]
    show_template = "isoko/training_show.html"
    base_order = ("starts_on", "desc")

    def show_extra(self, item) -> dict:
        return {"attendance": attendance_summary(item.id)}

    @expose("/presences/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("record_attendance")
    def attendance_table(self, pk):
        """Record the attendance of the whole session from one table."""
        training = self._scoped_item(pk)
        form = AttendanceTableForm(request.form)
        choices = cooperative_choices()
        for row in form.rows:
            row.form.cooperative.choices = choices
        if request.method == "POST" and form.validate():
            rows = [
                {
                    "participant_name": row.form.participant_name.data,
                    "gender": row.form.gender.data,
                    "role": row.form.role.data,
                    "cooperative_id": row.form.cooperative.data,
                    "days_attended": row.form.days_attended.data,
                }
                for row in form.rows
            ]
            command = RecordAttendance(
                db.session, current_scope(), training_session_id=training.id, rows=rows
            )
            recorded = run_command(command)
            if recorded is not None:
                flash(str(_("%(n)s présence(s) enregistrée(s).", n=len(recorded))), "success")
                return redirect(url_for(f"{self.endpoint}.show", pk=training.id))
        return self.render_template(
            "isoko/attendance_table.html",
            form=form,
            training=training,
            title=_("Présences — %(title)s", title=training.title),
        )
