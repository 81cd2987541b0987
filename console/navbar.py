"""The console's menu bar, rendered once per user, language and set of permissions.

FAB renders its navbar on every page: each menu entry asks the security manager and
each label goes through gettext, a sixth of a list page's CPU. Its HTML depends only
on who is signed in (id and name), the language and what their roles may open, so it
is kept under those and rendered again as soon as one changes: a renamed user, another
language, a role granted or revoked (``isoko init-roles``, in any process).
"""

from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

NAVBAR_TEMPLATE = "appbuilder/navbar.html"
MAX_ENTRIES = 2048  # users × languages kept per process; cleared whole when full


def _render() -> Markup:
    return Markup(render_template(NAVBAR_TEMPLATE, appbuilder=current_app.appbuilder))


def navbar() -> Markup:
    """The navbar's HTML for the signed-in user (rendered each time for a visitor)."""
    if not current_user.is_authenticated:
        return _render()
    key = (
        current_user.id,
        current_user.get_full_name(),
        str(get_locale()),
        current_app.appbuilder.sm.current_permissions(),
    )
    kept: dict = current_app.extensions["isoko_navbar"]
    html = kept.get(key)
    if html is None:
        html = _render()
        if len(kept) >= MAX_ENTRIES:
            kept.clear()
        kept[key] = html  # one dict store: atomic under the GIL
    return html


def install_navbar(app: Flask) -> None:
    """Offer ``isoko_navbar()`` to the templates (console/templates/isoko/baselayout.html)."""
    app.extensions["isoko_navbar"] = {}
    app.jinja_env.globals["isoko_navbar"] = navbar
