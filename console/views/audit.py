"""The audit trail: filter and read only. No route creates, edits or deletes an event.

People read which record changed by its label, with a link to it, and the values as
the console shows them (« Oui », ``jj/mm/aaaa``), never table names, row ids or ``None``.
"""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from markupsafe import Markup, escape
from wtforms import SelectField
from wtforms.validators import Optional

from console.extensions import metadata
from console.formatting import format_value
from console.models import AuditEvent
from console.security.scoped_datamodel import ScopedSQLAInterface

from .base import IsokoModelView
from .labels import COLUMN_LABELS

ACTIONS = {"insert": _("Création"), "update": _("Modification"), "delete": _("Suppression")}
# Tables with no console page of their own (FAB's accounts, links between records).
TABLE_LABELS = {
    "ab_user": _("Utilisateur"),
    "ab_role": _("Rôle"),
    "ab_user_role": _("Rôle d'un utilisateur"),
    "user_province": _("Province d'un utilisateur"),
}
SOURCES = {"console": _("Console"), "import": _("Import"), "cli": _("Ligne de commande")}


def column_label(column: str) -> str:
    """A column's French label; ``successor_id`` reads as its relation's label."""
    label = COLUMN_LABELS.get(column) or COLUMN_LABELS.get(column.removesuffix("_id"))
    return str(label) if label else column.replace("_", " ").capitalize()


def format_changes(changes) -> Markup:
    """Old → new values of an update, or the values of a created/deleted row."""
    if not changes:
        return Markup("—")
    lines = []
    for column, value in sorted(changes.items()):
        label = escape(column_label(column))
        if isinstance(value, list) and len(value) == 2:
            old, new = value
            lines.append(f"{label} : {escape(format_value(old))} → {escape(format_value(new))}")
        else:
            lines.append(f"{label} : {escape(format_value(value))}")
    return Markup("<br>".join(lines))


def _record_views() -> dict:
    """Table name → the console view that lists its rows."""
    return {
        view.datamodel.obj.__tablename__: view
        for view in current_app.appbuilder.baseviews
        if isinstance(view, IsokoModelView) and not isinstance(view, AuditEventView)
    }


def table_label(table_name: str) -> str:
    """The French name people know a table by (its page's title), else the raw name."""
    view = _record_views().get(table_name)
    if view is not None and view.list_title:
        return str(view.list_title)
    return str(TABLE_LABELS.get(table_name) or table_name.replace("_", " ").capitalize())


def format_record(record) -> Markup:
    """« Coopératives : Twiyunge » with a link to the record, when the user may open it."""
    table_name, row_id = record
    view = _record_views().get(table_name)
    if view is None or row_id is None:
        return Markup(escape(f"{table_label(table_name)} n° {row_id or '—'}"))
    item = view.datamodel.get(row_id)  # scoped: another province's row is not found
    if item is None:
        return Markup(
            escape(
                gettext(
                    "%(table)s n° %(id)s (supprimé ou hors de votre périmètre)",
                    table=table_label(table_name),
                    id=row_id,
                )
            )
        )
    has_label = (
        type(item).__str__ is not object.__str__ or type(item).__repr__ is not object.__repr__
    )
    text = escape(f"{table_label(table_name)} : {item if has_label else f'n° {row_id}'}")
    sm = current_app.appbuilder.sm
    endpoint = f"{view.endpoint}.show"
    if endpoint in current_app.view_functions and sm.has_access(
        "can_show", view.class_permission_name
    ):
        return Markup(f'<a href="{escape(url_for(endpoint, pk=row_id))}">{text}</a>')
    return Markup(text)


def _table_choices() -> list[tuple[str, str]]:
    return [("", "—")] + sorted(
        ((name, table_label(name)) for name in metadata.tables), key=lambda choice: choice[1]
    )


class AuditEventView(IsokoModelView):
    datamodel = ScopedSQLAInterface(AuditEvent)
    base_permissions = ["can_list", "can_show"]
    list_columns = ["at", "username", "source", "record", "action"]
    search_columns = ["at", "username", "source", "table_name", "row_id", "action"]
    show_columns = [*list_columns, "changes"]
    label_columns = {"record": _("Enregistrement"), "table_name": _("Type d'enregistrement")}
    formatters_columns = {
        "changes": format_changes,
        "record": format_record,
        "action": lambda value: ACTIONS.get(value, value),
        "source": lambda value: SOURCES.get(value, value),
    }
    search_form_extra_fields = {
        "table_name": SelectField(
            _("Type d'enregistrement"), choices=_table_choices, validators=[Optional()]
        ),
    }
    base_order = ("at", "desc")
