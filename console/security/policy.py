"""The roles policy: one declared table of who may do what.

Each resource (a FAB view's permission name, an API, a dashboard, a report) maps each
role to an access level. `isoko init-roles` turns the table into FAB permissions, and
tests/test_authorization.py requests every registered endpoint as every role and
checks the answer against :func:`allows`, so a new endpoint without a line here fails
the suite.

Plain Flask routes (Dash pages, downloads, uploads) are protected with
``console.security.guards.require_permission(permission, resource)``; give their
resource a line here too.
"""

from __future__ import annotations

import enum


class Access(enum.IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2


ADMIN = "Admin"
MINISTRY = "Ministère"
UNDP = "PNUD"
COORDINATOR = "Coordinateur provincial"
AUDITOR = "Auditeur fiscal"
ROLES = (ADMIN, MINISTRY, UNDP, COORDINATOR, AUDITOR)

N, R, W = Access.NONE, Access.READ, Access.WRITE

# resource: (Ministère, PNUD, Coordinateur provincial, Auditeur fiscal). Admin: everything.
POLICY: dict[str, tuple[Access, Access, Access, Access]] = {
    # everyone signed in: home page, menu, own profile and password
    "HomeView": (R, R, R, R),
    "GlobalSearchView": (R, R, R, R),  # the navbar's search box; results scoped and per view
    "MenuApi": (R, R, R, R),
    "UserInfoEditView": (W, W, W, W),
    "ResetMyPasswordView": (W, W, W, W),
    # registry
    "CooperativeView": (W, R, W, N),
    "CooperativeApi": (R, R, R, N),
    "ProvinceView": (R, R, R, R),
    "CommuneView": (R, R, R, R),
    # pilot programme
    "CohortView": (W, W, R, N),
    "EnrollmentView": (W, W, W, N),
    "EnrollmentApi": (R, R, R, N),
    "EnrollmentTransitionView": (R, R, R, N),
    "TrainingSessionView": (W, W, R, N),
    "AttendanceView": (W, W, R, N),
    # inventory
    "DeviceView": (W, W, W, N),
    "DeviceApi": (R, R, R, N),
    "DeviceAssignmentView": (W, W, W, N),
    "DeviceIncidentView": (W, W, W, N),
    "DeviceAuditView": (W, W, W, N),
    "DeviceStockView": (R, R, R, N),
    # marketplace (recorded by the platform: read-only in the console)
    "OrderView": (R, R, R, R),
    "OrderLineView": (R, R, R, R),
    "PaymentView": (R, R, R, R),
    "ListingView": (R, R, R, R),
    "ProductView": (R, R, R, R),
    "BuyerView": (R, R, R, R),
    "ValueChainView": (W, R, R, R),
    "CategoryView": (W, R, R, R),
    "UnitView": (W, R, R, R),
    # tax
    "TaxRuleView": (W, R, N, R),
    "TaxRemittanceView": (R, R, R, R),
    # tax reconciliation (console.views.reconciliation). PNUD follows the programme's tax
    # outcome, so it reads the per-seller summary and its drill-down (the same orders and
    # remittances it already reads), but not the leakage flags (leads for OBR's audits)
    # nor the rule simulation (tax policy: Ministry and OBR). Coordinators: none, since
    # the pages are national tax oversight.
    "TaxReconciliationView": (R, R, N, R),
    "LeakageFlagView": (R, N, N, R),
    "TaxWhatIfView": (R, N, N, R),
    "TaxSettingView": (W, R, N, R),
    # OBR eBMS (console.views.ebms): the transmissions and the refusals, in the scope of the
    # sellers' provinces. The Ministry and coordinators (who correct the sellers' records)
    # press « Renvoyer »; OBR auditors read; PNUD: none (tax administration).
    "InvoiceMessageView": (R, N, R, R),
    "ObrRefusalView": (W, N, W, R),
    # audit trail: read-only for everyone, Admin included (no write route exists)
    "AuditEventView": (R, N, N, R),
    # dashboards (dashboards/): the Dash shell every dashboard page loads, then one line
    # per dashboard. Tax receipts follow the reconciliation pages above (national tax
    # oversight: no coordinator; its leakage flags also need LeakageFlagView).
    "Dashboards": (R, R, R, R),
    "DashboardVentes": (R, R, R, R),
    "DashboardMevente": (R, R, R, N),
    "DashboardRecettes": (R, R, N, R),
    "DashboardPilote": (R, R, R, N),
    # importers (importers/): one upload page per dataset, and the import log. Ministry and
    # UNDP import everything, nationally; coordinators their provinces' cooperatives,
    # devices and attendance (updating, not registering: see PERMISSION_POLICY's can_add,
    # applied to imported rows too); OBR receipts are recorded by the Ministry only; OBR
    # auditors import nothing. Coordinators see only the batches they started themselves.
    "CooperativeImportView": (W, W, W, N),
    "ProductImportView": (W, W, N, N),
    "ListingImportView": (W, W, N, N),
    "OrderImportView": (W, W, N, N),
    "PaymentImportView": (W, W, N, N),
    "DeviceImportView": (W, W, W, N),
    "AttendanceImportView": (W, W, W, N),
    "RemittanceImportView": (W, N, N, N),
    "ImportBatchView": (R, R, R, N),
    # mévente (console.views.mevente): Ministry and UNDP nationally; coordinators read,
    # acknowledge alerts and mark suggestions in their provinces (scoping does the rest);
    # the thresholds and reference tables are set by the Ministry; OBR: none (not tax).
    "MeventeAlertView": (W, W, W, N),
    "MatchSuggestionView": (W, W, W, N),
    "WeeklyIndicatorView": (R, R, R, N),
    "ForecastChoiceView": (R, R, R, N),
    "MeventeThresholdView": (W, R, R, N),
    "RawMaterialRelationView": (W, R, R, N),
    "ProvinceDistanceView": (W, R, R, N),
    # reports (reports/): one resource per report; generating and downloading are reads
    # (can_read), coordinators only for their provinces (checked on every request and
    # download). The tax statement carries the leakage flags, so it follows
    # LeakageFlagView (Ministry and OBR); auditors also get the sales report. Everyone
    # lists their own reports and verifies a report's code.
    "SalesReportView": (R, R, R, R),
    "TaxStatementReportView": (R, N, N, R),
    "CooperativeSheetReportView": (R, R, R, N),
    "DeviceInventoryReportView": (R, R, R, N),
    "HandoverReceiptReportView": (R, R, R, N),
    # An order's invoice with its OBR registration (eBMS): those who see the transmissions
    # (InvoiceMessageView); coordinators for their provinces' orders only.
    "InvoiceReportView": (R, N, R, R),
    "PilotReportView": (R, R, R, N),
    "MyReportsView": (R, R, R, R),
    # the typeahead of the report forms (cooperatives, hand-overs), scoped; OBR auditors
    # request neither the cooperative sheet nor the receipt
    "ReportLookupView": (R, R, R, N),
    # Everyone manages their own subscriptions (an administrator everyone's); what a
    # subscription may cover is the report's line above and the owner's scope, checked
    # at creation and again at every run (reports/subscriptions.py).
    "MySubscriptionsView": (W, W, W, W),
    "ReportVerificationView": (R, R, R, R),
    # integration API (console/api/): its clients are managed by the directorate (Admin,
    # Ministry); the call log is read by them and OBR; the OpenAPI document and its
    # Swagger UI by those who hand clients to integrators.
    "ApiClientView": (W, N, N, N),
    "ApiCallView": (R, N, N, R),
    "OpenApi": (R, N, N, R),
    "SwaggerView": (R, N, N, R),
}

# The integration API is called by API clients with a token, never by people signed in:
# (permission, resource) → the client kinds (ApiClientKind values) that may call it.
STOREFRONT, TABLET = "vitrine", "tablette"
CLIENT_POLICY: dict[tuple[str, str], frozenset[str]] = {
    ("can_quote", "IntegrationApi"): frozenset({STOREFRONT, TABLET}),
    ("can_create", "IntegrationApi"): frozenset({STOREFRONT, TABLET}),
    ("can_read", "IntegrationApi"): frozenset({STOREFRONT, TABLET}),
    ("can_pay", "IntegrationApi"): frozenset({STOREFRONT, TABLET}),
    ("can_change_status", "IntegrationApi"): frozenset({STOREFRONT, TABLET}),
    ("can_return", "IntegrationApi"): frozenset({STOREFRONT, TABLET}),
}

# One permission of a resource granted differently from the resource's level (same
# role order). It wins over POLICY for that permission only.
PERMISSION_POLICY: dict[tuple[str, str], tuple[Access, Access, Access, Access]] = {
    # Coordinators update their province's records but do not register new ones, and
    # suspending or dissolving a cooperative is a decision of the directorate.
    ("CooperativeView", "can_add"): (W, N, N, N),
    ("CooperativeView", "can_change_status"): (W, N, N, N),
    # Asking OBR whether a NIF is known (checkTIN) is part of keeping the record right.
    ("CooperativeView", "can_check_tin"): (W, N, W, N),
    # Whether a seller's invoices go to OBR against the general rule: Admin only.
    ("CooperativeView", "can_change_ebms_transmit"): (N, N, N, N),
    # Nominating a cooperative into a cohort and buying devices belong to the programme.
    ("EnrollmentView", "can_add"): (W, W, N, N),
    ("CooperativeView", "can_nominate"): (W, W, N, N),  # bulk: EnrollmentView.nominate
    ("DeviceView", "can_add"): (W, W, N, N),
    # Everyone sees and edits their own account from the user menu.
    ("IsokoUserDBModelView", "can_userinfo"): (R, R, R, R),
    ("IsokoUserDBModelView", "resetmypassword"): (W, W, W, W),
    ("IsokoUserDBModelView", "userinfoedit"): (W, W, W, W),
}

# Flask-AppBuilder's security screens (users, roles, permissions): Admin only.
ADMIN_ONLY = frozenset(
    {
        "IsokoUserDBModelView",
        "ResetPasswordView",
        "ReadOnlyRoleModelView",
        "ReadOnlyGroupModelView",
        "ReadOnlyPermissionModelView",
        "ReadOnlyViewMenuModelView",
        "ReadOnlyPermissionViewModelView",
        # their menu entries
        "Security",
        "List Users",
        "List Roles",
        "List Groups",
        "Base Permissions",
        "Views/Menus",
        "Permission on Views/Menus",
    }
)

# Resources nobody writes, Admin included: the append-only audit trail and the
# marketplace as the platform recorded it.
READ_ONLY_RESOURCES = frozenset(
    {
        "AuditEventView",
        "OrderView",
        "OrderLineView",
        "PaymentView",
        "ListingView",
        "ProductView",
        "BuyerView",
    }
)

# Menu categories a role sees when it may read at least one view inside them.
MENU_CATEGORIES = {
    "Registre": ("CooperativeView", "ProvinceView", "CommuneView"),
    "Programme pilote": ("CohortView", "EnrollmentView", "TrainingSessionView", "AttendanceView"),
    "Inventaire": (
        "DeviceView",
        "DeviceStockView",
        "DeviceAssignmentView",
        "DeviceIncidentView",
        "DeviceAuditView",
    ),
    "Marché": (
        "OrderView",
        "OrderLineView",
        "PaymentView",
        "ListingView",
        "ProductView",
        "BuyerView",
        "ValueChainView",
        "CategoryView",
        "UnitView",
    ),
    "Fiscalité": (
        "TaxRuleView",
        "TaxRemittanceView",
        "TaxReconciliationView",
        "LeakageFlagView",
        "TaxWhatIfView",
        "TaxSettingView",
        "InvoiceMessageView",
        "ObrRefusalView",
    ),
    "Traçabilité": ("AuditEventView",),
    "Tableaux de bord": (
        "DashboardVentes",
        "DashboardMevente",
        "DashboardRecettes",
        "DashboardPilote",
    ),
    "Imports": (
        "CooperativeImportView",
        "ProductImportView",
        "ListingImportView",
        "OrderImportView",
        "PaymentImportView",
        "DeviceImportView",
        "AttendanceImportView",
        "RemittanceImportView",
        "ImportBatchView",
    ),
    "Intégration": ("ApiClientView", "ApiCallView"),
    "Rapports": (
        "SalesReportView",
        "TaxStatementReportView",
        "CooperativeSheetReportView",
        "DeviceInventoryReportView",
        "HandoverReceiptReportView",
        "InvoiceReportView",
        "PilotReportView",
        "MyReportsView",
        "MySubscriptionsView",
        "ReportVerificationView",
    ),
    "Mévente": (
        "MeventeAlertView",
        "MatchSuggestionView",
        "WeeklyIndicatorView",
        "ForecastChoiceView",
        "MeventeThresholdView",
        "RawMaterialRelationView",
        "ProvinceDistanceView",
    ),
}

# Endpoints anyone may reach without signing in.
PUBLIC_ENDPOINTS = frozenset(
    # /health answers a load balancer, which cannot log in; it reveals only up/down.
    # /favicon.ico is the browser's tab icon, asked for before anyone signs in.
    {"AuthDBView.login", "AuthDBView.logout", "static", "appbuilder.static", "health", "favicon"}
)
# Endpoints with no permission of their own that any signed-in user may reach.
SIGNED_IN_ENDPOINTS = frozenset({"LocaleView.index", "UtilView.back"})

# FAB permission names by the access they need. Anything not listed needs WRITE.
READ_PERMISSIONS = frozenset(
    {
        "can_list",
        "can_show",
        "can_get",
        "can_info",
        "menu_access",
        "can_index",
        "can_back",
        "can_download",
        "can_read",
        "can_userinfo",
        "can_this_form_get",
        "can_chart",
    }
)


def client_allows(kind: str, permission: str, resource: str) -> bool:
    """Whether an API client of this kind may call this permission of the integration API."""
    return kind in CLIENT_POLICY.get((permission, resource), frozenset())


def is_declared(resource: str) -> bool:
    """Whether the policy says anything about ``resource``."""
    return (
        resource in POLICY
        or resource in ADMIN_ONLY
        or resource in MENU_CATEGORIES
        or any(key[0] == resource for key in PERMISSION_POLICY)
    )


def access_of(role: str, resource: str) -> Access:
    """The access a role has on a resource; Admin has WRITE everywhere."""
    if role == ADMIN:
        return Access.READ if resource in READ_ONLY_RESOURCES else Access.WRITE
    if resource in MENU_CATEGORIES:
        return max((access_of(role, view) for view in MENU_CATEGORIES[resource]), default=N)
    levels = POLICY.get(resource)
    if levels is None:
        return Access.NONE
    return levels[ROLES.index(role) - 1]


def needed_access(permission: str) -> Access:
    """The access level a FAB permission name requires."""
    return Access.READ if permission in READ_PERMISSIONS else Access.WRITE


def allows(role: str, permission: str, resource: str) -> bool:
    """Whether the policy grants ``permission`` on ``resource`` to ``role``."""
    needed = needed_access(permission)
    if resource in READ_ONLY_RESOURCES and needed > Access.READ:
        return False
    override = PERMISSION_POLICY.get((resource, permission))
    if override is not None and role != ADMIN:
        return override[ROLES.index(role) - 1] >= needed
    return access_of(role, resource) >= needed
