"""The cooperative registry."""

from flask_appbuilder.models.sqla.interface import SQLAInterface

from console.models import Cooperative

from .base import IsokoModelView


class CooperativeView(IsokoModelView):
    datamodel = SQLAInterface(Cooperative)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = [
        "registration_number", "name", "acronym", "seller_kind", "province", "province_2025",
        "members_total", "vat_registered", "is_pioneer", "status",
    ]
    search_columns = [
        "registration_number", "name", "acronym", "nif", "seller_kind", "category", "province",
        "province_2025", "commune", "status", "is_pioneer", "vat_registered", "value_chains",
    ]
    show_fieldsets = [
        ("Identification", {"fields": [
            "registration_number", "name", "acronym", "seller_kind", "category", "nif",
            "trade_register_number", "vat_registered", "founded_on", "is_pioneer",
        ]}),
        ("Localisation", {"fields": ["province", "province_2025", "commune"]}),
        ("Membres", {"fields": ["members_total", "members_women", "members_youth"]}),
        ("Activité", {"fields": ["value_chains", "status", "status_reason"]}),
        ("Contact", {"fields": ["contact_name", "phone", "email", "created_at"]}),
    ]
    add_columns = [
        "registration_number", "name", "acronym", "seller_kind", "category", "province",
        "province_2025", "commune", "founded_on", "members_total", "members_women",
        "members_youth", "nif", "trade_register_number", "vat_registered", "is_pioneer",
        "value_chains", "contact_name", "phone", "email",
    ]
    edit_columns = add_columns
    base_order = ("name", "asc")
