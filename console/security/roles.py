"""Create the roles and keep their permissions equal to the policy table (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from .policy import ADMIN, ROLES, allows


@dataclass
class RoleSync:
    role: str
    granted: int
    revoked: int
    total: int


def sync_roles(appbuilder) -> list[RoleSync]:
    """Register every view's permissions, then give each role exactly what the policy allows."""
    sm = appbuilder.sm
    # Roles first: FAB grants new permissions to the Admin role as it registers them.
    roles = {name: sm.find_role(name) or sm.add_role(name) for name in ROLES}
    appbuilder.add_permissions(update_perms=True)
    all_pvms = sm.session.query(sm.permissionview_model).all()
    results = []
    for name, role in roles.items():
        wanted = (
            set(all_pvms)
            if name == ADMIN
            else {
                pvm
                for pvm in all_pvms
                if pvm.permission and pvm.view_menu and allows(name, pvm.permission.name, pvm.view_menu.name)
            }
        )
        current = set(role.permissions)
        granted = wanted - current
        revoked = current - wanted
        role.permissions = sorted(wanted, key=lambda p: p.id)
        results.append(RoleSync(name, len(granted), len(revoked), len(wanted)))
    sm.session.commit()
    return results
