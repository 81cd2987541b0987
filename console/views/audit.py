"""The audit trail: read and filter only; no route edits or deletes an event."""

from flask_appbuilder.models.sqla.interface import SQLAInterface

from console.models import AuditEvent

from .base import IsokoModelView


class AuditEventView(IsokoModelView):
    datamodel = SQLAInterface(AuditEvent)
    base_permissions = ["can_list", "can_show"]
    list_columns = ["at", "username", "source", "table_name", "row_id", "action"]
    search_columns = ["at", "username", "source", "table_name", "row_id", "action"]
    show_columns = [*list_columns, "changes"]
    base_order = ("at", "desc")
