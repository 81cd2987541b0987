"""The pilot programme: cohorts, enrollments, training sessions and attendance."""

from flask_appbuilder.models.sqla.interface import SQLAInterface

from console.models import Attendance, Cohort, Enrollment, EnrollmentTransition, TrainingSession

from .base import IsokoModelView

MANAGE = ["can_list", "can_show", "can_add", "can_edit"]


class CohortView(IsokoModelView):
    datamodel = SQLAInterface(Cohort)
    base_permissions = MANAGE
    list_columns = ["name", "year", "started_on"]
    add_columns = edit_columns = list_columns


class EnrollmentTransitionView(IsokoModelView):
    datamodel = SQLAInterface(EnrollmentTransition)
    base_permissions = ["can_list", "can_show"]
    list_columns = ["enrollment", "from_status", "to_status", "at", "by_username", "note"]
    label_columns = {"enrollment": "Inscription", "from_status": "De", "to_status": "Vers", "by_username": "Par"}
    base_order = ("at", "desc")


class EnrollmentView(IsokoModelView):
    datamodel = SQLAInterface(Enrollment)
    base_permissions = MANAGE
    list_columns = ["cooperative", "cohort", "status", "selection_score", "nominated_on", "trained_on", "equipped_on"]
    search_columns = ["cooperative", "cohort", "status", "selection_score"]
    show_columns = [
        "cooperative", "cohort", "status", "selection_score", "selection_reason", "nominated_on",
        "selected_on", "trained_on", "equipped_on", "activated_on", "withdrawn_on",
    ]
    add_columns = ["cohort", "cooperative", "selection_score", "selection_reason", "nominated_on"]
    edit_columns = ["selection_score", "selection_reason"]
    related_views = [EnrollmentTransitionView]


class AttendanceView(IsokoModelView):
    datamodel = SQLAInterface(Attendance)
    base_permissions = MANAGE
    list_columns = ["session", "participant_name", "gender", "role", "cooperative", "days_attended"]
    search_columns = ["session", "participant_name", "gender", "cooperative"]
    add_columns = edit_columns = list_columns


class TrainingSessionView(IsokoModelView):
    datamodel = SQLAInterface(TrainingSession)
    base_permissions = MANAGE
    list_columns = ["title", "place", "province", "starts_on", "ends_on", "cohort"]
    add_columns = edit_columns = list_columns
    related_views = [AttendanceView]
    base_order = ("starts_on", "desc")
