"""The audit trail: filter and read only. No route creates, edits or deletes an event."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from markupsafe import Markup, escape
from wtforms import SelectField
from wtforms.validators import Optional

from console.extensions import metadata
from console.models import AuditEvent
from console.security.scoped_datamodel import ScopedSQLAInterface

from .base import IsokoModelView
from .labels import COLUMN_LABELS

ACTIONS = {"insert": _("Création"), "update": _("Modification"), "delete": _("Suppression")}


def format_changes(changes) -> Markup:
    """Old → new values of an update, or the values of a created/deleted row."""
    if not changes:
        return Markup("—")
    lines = []
    for column, value in sorted(changes.items()):
        label = escape(str(COLUMN_LABELS.get(column, column)))
        if isinstance(value, list) and len(value) == 2:
            old, new = value
            lines.append(f"{label} : {escape(str(old))} → {escape(str(new))}")
        else:
            lines.append(f"{label} : {escape(str(value))}")
    return Markup("<br>".join(lines))


def _table_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(name, name) for name in sorted(metadata.tables)]


class AuditEventView(IsokoModelView):
    datamodel = ScopedSQLAInterface(AuditEvent)
    base_permissions = ["can_list", "can_show"]
    list_columns = ["at", "username", "source", "table_name", "row_id", "action"]
    search_columns = ["at", "username", "source", "table_name", "row_id", "action"]
    show_columns = [*list_columns, "changes"]
    formatters_columns = {
        "changes": format_changes,
        "action": lambda value: ACTIONS.get(value, value),
    }
    search_form_extra_fields = {
        "table_name": SelectField(_("Table"), choices=_table_choices(), validators=[Optional()]),
    }
    base_order = ("at", "desc")
