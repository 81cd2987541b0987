"""The Dash app of one Flask app: served under /dashboards/ inside the console's page."""

from __future__ import annotations

from pathlib import Path

from dash import Dash
from flask import Flask, current_app, render_template

from .access import CSRF_COOKIE
from .callbacks import attach_callbacks
from .catalogue import PREFIX
from .layout import app_shell

ASSETS = Path(__file__).resolve().parent / "assets"


class IsokoDash(Dash):
    """Dash whose index page is the console's template: same banner, menu and footer."""

    def interpolate_index(self, **parts) -> str:
        appbuilder = current_app.appbuilder
        return render_template(
            "dashboards/index.html",
            appbuilder=appbuilder,
            base_template=appbuilder.base_template,
            dash=parts,
        )


def mount_dash(app: Flask) -> tuple[IsokoDash, dict]:
    """Create the Dash app on ``app`` with every declared callback; return it and the
    map from callback output to dashboard resource."""
    dash_app = IsokoDash(
        "dashboards",
        server=app,
        url_base_pathname=PREFIX,
        assets_folder=str(ASSETS),
        title="Tableaux de bord — Isoko",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
        add_log_handler=False,
        csrf_token_name=CSRF_COOKIE,
        csrf_header_name="X-CSRFToken",
    )
    dash_app.layout = app_shell
    resources = attach_callbacks(dash_app)
    return dash_app, resources
