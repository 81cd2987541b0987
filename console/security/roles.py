"""Create the roles and keep their permissions equal to the policy table (idempotent)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from flask_appbuilder.const import LOGMSG_WAR_SEC_DEL_PERMVIEW

from .guards import ROUTE_PERMISSIONS
from .policy import ROLES, allows


@dataclass
class RoleSync:
    role: str
    granted: int
    revoked: int
    total: int


def _menu_names(items) -> set[str]:
    names: set[str] = set()
    for item in items:
        names.add(item.name)
        names |= _menu_names(item.childs or [])
    return names


def current_permission_pairs(appbuilder) -> set[tuple[str, str]]:
    """(permission, resource) pairs that today's views, menus and guarded routes use.

    Pairs left in the database by a view that has since changed are granted to nobody.
    """
    pairs = {
        (permission, view.class_permission_name)
        for view in appbuilder.baseviews
        for permission in (view.base_permissions or [])
    }
    pairs |= {("menu_access", name) for name in _menu_names(appbuilder.menu.get_list())}
    return pairs | set(ROUTE_PERMISSIONS)


class _DropRefusedDeletes(logging.Filter):
    def filter(self, record) -> bool:
        return record.msg != LOGMSG_WAR_SEC_DEL_PERMVIEW


@contextlib.contextmanager
def _quiet_menu_permission_churn():
    """Silence FAB's « Refused to delete permission view » while it registers permissions.

    A menu entry is named like its view, so FAB first tries to drop the entry's
    ``menu_access`` as a permission the view does not declare, refuses (a role holds it)
    and adds it back: one warning per menu entry at every start, none of them a problem.
    The roles' permissions are then set from the policy table below.
    """
    loggers = [
        logging.getLogger(name)
        for name in ("flask_appbuilder.security.sqla.manager", "flask_appbuilder.security.manager")
    ]
    quiet = _DropRefusedDeletes()
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


def sync_roles(appbuilder) -> list[RoleSync]:
    """Register every permission, then give each role exactly what the policy allows."""
    sm = appbuilder.sm
    # Roles first: FAB grants new permissions to the Admin role as it registers them.
    roles = {name: sm.find_role(name) or sm.add_role(name) for name in ROLES}
    with _quiet_menu_permission_churn():
        appbuilder.add_permissions(update_perms=True)
    for permission, resource in sorted(ROUTE_PERMISSIONS):
        sm.add_permission_view_menu(permission, resource)
    current = current_permission_pairs(appbuilder)
    pvms = [
        pvm
        for pvm in sm.session.query(sm.permissionview_model).all()
        if pvm.permission and pvm.view_menu and (pvm.permission.name, pvm.view_menu.name) in current
    ]
    results = []
    for name, role in roles.items():
        wanted = {pvm for pvm in pvms if allows(name, pvm.permission.name, pvm.view_menu.name)}
        held = set(role.permissions)
        granted = wanted - held
        revoked = held - wanted
        if granted or revoked:
            role.permissions = sorted(wanted, key=lambda p: p.id)
        results.append(RoleSync(name, len(granted), len(revoked), len(wanted)))
    public = sm.find_role(sm.auth_role_public)
    if public is not None and public.permissions:
        # Nothing is public but the login page and static files (see guards.install_login_wall).
        public.permissions = []
    sm.session.commit()
    return results
