"""Importers: CSV and Excel files into the console, validated whole, written all-or-nothing.

``init_app`` (listed in console.features.FEATURE_MODULES) registers the upload pages,
the import log, the French « file too large » answer and the ``isoko import`` command.
Documentation of every dataset and rule: importers/README.md.
"""

from __future__ import annotations

from flask import Blueprint, render_template_string, request
from flask_babel import lazy_gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

MENU_CATEGORY = "Imports"

TOO_LARGE = (
    "Fichier trop volumineux : {limit} Mo au plus par envoi. Découpez le fichier, ou faites "
    "importer les très gros fichiers en ligne de commande (isoko import)."
)


def init_app(app, appbuilder) -> None:
    """Register the import pages, menu, error page and command."""
    from .cli import import_command
    from .views import ImportBatchView, dataset_views

    # A blueprint without routes, only so that Flask finds importers/templates.
    app.register_blueprint(Blueprint("importers_templates", __name__, template_folder="templates"))
    for view in dataset_views():
        dataset = view.dataset_kind
        label = next(d.label for d in _datasets() if d.kind == dataset)
        appbuilder.add_view(
            view,
            view.__name__,
            label=_(label),
            icon="fa-upload",
            category=MENU_CATEGORY,
            category_label=_(MENU_CATEGORY),
        )
    appbuilder.add_view(
        ImportBatchView,
        "ImportBatchView",
        label=ImportBatchView.menu_label,
        icon="fa-history",
        category=MENU_CATEGORY,
        category_label=_(MENU_CATEGORY),
    )
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.cli.add_command(import_command)


def _datasets():
    from .registry import all_datasets

    return all_datasets()


def _too_large(error):
    from flask import current_app

    limit = int((current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024))
    message = TOO_LARGE.format(limit=limit)
    page = render_template_string(
        "<!doctype html><html lang=fr><meta charset=utf-8><title>Fichier trop volumineux</title>"
        "<p>{{ message }}</p><p><a href='{{ back }}'>Retour</a></p></html>",
        message=message,
        back=request.referrer or "/",
    )
    return page, 413
