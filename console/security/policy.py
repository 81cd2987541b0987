"""The roles policy: one declared table of who may do what.

Each resource (a FAB view's permission name, a dashboard, a report) maps each role to
an access level. `isoko init-roles` turns the table into FAB permissions, and the test
suite checks every registered endpoint against it, so a new endpoint without a line
here fails the tests.
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
    # everyone signed in
    "HomeView": (R, R, R, R),
    "LocaleView": (R, R, R, R),
    "UtilView": (R, R, R, R),
    "UserInfoEditView": (R, R, R, R),
    "ResetMyPasswordView": (W, W, W, W),
    # registry
    "CooperativeView": (W, R, W, N),
    "ProvinceView": (R, R, R, R),
    "CommuneView": (R, R, R, R),
    # pilot programme
    "CohortView": (W, W, R, N),
    "EnrollmentView": (W, W, W, N),
    "EnrollmentTransitionView": (R, R, R, N),
    "TrainingSessionView": (W, W, R, N),
    "AttendanceView": (W, W, R, N),
    # inventory
    "DeviceView": (W, W, W, N),
    "DeviceAssignmentView": (W, W, W, N),
    "DeviceIncidentView": (W, W, W, N),
    "DeviceAuditView": (W, W, W, N),
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
    # audit trail: read-only for everyone, Admin included (no write route exists)
    "AuditEventView": (R, N, N, R),
}

# Menu categories a role sees when it may read at least one view inside them.
MENU_CATEGORIES = {
    "Registre": ("CooperativeView", "ProvinceView", "CommuneView"),
    "Programme pilote": ("CohortView", "EnrollmentView", "TrainingSessionView", "AttendanceView"),
    "Inventaire": ("DeviceView", "DeviceAssignmentView", "DeviceIncidentView", "DeviceAuditView"),
    "Marché": ("OrderView", "OrderLineView", "PaymentView", "ListingView", "ProductView",
               "BuyerView", "ValueChainView", "CategoryView", "UnitView"),
    "Fiscalité": ("TaxRuleView", "TaxRemittanceView"),
    "Sécurité": ("AuditEventView",),
}

# FAB permission names by the access they need. Anything not listed needs WRITE.
READ_PERMISSIONS = frozenset(
    {
        "can_list", "can_show", "can_get", "can_info", "menu_access", "can_index", "can_back",
        "can_download", "can_read", "can_userinfo", "can_this_form_get",
    }
)


def access_of(role: str, resource: str) -> Access:
    """The access a role has on a resource; Admin has WRITE everywhere."""
    if role == ADMIN:
        return Access.WRITE
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
    return access_of(role, resource) >= needed_access(permission)
