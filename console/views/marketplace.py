"""The marketplace as the platform records it: read-only in the console."""

from console.models import (
    Buyer,
    Category,
    Listing,
    Order,
    OrderLine,
    Payment,
    Product,
    Unit,
    ValueChain,
)
from console.security.scoped_datamodel import ScopedSQLAInterface

from .base import IsokoModelView

READ = ["can_list", "can_show"]
REFERENCE = ["can_list", "can_show", "can_add", "can_edit"]


class ValueChainView(IsokoModelView):
    datamodel = ScopedSQLAInterface(ValueChain)
    base_permissions = REFERENCE
    list_columns = ["code", "name"]
    add_columns = edit_columns = ["code", "name"]
    base_order = ("name", "asc")


class CategoryView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Category)
    base_permissions = REFERENCE
    list_columns = ["code", "name", "value_chain", "is_processed", "is_raw_material"]
    search_columns = ["code", "name", "value_chain", "is_processed", "is_raw_material"]
    add_columns = edit_columns = list_columns
    base_order = ("name", "asc")


class UnitView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Unit)
    base_permissions = REFERENCE
    list_columns = ["code", "name"]
    add_columns = edit_columns = ["code", "name"]


class ProductView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Product)
    base_permissions = READ
    list_columns = ["sku", "name", "cooperative", "category", "unit"]
    search_columns = ["sku", "name", "cooperative", "category"]


class ListingView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Listing)
    base_permissions = READ
    list_columns = [
        "product",
        "cooperative",
        "quantity_offered",
        "unit_price",
        "listed_at",
        "closed_at",
    ]
    search_columns = ["cooperative", "product", "listed_at", "closed_at", "unit_price"]
    base_order = ("listed_at", "desc")


class BuyerView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Buyer)
    base_permissions = READ
    list_columns = ["name", "kind", "country", "province", "cooperative"]
    search_columns = ["name", "kind", "country", "province"]


class OrderLineView(IsokoModelView):
    datamodel = ScopedSQLAInterface(OrderLine)
    base_permissions = READ
    list_columns = [
        "order",
        "line_no",
        "product",
        "quantity",
        "unit_price",
        "net",
        "tax",
        "gross",
        "tax_rule",
        "tax_rate",
    ]
    show_columns = [*list_columns, "listing", "tax_note"]
    # No filter on the order: FAB would fill its drop-down with every order (half a million
    # at national scale). An order's lines are listed on the order's page.
    search_columns = ["product", "tax_rule", "net", "tax"]


class PaymentView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Payment)
    base_permissions = READ
    list_columns = ["order", "paid_at", "amount", "tax_amount", "method", "reference"]
    search_columns = ["reference", "paid_at", "method", "amount"]
    base_order = ("paid_at", "desc")


class OrderView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Order)
    base_permissions = READ
    list_columns = [
        "reference",
        "placed_at",
        "seller",
        "buyer",
        "status",
        "is_export",
        "payment_method",
    ]
    search_columns = [
        "reference",
        "placed_at",
        "seller",
        "buyer",
        "status",
        "is_export",
        "payment_method",
    ]
    show_columns = [
        "reference",
        "placed_at",
        "seller",
        "buyer",
        "status",
        "is_export",
        "payment_method",
        "prices_include_tax",
        "obr_registration",
    ]
    # Every seller and buyer of the platform: options fetched as the user types.
    search_choice_columns = {"seller": "name", "buyer": "name"}
    related_views = [OrderLineView, PaymentView]
    show_template = "isoko/order_show.html"  # show_cascade, with the invoice PDF's link
    base_order = ("placed_at", "desc")
