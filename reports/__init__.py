"""Reports: PDF and Excel files that the ministry, PNUD and OBR auditors file and verify.

A registry of reports (reports.registry), each one data function, one template and one
Excel writer; an archive of every generated file with a verification code; a background
queue for large reports; console pages and the ``isoko report`` / ``isoko worker`` commands.
"""

from __future__ import annotations

import os

from flask import Blueprint
from flask_babel import lazy_gettext as _

from config import INSTANCE_DIR

MENU_CATEGORY = "Rapports"


def init_app(app, appbuilder) -> None:
    """Settings, console pages, templates and commands of the reports feature."""
    # Archived files live on disk (see console.models.reports.ReportArchive for why).
    app.config.setdefault("REPORTS_DIR", os.environ.get("ISOKO_REPORTS_DIR") or str(INSTANCE_DIR / "reports"))
    app.config.setdefault("REPORTS_QUEUE", os.environ.get("ISOKO_REPORTS_QUEUE") or "isoko-reports")
    # How long a request waits for a worker to render a small report before pointing the
    # user to « Mes rapports » (reports.queue.generate_while_waiting).
    app.config.setdefault("REPORTS_WAIT_S", int(os.environ.get("ISOKO_REPORTS_WAIT_S") or 30))
    # Base URL printed in the QR code (e.g. https://isoko.example.bi); the code alone otherwise.
    app.config.setdefault("REPORTS_PUBLIC_URL", os.environ.get("ISOKO_PUBLIC_URL") or None)
    app.register_blueprint(Blueprint("reports_templates", __name__, template_folder="templates"))

    from .commands import report_command, worker_command
    from .registry import reports
    from .views import MyReportsView, ReportVerificationView, report_view

    category = dict(category=MENU_CATEGORY, category_label=_(MENU_CATEGORY), category_icon="fa-file-pdf-o")
    for spec in reports().values():
        appbuilder.add_view(report_view(spec), spec.resource, label=spec.title, icon="fa-file-text-o",
                            **category)
    appbuilder.add_view(MyReportsView, "MyReportsView", label=_("Mes rapports"), icon="fa-inbox", **category)
    appbuilder.add_view(ReportVerificationView, "ReportVerificationView", label=_("Vérifier un rapport"),
                        icon="fa-check-circle", **category)
    app.cli.add_command(report_command)
    app.cli.add_command(worker_command)
