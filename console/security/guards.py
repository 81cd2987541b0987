"""Access guards for routes that are not Flask-AppBuilder views, and the login wall.

``require_permission(permission, resource)`` protects a plain Flask route (Dash pages
and callbacks, report downloads, import uploads) with the same FAB permissions and
roles policy as the console views::

    from console.security.guards import require_permission

    @blueprint.route("/rapports/ventes-mensuelles.pdf")
    @require_permission("can_read", "MonthlySalesReport")
    def monthly_sales_pdf():
        ...

    # wrapping routes registered by someone else (e.g. Dash's):
    app.view_functions[endpoint] = require_permission("can_read", "Dashboards")(
        app.view_functions[endpoint]
    )

Then add a line for the resource in console.security.policy.POLICY; `isoko init-roles`
creates the permission, and tests/test_authorization.py checks the route as every role.
A signed-out visitor is sent to the login page (401 JSON for API, XHR and Dash calls);
a signed-in user without the permission gets 404, as for another province's record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from .policy import PUBLIC_ENDPOINTS

# (permission, resource) pairs guarded by require_permission, created by init-roles.
ROUTE_PERMISSIONS: set[tuple[str, str]] = set()


def _wants_json() -> bool:
    """Whether the caller is a script or a Dash callback rather than a browser page."""
    return (
        request.path.startswith("/api/")
        or "/_dash-" in request.path
        or request.is_json
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )


def _to_login():
    """Send a signed-out visitor to the login page, or answer 401 to a script."""
    if _wants_json():
        return jsonify({"message": str(_("Authentification requise."))}), 401
    auth_view = current_app.appbuilder.sm.auth_view
    return redirect(url_for(f"{auth_view.endpoint}.login", next=request.full_path))


def require_permission(permission: str, resource: str) -> Callable:
    """Decorate a Flask view: sign-in required, then ``permission`` on ``resource``."""
    ROUTE_PERMISSIONS.add((permission, resource))

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return _to_login()
            if not current_app.appbuilder.sm.has_access(permission, resource):
                abort(404)
            return view(*args, **kwargs)

        guarded._isoko_permission = (permission, resource)
        return guarded

    return decorate


INTEGRATION_PREFIX = "/api/v1/integration/"
INTEGRATION_MESSAGES = {429: "Trop de requêtes pour ce client : réessayez dans une minute."}


def install_login_wall(app: Flask) -> None:
    """Require sign-in for every endpoint except the login page and static files."""

    @app.before_request
    def _login_wall():
        endpoint = request.endpoint
        if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
            return None  # unknown URLs answer 404 on their own
        if hasattr(app.view_functions.get(endpoint), "_isoko_client_permission"):
            return None  # the integration API's own guard checks the client's token
        if not current_user.is_authenticated:
            return _to_login()
        return None

    for status, (title, message) in ERROR_PAGES.items():
        app.register_error_handler(status, error_page(status, title, message))
    app.register_error_handler(
        CSRFError,
        error_page(
            400,
            _("Formulaire expiré"),
            _(
                "Ce formulaire a expiré ou ne vient pas de la console : rechargez la page et recommencez."
            ),
        ),
    )


ERROR_PAGES = {
    404: (_("Page introuvable"), _("Cette page n'existe pas ou vous n'y avez pas accès.")),
    403: (_("Accès refusé"), _("Votre rôle ne permet pas cette opération.")),
    429: (
        _("Trop de tentatives"),
        _(
            "Trop de tentatives de connexion échouées pour ce compte ou depuis cette adresse. "
            "Réessayez dans quelques minutes, ou demandez à un administrateur de débloquer le compte."
        ),
    ),
}


def error_page(status: int, title, message=None):
    """An error handler answering in French (or the user's language), HTML or JSON.

    Without ``message``, the error's own description is shown (raised with a French one).
    """

    def handler(error):
        if message is None:
            return error_page(status, title, error.description)(error)
        if request.path.startswith(INTEGRATION_PREFIX):
            # The integration API's clients read one shape of refusal: field, value, message.
            text = INTEGRATION_MESSAGES.get(status, message)
            return jsonify(
                {"errors": [{"field": "url", "value": request.path, "message": str(text)}]}
            ), status
        if _wants_json():
            return jsonify({"message": str(message)}), status
        return render_template("isoko/error.html", title=title, message=message), status

    return handler
