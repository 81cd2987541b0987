"""Reports: PDF and Excel files that the ministry, PNUD and OBR auditors file and verify.

A registry of reports (reports.registry), each one data function, one template and one
Excel writer; an archive of every generated file with a verification code; a background
queue for large reports; console pages and the ``isoko report`` / ``isoko worker`` commands.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _

MENU_CATEGORY = "Rapports"


def init_app(app, appbuilder) -> None:
    """Console pages, templates and commands of the reports feature (settings: config.py)."""
    app.register_blueprint(Blueprint("reports_templates", __name__, template_folder="templates"))

    from .cli import report_command, run_schedule_command, worker_command
    from .registry import reports
    from .subscription_views import MySubscriptionsView
    from .views import MyReportsView, ReportLookupView, ReportVerificationView, report_view

    category = dict(
        category=MENU_CATEGORY, category_label=_(MENU_CATEGORY), category_icon="fa-file-pdf-o"
    )
    for spec in reports().values():
        appbuilder.add_view(
            report_view(spec), spec.resource, label=spec.title, icon="fa-file-text-o", **category
        )
    appbuilder.add_view(
        MyReportsView, "MyReportsView", label=_("Mes rapports"), icon="fa-inbox", **category
    )
    appbuilder.add_view(
        MySubscriptionsView,
        "MySubscriptionsView",
        label=_("Mes abonnements"),
        icon="fa-bell",
        **category,
    )
    appbuilder.add_view(
        ReportVerificationView,
        "ReportVerificationView",
        label=_("Vérifier un rapport"),
        icon="fa-check-circle",
        **category,
    )
    appbuilder.add_view_no_menu(ReportLookupView, "ReportLookupView")
    app.cli.add_command(report_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(run_schedule_command)
