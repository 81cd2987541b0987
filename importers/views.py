"""Console pages: an upload page per dataset, and the list of import batches with their errors."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Response, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _
from werkzeug.utils import secure_filename

from console.extensions import db
from console.models.imports import ImportBatch
from console.security.scoping import NATIONAL_ROLES, current_scope
from console.views.base import IsokoModelView

from . import jobs, registry
from .command import ImportRequest, run_import
from .errors import FileRefused, errors_csv
from .reading import estimate_rows, inspect_file
from .templates_files import blank_csv, blank_xlsx

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# Where an import came from, as the journal shows it.
SOURCES = {"console": "Console", "cli": "Ligne de commande", "job": "Arrière-plan (file d'attente)"}


class DatasetImportView(BaseView):
    """Upload page of one dataset; every route needs the dataset's « can_import » permission."""

    dataset_kind = ""
    default_view = "index"
    method_permission_name = {"index": "import", "upload": "import", "blank": "import"}

    @property
    def dataset(self):
        return registry.get(self.dataset_kind)

    @expose("/")
    @has_access
    def index(self):
        return self.render_template(
            "importers/upload.html", dataset=self.dataset, view=self, limit_mb=_limit_mb()
        )

    @expose("/modele.<fmt>")
    @has_access
    def blank(self, fmt: str):
        dataset = self.dataset
        if fmt == "csv":
            return _download(blank_csv(dataset), f"modele-{dataset.kind}.csv", CSV_TYPE)
        if fmt == "xlsx":
            return _download(blank_xlsx(dataset), f"modele-{dataset.kind}.xlsx", XLSX_MIME)
        return Response("Format inconnu : csv ou xlsx.", status=404)

    @expose("/", methods=["POST"])
    @has_access
    def upload(self):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("Choisissez un fichier CSV ou Excel (.xlsx) à importer.", "danger")
            return redirect(url_for(f"{self.endpoint}.index"))
        file_name = secure_filename(upload.filename) or "import"
        sheet = (request.form.get("sheet") or "").strip() or None
        with tempfile.TemporaryDirectory(prefix="isoko-import-") as folder:
            path = Path(folder) / file_name
            upload.save(path)
            import_request = ImportRequest(
                kind=self.dataset_kind,
                path=path,
                file_name=upload.filename[:255],
                user_id=g.user.id,
                username=g.user.username,
                scope=current_scope(),
                dry_run=bool(request.form.get("dry_run")),
                sheet=sheet,
                source="console",
                roles=frozenset(role.name for role in g.user.roles),
            )
            if jobs.queue_available(current_app) and _big(path, sheet):
                batch_id = jobs.enqueue_import(current_app, db.session, import_request)
                flash(
                    "Fichier volumineux : l'import se poursuit en arrière-plan. Suivez son état ici.",
                    "info",
                )
                return redirect(url_for("ImportBatchView.show", pk=batch_id))
            result = run_import(db.session, import_request)
        return self.render_template(
            "importers/result.html", dataset=self.dataset, view=self, result=result
        )


def _big(path: Path, sheet: str | None) -> bool:
    try:
        return estimate_rows(path, inspect_file(path), sheet) >= jobs.BACKGROUND_ROWS
    except FileRefused:
        return False


def _limit_mb() -> int:
    return int((current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024))


def _download(data: bytes, name: str, content_type: str) -> Response:
    # content_type, not mimetype: Werkzeug adds a second « charset » to a text/* mimetype.
    return Response(
        data,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _dataset_label(kind: str) -> str:
    try:
        return registry.get(kind).label
    except KeyError:
        return kind


def _notices(notices) -> str:
    return " · ".join(notices) if notices else "—"


def dataset_views() -> list[type[DatasetImportView]]:
    """One view class per dataset, named by its policy resource (e.g. CooperativeImportView)."""
    views = []
    for dataset in registry.all_datasets():
        views.append(
            type(
                dataset.resource,
                (DatasetImportView,),
                {
                    "dataset_kind": dataset.kind,
                    "route_base": f"/imports/{dataset.kind}",
                    "__doc__": f"Import : {dataset.label}.",
                },
            )
        )
    return views


class OwnBatchesFilter(BaseFilter):
    """National roles see every batch; others see the batches they started themselves."""

    name = "Mes imports"
    arg_name = "own"

    def apply(self, query, value):
        user = getattr(g, "user", None)
        roles = {r.name for r in getattr(user, "roles", [])}
        if roles & NATIONAL_ROLES:
            return query
        return query.filter(ImportBatch.user_id == (user.id if user is not None else -1))


class ImportBatchView(IsokoModelView):
    """The import log: who imported what, when, with what result; error report download."""

    datamodel = SQLAInterface(ImportBatch)
    menu_label = _("Journal des imports")  # titles of its pages (not FAB's "List Import Batch")
    base_permissions = ["can_list", "can_show", "can_download"]
    base_order = ("id", "desc")
    base_filters = [["id", OwnBatchesFilter, lambda: None]]
    list_title = "Journal des imports"
    show_title = "Détail de l'import"
    list_columns = [
        "id",
        "started_at",
        "dataset",
        "file_name",
        "username",
        "outcome",
        "rows_total",
        "created",
        "updated",
        "unchanged",
        "error_count",
    ]
    show_template = "importers/batch_show.html"
    show_columns = [
        "id",
        "dataset",
        "file_name",
        "sheet",
        "file_sha256",
        "file_size",
        "username",
        "source",
        "dry_run",
        "started_at",
        "finished_at",
        "outcome",
        "phase",
        "lines_read",
        "lines_written",
        "rows_total",
        "created",
        "updated",
        "unchanged",
        "error_count",
        "message",
        "notices",
    ]
    formatters_columns = {
        "dataset": _dataset_label,
        "source": lambda s: SOURCES.get(s, s),
        "notices": _notices,
    }
    search_columns = ["dataset", "file_name", "username", "outcome", "file_sha256"]
    label_columns = {
        "dataset": "Jeu de données",
        "file_name": "Fichier",
        "sheet": "Feuille",
        "file_sha256": "Empreinte SHA-256",
        "file_size": "Taille (octets)",
        "username": "Par",
        "source": "Origine",
        "dry_run": "Simulation",
        "started_at": "Début",
        "finished_at": "Fin",
        "outcome": "Résultat",
        "rows_total": "Lignes",
        "created": "Créées",
        "updated": "Mises à jour",
        "unchanged": "Inchangées",
        "error_count": "Erreurs",
        "message": "Message",
        "notices": "Remarques",
        "phase": "Étape en cours",
        "lines_read": "Lignes lues",
        "lines_written": "Lignes écrites",
    }

    @expose("/errors/<int:pk>")
    @has_access
    def download(self, pk: int):
        batch = self.datamodel.get(pk, self._base_filters)
        if batch is None:
            return Response("Import introuvable.", status=404)
        return _download(
            errors_csv(batch.errors or [], batch.error_count),
            f"erreurs-import-{batch.id}.csv",
            CSV_TYPE,
        )
