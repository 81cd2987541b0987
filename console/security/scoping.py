"""Province scoping: the one data-access rule that limits what a user may see.

Every console list, detail, edit, delete, related-field dropdown and export, every
dashboard callback and every report query goes through :func:`scope_clause` (or the
FAB filter built on it). A user whose role sees every province gets no clause; a
coordinator gets a clause on their provinces; a user with neither sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from console import models as m

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


# How each scoped model reaches a province. A model missing here is national reference
# data (value chains, categories, units, tax rules) that every role may read.
SCOPE_RULES = {
    m.Province: lambda scope: _expanded_ids(scope),
    m.Commune: lambda scope: or_(
        m.Commune.province_id.in_(_province_ids_subquery(scope)),
        m.Commune.former_province_id.in_(_province_ids_subquery(scope)),
    ),
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
    m.Device: lambda scope: m.Device.province_id.in_(_province_ids_subquery(scope)),
    m.DeviceAssignment: _device_clause(m.DeviceAssignment.device_id),
    m.DeviceIncident: _device_clause(m.DeviceIncident.device_id),
    m.DeviceAudit: _device_clause(m.DeviceAudit.device_id),
    m.TaxRemittance: _seller_clause(m.TaxRemittance.cooperative_id),
    # OBR eBMS: a message belongs to its order's seller's province, a NIF check to its seller's.
    m.InvoiceMessage: _order_child_clause(m.InvoiceMessage.order_id),
    m.TinVerification: _seller_clause(m.TinVerification.cooperative_id),
}


def is_scoped(model) -> bool:
    """Whether rows of this model belong to a province."""
    return model in SCOPE_RULES


def scope_clause(model, scope: ProvinceScope) -> ColumnElement | None:
    """The WHERE clause limiting ``model`` to ``scope``; None when nothing needs limiting."""
    if scope.national or model not in SCOPE_RULES:
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
