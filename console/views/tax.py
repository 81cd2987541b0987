"""Tax rules and the remittances sellers make to OBR."""

from flask_appbuilder.models.sqla.interface import SQLAInterface

from console.models import TaxRemittance, TaxRule

from .base import IsokoModelView


class TaxRuleView(IsokoModelView):
    datamodel = SQLAInterface(TaxRule)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = ["code", "name", "kind", "rate", "category", "seller_condition", "valid_from", "valid_to"]
    search_columns = ["code", "name", "kind", "category", "valid_from", "valid_to", "is_exemption"]
    show_columns = [
        "code", "name", "kind", "base", "rate", "is_exemption", "category", "seller_condition",
        "valid_from", "valid_to", "remittance_deadline_days", "legal_reference",
    ]
    add_columns = edit_columns = show_columns
    base_order = ("code", "asc")


class TaxRemittanceView(IsokoModelView):
    datamodel = SQLAInterface(TaxRemittance)
    base_permissions = ["can_list", "can_show"]
    list_columns = ["cooperative", "tax_kind", "period_start", "period_end", "amount", "obr_receipt_ref", "remitted_on"]
    search_columns = ["cooperative", "tax_kind", "period_start", "obr_receipt_ref", "remitted_on"]
    base_order = ("remitted_on", "desc")
