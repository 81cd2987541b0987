"""Console pages: a form per report, "Mes rapports" (status, progress, download), verification.

Every route is a Flask-AppBuilder view method behind ``@has_access`` with the ``read``
permission of its own resource (POLICY in console.security.policy). Parameters are
checked against the user's province scope; anything outside it answers 404.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from sqlalchemy import select

from console.extensions import db
from console.formatting import format_date
from console.models import Cohort, ReportArchive, ReportStatus
from console.security.scoping import NATIONAL, current_scope
from console.services.areas import DEFAULT_MAP, chosen_map, provinces_in_scope, remember_map
from console.services.inventory import find_handovers, receipt_reference
from console.services.periods import last_complete_month, local_date
from console.services.registry import find_cooperatives

from .archive import MIME_TYPES, Requester, create_entry, may_download, stored_file
from .parameters import OutOfScope, ParameterError, resolve
from .queue import QueueUnavailable, generate_while_waiting, reconcile_lost_jobs, submit
from .registry import ReportSpec
from .verification import display_code, normalise_sha256, sha256_of_stream, verify

FORMAT_LABELS = {"pdf": "PDF (à imprimer, à transmettre)", "xlsx": "Excel (données détaillées)"}
MY_REPORTS_SHOWN = 50


def _user_may(resource: str) -> bool:
    return current_app.appbuilder.sm.has_access("can_read", resource)


def _send(archive: ReportArchive):
    return send_file(
        stored_file(current_app, archive),
        mimetype=MIME_TYPES[archive.file_format],
        as_attachment=True,
        download_name=archive.file_name,
    )


def parameter_choices(spec: ReportSpec) -> dict:
    """What the parameter fields of a report's form offer the current user (its scope)."""
    scope = current_scope()
    return {
        "spec": spec,
        "provinces": provinces_in_scope(db.session, scope) if "province" in spec.parameters else [],
        "national_allowed": scope.national,
        "cohorts": db.session.scalars(
            select(Cohort).order_by(Cohort.year.desc(), Cohort.name)
        ).all()
        if "cohort" in spec.parameters
        else [],
        "formats": [(f, FORMAT_LABELS[f]) for f in spec.formats],
    }


class ReportFormView(BaseView):
    """The form of one report (subclassed per report by :func:`report_view`)."""

    spec: ReportSpec
    default_view = "form"

    def _render_form(self, values: dict, errors: list[str], status: int = 200):
        spec = self.spec
        previous_month = last_complete_month()
        defaults = {
            "period": f"{previous_month:%Y-%m}",
            "format": spec.formats[0],
            "map": chosen_map() or DEFAULT_MAP,
        }
        body = self.render_template(
            "reports/web/form.html",
            values=defaults | {k: v for k, v in values.items() if v},
            errors=errors,
            action=url_for(f"{self.endpoint}.generate"),
            **parameter_choices(spec),
        )
        return body, status

    @expose("/")
    @has_access
    @permission_name("read")
    def form(self):
        """The empty form (query parameters pre-fill it, e.g. ?assignment=12)."""
        return self._render_form(request.args.to_dict(), [])

    @expose("/generer", methods=["POST"])
    @has_access
    @permission_name("read")
    def generate(self):
        """Validate, archive, then send the file (small) or queue it (large)."""
        spec = self.spec
        values = request.form.to_dict()
        fmt = values.get("format", "")
        choices = " ou ".join(f.upper() for f in spec.formats)
        errors = [] if fmt in spec.formats else [f"Format : choisissez {choices}."]
        try:
            params = resolve(db.session, spec.parameters, values, current_scope())
        except ParameterError as exc:
            return self._render_form(values, errors + exc.messages, 400)
        except OutOfScope:
            abort(404)
        if errors:
            return self._render_form(values, errors, 400)
        remember_map(g.user, values.get("map"))  # committed with the archive entry
        requester = Requester(g.user.id, g.user.username, "console")
        archive = create_entry(db.session, spec, params, fmt, requester)
        db.session.commit()
        if spec.is_large(params, fmt):
            try:
                submit(current_app, archive)
            except QueueUnavailable as exc:
                flash(str(exc), "warning")
            else:
                flash(
                    f"Rapport « {archive.title} » en préparation : il apparaît ci-dessous dès qu'il est "
                    "prêt.",
                    "info",
                )
            return redirect(url_for("MyReportsView.list"))
        archive_id, code = archive.id, archive.code
        try:
            generate_while_waiting(current_app, archive)
        except Exception:  # the archive entry records the failure; the user sees it listed
            current_app.logger.exception("échec du rapport %s", code)
            db.session.rollback()  # the archive is read again below, from a clean session
        archive = db.session.get(ReportArchive, archive_id)
        if archive.status == ReportStatus.DONE:
            return _send(archive)
        if archive.status == ReportStatus.FAILED:
            flash(
                "La génération du rapport a échoué ; le détail figure dans « Mes rapports ».",
                "danger",
            )
        else:
            flash(
                f"Rapport « {archive.title} » encore en préparation : il apparaît ci-dessous dès "
                "qu'il est prêt.",
                "info",
            )
        return redirect(url_for("MyReportsView.list"))


def report_view(spec: ReportSpec) -> type[ReportFormView]:
    """The form view of a report: its class name is the report's policy resource."""
    return type(
        spec.resource, (ReportFormView,), {"spec": spec, "route_base": f"/rapports/{spec.key}"}
    )


class MyReportsView(BaseView):
    """The user's reports: status, progress, download."""

    route_base = "/rapports/mes-rapports"
    default_view = "list"

    def _archive_for_download(self, archive_id: int) -> ReportArchive:
        archive = db.session.get(ReportArchive, archive_id)
        has_access = current_app.appbuilder.sm.has_access
        if archive is None or not may_download(db.session, archive, g.user, has_access):
            abort(404)
        return archive

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        archives = db.session.scalars(
            select(ReportArchive)
            .where(ReportArchive.requested_by_id == g.user.id)
            .order_by(ReportArchive.requested_at.desc())
            .limit(MY_REPORTS_SHOWN)
        ).all()
        reconcile_lost_jobs(current_app, list(archives))
        pending = any(a.status in (ReportStatus.QUEUED, ReportStatus.RUNNING) for a in archives)
        return self.render_template(
            "reports/web/my_reports.html",
            archives=archives,
            pending=pending,
            display_code=display_code,
        )

    @expose("/<int:archive_id>/telecharger")
    @has_access
    @permission_name("read")
    def download(self, archive_id: int):
        """The archived file, for anyone who could have requested it with its parameters."""
        archive = self._archive_for_download(archive_id)
        if not archive.is_ready or not stored_file(current_app, archive).is_file():
            abort(404)
        return _send(archive)

    @expose("/<int:archive_id>/etat")
    @has_access
    @permission_name("read")
    def status(self, archive_id: int):
        """Status and progress as JSON, for the list's live refresh."""
        archive = self._archive_for_download(archive_id)
        return jsonify(
            status=archive.status.value,
            label=archive.status.label,
            progress=archive.progress,
            download=url_for(".download", archive_id=archive.id) if archive.is_ready else None,
        )


class ReportVerificationView(BaseView):
    """Is this report authentic and unmodified? By code, by file, or both."""

    route_base = "/rapports/verifier"
    default_view = "form"

    @expose("/", methods=["GET", "POST"])
    @has_access
    @permission_name("read")
    def form(self):
        code = (request.values.get("code") or "").strip()
        typed_hash = (request.form.get("sha256") or "").strip()
        upload = request.files.get("file")
        digest = sha256_of_stream(upload.stream) if upload and upload.filename else None
        result = None
        error = None
        if typed_hash and not digest:
            digest = normalise_sha256(typed_hash)
            if digest is None:
                error = "Empreinte SHA-256 : saisissez les 64 caractères hexadécimaux (0-9, a-f)."
        if error is None and request.method == "POST" and not code and not digest:
            error = "Saisissez le code imprimé sur le rapport, déposez le fichier, ou les deux."
        elif error is None and (code or digest):
            result = verify(db.session, code, digest)
        return self.render_template(
            "reports/web/verify.html",
            code=code,
            result=result,
            error=error,
            details=_describe(result.archive) if result and result.archive else None,
            display_code=display_code,
        ), (400 if error else 200)


def _describe(archive: ReportArchive) -> dict:
    """What the verification page says about the archived report."""
    from .registry import get_report

    spec = get_report(archive.report)
    try:
        pairs = resolve(db.session, spec.parameters, archive.parameters, NATIONAL).describe()
    except (OutOfScope, ParameterError, AttributeError):
        pairs = sorted((k, str(v)) for k, v in (archive.parameters or {}).items())
    return {
        "title": archive.title,
        "parameters": pairs,
        "requested_by": archive.requested_by,
        "requested_at": archive.requested_at,
        "finished_at": archive.finished_at,
        "file_name": archive.file_name,
        "sha256": archive.sha256,
        "format": archive.file_format.upper(),
    }


class ReportLookupView(BaseView):
    """The report forms' typeahead: cooperatives by ANACOOP number or name, hand-overs by
    receipt number or asset tag, among what the user may see (JSON, 20 at most)."""

    route_base = "/rapports/suggestions"
    default_view = "cooperatives"

    @expose("/cooperatives/")
    @has_access
    @permission_name("read")
    def cooperatives(self):
        text = (request.args.get("q") or "")[:100]
        rows = find_cooperatives(db.session, current_scope(), text)
        return jsonify(
            [
                {"value": c.registration_number, "label": f"{c.name} ({c.registration_number})"}
                for c in rows
            ]
        )

    @expose("/remises/")
    @has_access
    @permission_name("read")
    def handovers(self):
        text = (request.args.get("q") or "")[:100]
        rows = find_handovers(db.session, current_scope(), text)
        return jsonify(
            [
                {
                    "value": receipt_reference(a.id),
                    "label": f"{receipt_reference(a.id)} — {a.device.asset_tag} → "
                    f"{a.cooperative.name} ({format_date(local_date(a.checked_out_at))})",
                }
                for a in rows
            ]
        )
