"""Province scoping: the one data-access rule that limits what a user may see.

Every console list, detail, edit, delete, related-field dropdown and export, every
dashboard callback and every report query goes through :func:`scope_clause` (or the
FAB filter built on it). A user whose role sees every province gets no clause; a
coordinator gets a clause on their provinces; a user with neither sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_appbuilder.security.sqla import models as _fab
from sqlalchemy import false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from console import models as m
from console.models.mevente import (
    MatchSuggestion,
    MatchSuggestionEvent,
    MeventeAlert,
    MeventeAlertEvent,
    MeventeForecast,
    WeeklyIndicator,
)

# Roles that see the whole country. Everyone else sees only the provinces on their account.
NATIONAL_ROLES = frozenset({"Admin", "Ministère", "PNUD", "Auditeur fiscal"})


@dataclass(frozen=True)
class ProvinceScope:
    """What a user may see: everything, or these provinces (ids, of either map)."""

    national: bool
    province_ids: frozenset[int] = frozenset()

    @property
    def cache_key(self) -> str:
        """A stable key for caches that must never mix two scopes."""
        if self.national:
            return "national"
        return "p:" + ",".join(str(i) for i in sorted(self.province_ids))


NATIONAL = ProvinceScope(national=True)
NOTHING = ProvinceScope(national=False)


def scope_for_user(user) -> ProvinceScope:
    """The scope of a FAB user (anonymous or without provinces: nothing)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOTHING
    role_names = {role.name for role in getattr(user, "roles", [])}
    if role_names & NATIONAL_ROLES:
        return NATIONAL
    return ProvinceScope(False, frozenset(p.id for p in getattr(user, "provinces", [])))


def current_scope() -> ProvinceScope:
    """The scope of the user of the current request."""
    from flask import g, has_request_context

    if not has_request_context():
        return NOTHING
    return scope_for_user(getattr(g, "user", None))


def _expanded_ids(scope: ProvinceScope) -> ColumnElement:
    """Ids of the scope's provinces plus the 2015 provinces that became part of them."""
    successors = select(m.Province.id).where(m.Province.successor_id.in_(scope.province_ids))
    return or_(m.Province.id.in_(scope.province_ids), m.Province.id.in_(successors))


def _province_ids_subquery(scope: ProvinceScope):
    return select(m.Province.id).where(_expanded_ids(scope))


def cooperative_clause(scope: ProvinceScope) -> ColumnElement:
    """Cooperatives located (under either map) in the scope's provinces."""
    ids = _province_ids_subquery(scope)
    return or_(m.Cooperative.province_id.in_(ids), m.Cooperative.province_2025_id.in_(ids))


def _cooperative_ids(scope: ProvinceScope):
    return select(m.Cooperative.id).where(cooperative_clause(scope))


def _seller_clause(column):
    return lambda scope: column.in_(_cooperative_ids(scope))


def _order_child_clause(order_fk):
    def clause(scope: ProvinceScope):
        orders = select(m.Order.id).where(m.Order.seller_id.in_(_cooperative_ids(scope)))
        return order_fk.in_(orders)

    return clause


def _device_clause(column):
    def clause(scope: ProvinceScope):
        devices = select(m.Device.id).where(m.Device.province_id.in_(_province_ids_subquery(scope)))
        return column.in_(devices)

    return clause


def handover_clause(scope: ProvinceScope) -> ColumnElement:
    """Hand-overs of the scope's cooperatives, wherever the device is now.

    A hand-over names its cooperative, the ANACOOP number and the receiver: it belongs to
    the cooperative's province. A tablet lent from Gitega to a Rutana cooperative, then
    brought back, shows that hand-over to Rutana's coordinator and not to Gitega's (the
    device's current province would say the opposite). List, detail, receipt and PDF all
    read through this rule.
    """
    return m.DeviceAssignment.cooperative_id.in_(_cooperative_ids(scope))


def _province_clause(*columns):
    """Rows whose province column (any of ``columns``) is one of the scope's provinces."""
    return lambda scope: or_(*(column.in_(_province_ids_subquery(scope)) for column in columns))


def _mevente_alert_ids(scope: ProvinceScope):
    return select(MeventeAlert.id).where(
        MeventeAlert.province_id.in_(_province_ids_subquery(scope))
    )


def _suggestion_ids(scope: ProvinceScope):
    return select(MatchSuggestion.id).where(MatchSuggestion.seller_id.in_(_cooperative_ids(scope)))


# How each province-bound model reaches a province. Every mapped model is either here
# or in NATIONAL_MODELS; scope_clause raises for a model in neither (fails closed).
SCOPE_RULES = {
    m.Province: lambda scope: _expanded_ids(scope),
    m.Commune: _province_clause(m.Commune.province_id, m.Commune.former_province_id),
    m.Cooperative: cooperative_clause,
    m.Product: _seller_clause(m.Product.cooperative_id),
    m.Listing: _seller_clause(m.Listing.cooperative_id),
    m.Order: _seller_clause(m.Order.seller_id),
    m.OrderLine: _order_child_clause(m.OrderLine.order_id),
    m.Payment: _order_child_clause(m.Payment.order_id),
    m.Buyer: lambda scope: or_(
        m.Buyer.province_id.in_(_province_ids_subquery(scope)),
        m.Buyer.cooperative_id.in_(_cooperative_ids(scope)),
    ),
    m.Enrollment: _seller_clause(m.Enrollment.cooperative_id),
    m.EnrollmentTransition: lambda scope: m.EnrollmentTransition.enrollment_id.in_(
        select(m.Enrollment.id).where(m.Enrollment.cooperative_id.in_(_cooperative_ids(scope)))
    ),
    m.Attendance: _seller_clause(m.Attendance.cooperative_id),
    m.TrainingSession: lambda scope: m.TrainingSession.id.in_(
        select(m.Attendance.session_id).where(
            m.Attendance.cooperative_id.in_(_cooperative_ids(scope))
        )
    ),
    m.Device: _province_clause(m.Device.province_id),
    m.DeviceAssignment: handover_clause,
    m.DeviceIncident: _device_clause(m.DeviceIncident.device_id),
    m.DeviceAudit: _device_clause(m.DeviceAudit.device_id),
    m.TaxRemittance: _seller_clause(m.TaxRemittance.cooperative_id),
    # Derived facts: a seller's, or a province's under either map.
    m.SalesDayFact: _seller_clause(m.SalesDayFact.seller_id),
    m.SalesMonthFact: _seller_clause(m.SalesMonthFact.seller_id),
    m.SalesWeekFact: _province_clause(
        m.SalesWeekFact.province_id, m.SalesWeekFact.province_2025_id
    ),
    m.PaymentMonthFact: _seller_clause(m.PaymentMonthFact.seller_id),
    m.ListingFact: _seller_clause(m.ListingFact.seller_id),
    m.ListingMonthFact: _seller_clause(m.ListingMonthFact.seller_id),
    m.LeakageFlagFact: _seller_clause(m.LeakageFlagFact.seller_id),
    m.SellThroughMonthFact: _seller_clause(m.SellThroughMonthFact.seller_id),
    # Mévente: a suggestion belongs to the seller's province (the buyer may be anywhere).
    WeeklyIndicator: _province_clause(WeeklyIndicator.province_id),
    MeventeForecast: _province_clause(MeventeForecast.province_id),
    MeventeAlert: _province_clause(MeventeAlert.province_id),
    MeventeAlertEvent: lambda scope: MeventeAlertEvent.alert_id.in_(_mevente_alert_ids(scope)),
    MatchSuggestion: _seller_clause(MatchSuggestion.seller_id),
    MatchSuggestionEvent: lambda scope: MatchSuggestionEvent.suggestion_id.in_(
        _suggestion_ids(scope)
    ),
    # Integration API clients belong to their tablet's cooperative (the storefront to none:
    # national roles only); their calls and idempotency keys follow the client.
    m.ApiClient: _seller_clause(m.ApiClient.cooperative_id),
    m.ApiCall: lambda scope: m.ApiCall.client_id.in_(
        select(m.ApiClient.id).where(m.ApiClient.cooperative_id.in_(_cooperative_ids(scope)))
    ),
    m.ApiIdempotencyKey: lambda scope: m.ApiIdempotencyKey.client_id.in_(
        select(m.ApiClient.id).where(m.ApiClient.cooperative_id.in_(_cooperative_ids(scope)))
    ),
    # OBR eBMS: a message belongs to its order's seller's province, a NIF check to its seller's.
    m.InvoiceMessage: _order_child_clause(m.InvoiceMessage.order_id),
    m.TinVerification: _seller_clause(m.TinVerification.cooperative_id),
}

# Models every role may read whole (the role policy decides who sees their views):
# reference data, and records that belong to no province.
NATIONAL_MODELS = frozenset(
    {
        # Reference data.
        m.ValueChain,
        m.Category,
        m.Unit,
        m.TaxRule,
        m.TaxSetting,
        m.Cohort,
        m.MeventeThreshold,
        m.RawMaterialRelation,
        m.ProvinceDistance,
        m.ForecastChoice,
        # Records of the platform itself, not of a province.
        m.AuditEvent,
        m.ImportBatch,
        m.ImportBatchRow,
        m.ReportArchive,
        # A user's own subscriptions: the views show their owner's rows (Admin: all), and
        # the parameters are checked against the owner's scope at creation and every run.
        m.ReportSubscription,
        m.SubscriptionRun,
        m.ScheduledTaskRun,
        m.FactRefresh,
        m.FactPendingDay,  # a Bujumbura day whose aggregates wait for a refresh
        # Flask-AppBuilder's security tables (accounts, roles, permissions).
        _fab.User,
        _fab.Role,
        _fab.Permission,
        _fab.ViewMenu,
        _fab.PermissionView,
        _fab.RegisterUser,
        _fab.Group,
        _fab.ApiKey,
    }
)


class UnscopedModelError(LookupError):
    """A model has no province rule and is not declared national: refuse rather than show all."""


def is_scoped(model) -> bool:
    """Whether rows of this model belong to a province."""
    return model in SCOPE_RULES


def scope_clause(model, scope: ProvinceScope) -> ColumnElement | None:
    """The WHERE clause limiting ``model`` to ``scope``; None when nothing needs limiting.

    Raises UnscopedModelError for a model in neither SCOPE_RULES nor NATIONAL_MODELS.
    """
    if model not in SCOPE_RULES:
        if model in NATIONAL_MODELS:
            return None
        raise UnscopedModelError(
            f"{getattr(model, '__name__', model)} has no province rule and is not declared "
            "national (console/security/scoping.py)"
        )
    if scope.national:
        return None
    if not scope.province_ids:
        return false()
    return SCOPE_RULES[model](scope)


def get_in_scope(session, model, row_id, scope: ProvinceScope):
    """The row of ``model`` with this id when ``scope`` may see it, else None (never raises)."""
    try:
        row_id = int(row_id)
    except (TypeError, ValueError):
        return None
    query = apply_scope(select(model).where(model.id == row_id), model, scope)
    return session.scalars(query).one_or_none()


def apply_scope(query, model, scope: ProvinceScope):
    """Limit a SQLAlchemy Query or Select on ``model`` to ``scope``."""
    clause = scope_clause(model, scope)
    if clause is None:
        return query
    return query.where(clause) if hasattr(query, "where") else query.filter(clause)
