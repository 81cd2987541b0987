"""What each registered endpoint requires: the bridge between the URL map and the policy.

For every Flask endpoint, :func:`requirement_for` says whether it is public, open to any
signed-in user, or needs one FAB permission on one resource (FAB views and APIs through
their ``@has_access``/``@protect`` methods, plain routes through
``console.security.guards.require_permission``), or one permission per action (FAB's
action routes). tests/test_authorization.py uses it for every endpoint; an
endpoint it cannot place, or a resource without a policy line, is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from flask_appbuilder.baseviews import BaseCRUDView
from flask_appbuilder.const import PERMISSION_PREFIX

from .policy import CLIENT_POLICY, PUBLIC_ENDPOINTS, SIGNED_IN_ENDPOINTS, allows, is_declared

PUBLIC = "public"
SIGNED_IN = "signed_in"
PERMISSION = "permission"
CLIENT = "api_client"  # called with an API client's token (policy.CLIENT_POLICY), never by people
ACTIONS = "actions"
UNDECLARED = "undeclared"


@dataclass(frozen=True)
class Requirement:
    """What an endpoint needs. ``checks`` are (permission, resource) pairs; for ACTIONS,
    one per action the route can run, keyed by action name in ``actions``."""

    kind: str
    checks: tuple[tuple[str, str], ...] = ()
    actions: tuple[str, ...] = ()
    # Permissions the view itself declares: FAB refuses anything else, even to Admin.
    view_permissions: frozenset[str] | None = None
    problem: str = ""
    view: object | None = field(default=None, compare=False, repr=False)

    def allows(self, role: str, action: str | None = None) -> bool:
        """Whether the policy lets ``role`` through (for ACTIONS: run ``action``)."""
        if self.kind in (PUBLIC, SIGNED_IN):
            return True
        if self.kind in (UNDECLARED, CLIENT):
            return False
        checks = self.checks
        if self.kind == ACTIONS:
            checks = tuple(c for a, c in zip(self.actions, self.checks, strict=True) if a == action)
        return bool(checks) and all(
            (self.view_permissions is None or permission in self.view_permissions)
            and allows(role, permission, resource)
            for permission, resource in checks
        )


def _views_by_endpoint(app: Flask) -> dict:
    return {
        view.endpoint: view for view in app.appbuilder.baseviews if getattr(view, "endpoint", None)
    }


def requirement_for(app: Flask, endpoint: str, views: dict | None = None) -> Requirement:
    """The requirement of one endpoint of ``app``."""
    if endpoint in PUBLIC_ENDPOINTS:
        return Requirement(PUBLIC)
    if endpoint in SIGNED_IN_ENDPOINTS:
        return Requirement(SIGNED_IN)
    function = app.view_functions.get(endpoint)
    guarded = getattr(function, "_isoko_permission", None)
    if guarded is not None:
        return _checked(Requirement(PERMISSION, (guarded,)))
    client_check = getattr(function, "_isoko_client_permission", None)
    if client_check is not None:
        if client_check not in CLIENT_POLICY:
            return Requirement(
                UNDECLARED,
                (client_check,),
                problem="permission client sans ligne dans policy.CLIENT_POLICY",
            )
        return Requirement(CLIENT, (client_check,))
    views = views if views is not None else _views_by_endpoint(app)
    blueprint, _sep, method_name = endpoint.rpartition(".")
    view = views.get(blueprint)
    if view is None:
        return Requirement(
            UNDECLARED,
            problem="route Flask sans require_permission (console.security.guards) "
            "ni entrée dans PUBLIC_ENDPOINTS/SIGNED_IN_ENDPOINTS",
        )
    resource = view.class_permission_name
    declared = frozenset(view.base_permissions or [])
    if method_name in ("action", "action_post") and isinstance(view, BaseCRUDView):
        names = tuple(sorted(view.actions))
        checks = tuple((view.get_action_permission_name(n), resource) for n in names)
        return _checked(Requirement(ACTIONS, checks, names, declared, view=view))
    method = getattr(view, method_name, None)
    if method is None or not hasattr(method, "_permission_name"):
        return Requirement(
            UNDECLARED,
            view=view,
            problem=f"méthode {type(view).__name__}.{method_name} sans @has_access/@protect",
        )
    permission = PERMISSION_PREFIX + view.get_method_permission(method_name)
    return _checked(Requirement(PERMISSION, ((permission, resource),), (), declared, view=view))


def _checked(requirement: Requirement) -> Requirement:
    """Mark a requirement whose resource has no line in the policy."""
    missing = sorted({resource for _p, resource in requirement.checks if not is_declared(resource)})
    if not missing:
        return requirement
    return Requirement(
        UNDECLARED,
        requirement.checks,
        requirement.actions,
        requirement.view_permissions,
        problem="ressource sans ligne dans console/security/policy.py : " + ", ".join(missing),
        view=requirement.view,
    )


def endpoint_requirements(app: Flask) -> dict[str, Requirement]:
    """Every endpoint of ``app`` with its requirement."""
    views = _views_by_endpoint(app)
    return {
        endpoint: requirement_for(app, endpoint, views) for endpoint in sorted(app.view_functions)
    }


def undeclared_endpoints(app: Flask) -> dict[str, str]:
    """Endpoints the policy does not cover, with what is missing."""
    return {
        endpoint: requirement.problem
        for endpoint, requirement in endpoint_requirements(app).items()
        if requirement.kind == UNDECLARED
    }
