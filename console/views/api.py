"""A read-only REST API (/api/v1/…) for scripts and spreadsheets, scoped like the screens.

Browser sessions are accepted (no separate token login); rows come through the scoped
data interface, so another province's id answers 404 here too.
"""

from __future__ import annotations

from flask_appbuilder.api import ModelRestApi

from console.models import Cooperative, Device, Enrollment
from console.security.scoped_datamodel import ScopedSQLAInterface

from .labels import COLUMN_LABELS

READ_ONLY_ROUTES = {"get", "get_list", "info"}


class ReadOnlyApi(ModelRestApi):
    """GET list, GET one and _info only; session sign-in accepted."""

    allow_browser_login = True
    include_route_methods = READ_ONLY_ROUTES
    page_size = 100
    max_page_size = 1000

    def __init__(self):
        # FAB adds to label_columns in place: each API gets its own copy.
        self.label_columns = dict(COLUMN_LABELS)
        super().__init__()


class CooperativeApi(ReadOnlyApi):
    resource_name = "cooperative"
    datamodel = ScopedSQLAInterface(Cooperative)
    list_columns = [
        "id",
        "registration_number",
        "name",
        "acronym",
        "nif",
        "province.code",
        "province.name",
        "province_2025.name",
        "members_total",
        "members_women",
        "vat_registered",
        "is_pioneer",
        "status",
    ]
    show_columns = list_columns
    search_columns = ["registration_number", "name", "nif", "province", "status", "is_pioneer"]


class EnrollmentApi(ReadOnlyApi):
    resource_name = "enrollment"
    datamodel = ScopedSQLAInterface(Enrollment)
    list_columns = [
        "id",
        "cohort.name",
        "cooperative.id",
        "cooperative.name",
        "status",
        "nominated_on",
        "selected_on",
        "trained_on",
        "equipped_on",
        "activated_on",
        "withdrawn_on",
    ]
    show_columns = list_columns
    search_columns = ["cohort", "cooperative", "status"]


class DeviceApi(ReadOnlyApi):
    resource_name = "device"
    datamodel = ScopedSQLAInterface(Device)
    list_columns = ["id", "asset_tag", "serial", "kind", "model", "status", "province.name"]
    show_columns = list_columns
    search_columns = ["asset_tag", "serial", "kind", "status", "province"]


APIS = [CooperativeApi, EnrollmentApi, DeviceApi]
