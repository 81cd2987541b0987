"""All domain models; importing this package registers every table on Model.metadata."""

# FAB's security tables (ab_user…) share the metadata and are referenced by ours.
from flask_appbuilder.security.sqla import models as _fab_security_models  # noqa: F401

from .access import user_province
from .api_clients import ApiCall, ApiClient, ApiClientKind, ApiClientState, ApiIdempotencyKey
from .audit import AuditEvent
from .cooperatives import (
    Cooperative,
    CooperativeCategory,
    CooperativeStatus,
    SellerKind,
    cooperative_value_chain,
)
from .ebms import InvoiceMessage, MessageKind, MessageState, TinVerification
from .facts import (
    FactPendingDay,
    FactRefresh,
    LeakageFlagFact,
    ListingFact,
    ListingMonthFact,
    PaymentMonthFact,
    SalesDayFact,
    SalesMonthFact,
    SalesWeekFact,
    SellThroughMonthFact,
)
from .geography import Commune, MapVersion, Province
from .imports import ImportBatch, ImportBatchRow, ImportOutcome
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
from .mevente import (
    AlertKind,
    AlertStatus,
    ForecastChoice,
    ForecastMetric,
    MatchSuggestion,
    MatchSuggestionEvent,
    MeventeAlert,
    MeventeAlertEvent,
    MeventeForecast,
    MeventeThreshold,
    ProvinceDistance,
    RawMaterialRelation,
    SuggestionStatus,
    WeeklyIndicator,
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
from .reports import ReportArchive, ReportStatus
from .subscriptions import (
    Frequency,
    ReportSubscription,
    RunStatus,
    ScheduledTaskRun,
    SubscriptionRun,
)
from .tax import SellerCondition, TaxBase, TaxKind, TaxRemittance, TaxRule
from .tax_settings import TaxSetting

__all__ = [name for name in dir() if not name.startswith("_")]
