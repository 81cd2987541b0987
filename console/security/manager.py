"""Isoko's security manager: FAB's, with users carrying their provinces."""

from __future__ import annotations

from flask import g, has_request_context, request
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import User, assoc_permissionview_role
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, relationship

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
from .login_throttle import login_throttle
from .password_views import ResetMyPasswordView, ResetPasswordView
from .sessions import end_sessions, session_is_current

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
    resetmypasswordview = ResetMyPasswordView
    resetpasswordview = ResetPasswordView
    # A second, JSON login would bypass the login form's rate limit: none is offered.
    security_api = NoJwtSecurityApi

    def get_user_by_id(self, pk):
        """The user with roles and provinces, in one query: every request loads the signed-in one.

        ``pk`` comes as text from the session or a URL; anything but a number is no user.
        """
        try:
            user_id = int(pk)
        except (TypeError, ValueError):
            return None
        return (
            self.session.scalars(
                select(self.user_model)
                .options(joinedload(self.user_model.roles), joinedload(self.user_model.provinces))
                .where(self.user_model.id == user_id)
            )
            .unique()
            .one_or_none()
        )

    @property
    def is_auth_limited(self) -> bool:
        """FAB's limiter counts successful sign-ins too: console.security.login_throttle
        counts failures instead (AUTH_RATE_LIMITED switches it)."""
        return False

    def auth_user_db(self, username, password):
        """FAB's password check, counting failures per account and address."""
        user = super().auth_user_db(username, password)
        throttle = login_throttle()
        if throttle is not None and has_request_context():
            if user is None:
                throttle.record_failure(username, request.remote_addr)
            else:
                throttle.record_success(username)
        return user

    def load_user(self, pk):
        """The signed-in user of this request, unless their session was ended since."""
        user = super().load_user(pk)
        if user is not None and not session_is_current(user):
            return None
        return user

    def on_user_logout(self, user) -> None:
        """Signing out ends every session of the user, not only this browser's cookie."""
        end_sessions(user)
        self.update_user(user)

    def get_user_roles(self, user) -> list:
        """The user's roles. Groups are not used (their screens are read-only and empty):
        FAB would query them on every permission check."""
        if not user.is_authenticated:
            return [self.get_public_role()]
        return list(user.roles)

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

    def _grants_version(self) -> tuple[int, int]:
        """What changes whenever a role gains or loses a permission: the grants' count and
        the sum of their ids (ids are never reused, so a swap changes the sum)."""
        grants = assoc_permissionview_role.c.id
        count, total = self.session.execute(
            select(func.count(grants), func.coalesce(func.sum(grants), 0))
        ).one()
        return int(count), int(total)

    def _permissions_of(self, role_ids: tuple[int, ...]) -> frozenset[tuple[str, str]]:
        """The roles' permissions, kept by the process while the grants do not change.

        Every request checks permissions; the pairs are read again only when
        ``isoko init-roles`` (the only writer of grants) changed them, in any process.
        """
        version = self._grants_version()
        cache = self.__dict__.setdefault("_permissions_by_roles", {})  # one per app
        cached = cache.get(role_ids)
        if cached is not None and cached[0] == version:
            return cached[1]
        permissions = self._role_permissions(list(role_ids))
        cache[role_ids] = (version, permissions)  # one dict store: atomic under the GIL
        return permissions

    def _request_permissions(self, role_ids) -> frozenset[tuple[str, str]]:
        """The roles' permissions, read once per request."""
        cache = g.setdefault("_isoko_role_permissions", {})
        key = tuple(sorted(role_ids))
        if key not in cache:
            cache[key] = self._permissions_of(key)
        return cache[key]

    def current_permissions(self) -> frozenset[tuple[str, str]]:
        """Every (permission, resource) pair the signed-in user's roles hold (in a request)."""
        return self._request_permissions(role.id for role in self.get_user_roles(current_user))

    def exist_permission_on_roles(self, view_name, permission_name, role_ids) -> bool:
        """FAB's check, answered from the roles' permissions read once per request.

        A page's menu asks dozens of times; one cheap query instead of one per menu entry.
        """
        if not has_request_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        return (permission_name, view_name) in self._request_permissions(role_ids)
