"""All domain models; importing this package registers every table on Model.metadata."""

# FAB's security tables (ab_user…) share the metadata and are referenced by ours.
from flask_appbuilder.security.sqla import models as _fab_security_models  # noqa: F401

from .access import user_province
from .audit import AuditEvent
from .cooperatives import (
    Cooperative,
    CooperativeCategory,
    CooperativeStatus,
    SellerKind,
    cooperative_value_chain,
)
from .geography import Commune, MapVersion, Province
from .inventory import (
    Device,
    DeviceAssignment,
    DeviceAudit,
    DeviceCondition,
    DeviceIncident,
    DeviceKind,
    DeviceStatus,
    IncidentKind,
)
from .marketplace import (
    Buyer,
    BuyerKind,
    Category,
    Listing,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    Product,
    Unit,
    ValueChain,
)
from .pilot import (
    Attendance,
    Cohort,
    Enrollment,
    EnrollmentStatus,
    EnrollmentTransition,
    Gender,
    TrainingSession,
)
from .tax import SellerCondition, TaxBase, TaxKind, TaxRemittance, TaxRule

__all__ = [name for name in dir() if not name.startswith("_")]
