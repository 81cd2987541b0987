"""Tablets and accessories: devices, assignments, incidents and audits."""

from flask_appbuilder.models.sqla.interface import SQLAInterface

from console.models import Device, DeviceAssignment, DeviceAudit, DeviceIncident

from .base import IsokoModelView

READ = ["can_list", "can_show"]


class DeviceAssignmentView(IsokoModelView):
    datamodel = SQLAInterface(DeviceAssignment)
    base_permissions = READ
    list_columns = ["device", "cooperative", "checked_out_at", "received_by", "condition_out", "checked_in_at", "condition_in"]
    search_columns = ["device", "cooperative", "checked_out_at", "checked_in_at"]
    base_order = ("checked_out_at", "desc")


class DeviceIncidentView(IsokoModelView):
    datamodel = SQLAInterface(DeviceIncident)
    base_permissions = READ
    list_columns = ["device", "kind", "occurred_on", "reported_by", "description"]
    search_columns = ["device", "kind", "occurred_on"]
    base_order = ("occurred_on", "desc")


class DeviceAuditView(IsokoModelView):
    datamodel = SQLAInterface(DeviceAudit)
    base_permissions = READ
    list_columns = ["device", "seen_on", "seen_by", "location", "note"]
    search_columns = ["device", "seen_on", "seen_by"]
    base_order = ("seen_on", "desc")


class DeviceView(IsokoModelView):
    datamodel = SQLAInterface(Device)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = ["asset_tag", "serial", "kind", "model", "status", "province", "funder"]
    search_columns = ["asset_tag", "serial", "kind", "model", "status", "province", "funder"]
    add_columns = ["asset_tag", "serial", "kind", "model", "purchase_date", "purchase_cost", "funder", "province"]
    edit_columns = ["model", "purchase_date", "purchase_cost", "funder", "province"]
    show_columns = [*add_columns, "status"]
    related_views = [DeviceAssignmentView, DeviceIncidentView, DeviceAuditView]
    show_template = "appbuilder/general/model/show_cascade.html"
