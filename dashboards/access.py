"""Login, permissions and CSRF for every route Dash registers under /dashboards/.

Dash adds plain Flask routes (pages, layout, dependencies, callback updates, scripts,
assets). Each is wrapped here with console.security.guards.require_permission:
a dashboard page needs that dashboard's permission; the shell Dash needs on every
page (layout, scripts, dependencies) needs the "Dashboards" permission every role
has; a callback update also needs the permission of the dashboard whose component it
updates. Signed out: redirect to /login/ (401 JSON for Dash's XHR). Not allowed: 404.

CSRF: Flask-WTF protects the callback POSTs like every form. Each page sets a cookie
holding the session's CSRF token; Dash's renderer copies it into the X-CSRFToken
header of every callback request (Dash ≥ 4.2 ``csrf_token_name``), which CSRFProtect
checks. No route is exempted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, current_app, jsonify, make_response, request
from flask_wtf.csrf import generate_csrf

from console.security.guards import require_permission

from .catalogue import DASHBOARDS, PERMISSION, PREFIX

SHELL_RESOURCE = "Dashboards"
CSRF_COOKIE = "isoko_dash_csrf"
UPDATE_ENDPOINT = f"{PREFIX}_dash-update-component"


def with_csrf_cookie(view: Callable) -> Callable:
    """Set the cookie Dash's renderer reads the CSRF token from (same-site, page scope)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200:
            response.set_cookie(
                CSRF_COOKIE,
                generate_csrf(),
                path=PREFIX,
                samesite="Strict",
                secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
                httponly=False,  # the renderer's script must read it
            )
        return response

    return wrapped


def callback_guard(view: Callable, resources: dict) -> Callable:
    """Check the permission of the dashboard whose component a callback updates (or, for
    the charts' callback, of every chart the body names)."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        body = request.get_json(silent=True)
        output = body.get("output") if isinstance(body, dict) else None
        if output not in resources:
            return jsonify({"message": "Requête de tableau de bord invalide."}), 400
        resource = resources[output]
        if callable(resource):
            allowed = resource(body)
        else:
            allowed = resource is None or current_app.appbuilder.sm.has_access(PERMISSION, resource)
        if not allowed:
            return jsonify({"message": "Tableau de bord introuvable ou non autorisé."}), 404
        return view(*args, **kwargs)

    return guarded


def guard_dash_routes(app: Flask, dash_app, resources: dict) -> None:
    """Wrap every Dash route; add one route per dashboard page with its own permission."""
    for rule in list(app.url_map.iter_rules()):
        if not rule.rule.startswith(PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == UPDATE_ENDPOINT:
            view = callback_guard(view, resources)
        elif rule.rule in (PREFIX, f"{PREFIX}<path:path>"):
            view = with_csrf_cookie(view)
        app.view_functions[rule.endpoint] = require_permission(PERMISSION, SHELL_RESOURCE)(view)

    def page(*_args, **_kwargs):
        return dash_app.index()

    for dashboard in DASHBOARDS:
        # A fixed rule wins over Dash's catch-all, so the page carries its own permission.
        view = require_permission(PERMISSION, dashboard.resource)(with_csrf_cookie(page))
        app.add_url_rule(
            dashboard.path, endpoint=f"dashboard_{dashboard.slug}", view_func=view, methods=["GET"]
        )
