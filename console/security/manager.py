"""Isoko's security manager: FAB's, with users carrying their provinces."""

from __future__ import annotations

from flask import g, has_request_context
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import User, assoc_permissionview_role
from sqlalchemy.orm import relationship

from console.models.access import user_province
from console.models.geography import Province

from .admin_views import (
    IsokoUserDBModelView,
    ReadOnlyGroupModelView,
    ReadOnlyPermissionModelView,
    ReadOnlyPermissionViewModelView,
    ReadOnlyRoleModelView,
    ReadOnlyViewMenuModelView,
)

# A user's provinces (coordinators: the provinces they may see). Declared on FAB's own
# User class through a separate table, so `flask fab create-admin` keeps working.
if not hasattr(User, "provinces"):
    User.provinces = relationship(Province, secondary=user_province, lazy="selectin")


class NoJwtSecurityApi(SecurityApi):
    """FAB's JWT login API, without routes: the console signs in through /login/ only."""

    include_route_methods: set[str] = set()


class IsokoSecurityManager(SecurityManager):
    """FAB's database-backed security, extended by the roles policy (console.security.policy)."""

    userdbmodelview = IsokoUserDBModelView
    rolemodelview = ReadOnlyRoleModelView
    groupmodelview = ReadOnlyGroupModelView
    permissionmodelview = ReadOnlyPermissionModelView
    viewmenumodelview = ReadOnlyViewMenuModelView
    permissionviewmodelview = ReadOnlyPermissionViewModelView
    userstatschartview = None
    # A second, JSON login would bypass the login form's rate limit: none is offered.
    security_api = NoJwtSecurityApi

    def _role_permissions(self, role_ids: list[int]) -> frozenset[tuple[str, str]]:
        """Every (permission, resource) pair held by these roles, in one query."""
        pvm = self.permissionview_model
        rows = (
            self.session.query(self.permission_model.name, self.viewmenu_model.name)
            .select_from(pvm)
            .join(
                assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == pvm.id
            )
            .join(self.permission_model, self.permission_model.id == pvm.permission_id)
            .join(self.viewmenu_model, self.viewmenu_model.id == pvm.view_menu_id)
            .filter(assoc_permissionview_role.c.role_id.in_(role_ids))
        )
        return frozenset((permission, resource) for permission, resource in rows)

    def exist_permission_on_roles(self, view_name, permission_name, role_ids) -> bool:
        """FAB's check, answered from the roles' permissions loaded once per request.

        A page's menu asks dozens of times; one query instead of one per menu entry.
        """
        if not has_request_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        cache = g.setdefault("_isoko_role_permissions", {})
        key = tuple(sorted(role_ids))
        if key not in cache:
            cache[key] = self._role_permissions(list(key))
        return (permission_name, view_name) in cache[key]
