"""Odd input in a URL answers 400 or 404 in French, never 500.

Checked once for every route rather than view by view:

- an id in the path beyond what a database integer holds (30 digits) is a record that
  cannot exist: 404 (``_ids_in_range``);
- FAB's list arguments of any view (``page_<View>``, ``psize_<View>``, ``_oc_<View>``,
  ``_od_<View>``) must be a page number, a page size up to MAX_PAGE_SIZE, a sortable column
  of that view and asc/desc: else 400 (FAB would fail on ``int('abc')`` or try to sort
  by a relation);
- an action a view does not have: 404;
- whatever still reaches the database out of range (a filter value of 30 digits, a
  REST API page): OverflowError on SQLite, DataError on PostgreSQL, answered 400.
"""

from __future__ import annotations

import re

from flask import Flask, abort, current_app, request
from flask_appbuilder import ModelView
from flask_babel import lazy_gettext as _
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest

from .guards import error_page

BIGGEST_ID = 2**63 - 1  # PostgreSQL bigint; integer ids are smaller still
MAX_PAGE_SIZE = 1000
LIST_ARGUMENT = re.compile(r"^(page|psize|_oc|_od)_(\w+)$")
DIGITS = re.compile(r"^-?\d+$")


def _model_views() -> dict[str, ModelView]:
    """FAB's list views by class name (the suffix of their list arguments)."""
    views = current_app.extensions.get("isoko_model_views")
    if views is None:
        views = {
            type(v).__name__: v
            for v in current_app.appbuilder.baseviews
            if isinstance(v, ModelView)
        }
        current_app.extensions["isoko_model_views"] = views
    return views


class RefusedArgument(BadRequest):
    """A URL argument that cannot be used; the description says which, in French."""


def _refuse(message) -> None:
    raise RefusedArgument(description=message)


def _check_list_arguments() -> None:
    views = _model_views()
    for key, value in request.args.items():
        match = LIST_ARGUMENT.match(key)
        view = views.get(match.group(2)) if match else None
        if view is None:
            continue
        kind = match.group(1)
        if kind == "page" and not (value.isdigit() and int(value) <= BIGGEST_ID // MAX_PAGE_SIZE):
            _refuse(_("Numéro de page invalide : « %(value)s ».", value=value[:30]))
        elif kind == "psize" and not (value.isdigit() and 0 < int(value) <= MAX_PAGE_SIZE):
            _refuse(_("Taille de page invalide : de 1 à %(max)d lignes.", max=MAX_PAGE_SIZE))
        elif kind == "_oc" and value not in (view.order_columns or []):
            _refuse(_("Cette liste ne peut pas être triée par « %(value)s ».", value=value[:60]))
        elif kind == "_od" and value not in ("asc", "desc"):
            _refuse(_("Ordre de tri invalide : « asc » ou « desc »."))


def _check_action() -> None:
    """An action name the view does not have is a page that does not exist."""
    endpoint = request.endpoint or ""
    if not endpoint.endswith((".action", ".action_post")):
        return
    view = _model_views().get(endpoint.rsplit(".", 1)[0])
    if view is None:
        return
    name = (request.view_args or {}).get("name") or request.form.get("action", "")
    if name not in (getattr(view, "actions", None) or {}):
        abort(404)


def _ids_in_range(_endpoint, values) -> None:
    for value in (values or {}).values():
        number = value if isinstance(value, int) else None
        if isinstance(value, str) and DIGITS.match(value) and len(value) > 18:
            number = int(value)
        if number is not None and not -BIGGEST_ID <= number <= BIGGEST_ID:
            abort(404)


def install_odd_input_guards(app: Flask) -> None:
    """Register the checks and the handlers of out-of-range values."""
    app.url_value_preprocessor(_ids_in_range)

    @app.before_request
    def _odd_input():
        if request.endpoint in (None, "static", "appbuilder.static"):
            return
        _check_list_arguments()
        _check_action()

    app.register_error_handler(RefusedArgument, error_page(400, _("Adresse invalide")))
    out_of_range = error_page(
        400,
        _("Valeur hors limites"),
        _("Une valeur de l'adresse est hors limites (un nombre trop grand ?) : corrigez-la."),
    )

    def _rolled_back(error):
        from console.extensions import db

        db.session.rollback()  # PostgreSQL refuses the transaction's next statement otherwise
        return out_of_range(error)

    app.register_error_handler(OverflowError, _rolled_back)
    app.register_error_handler(DataError, _rolled_back)
