"""The dashboards (Ventes, Mévente, Recettes fiscales, Programme pilote), in Dash.

``init_app`` mounts one Dash app per Flask app under /dashboards/, behind the console's
login and roles policy, with the "Tableaux de bord" menu, the data cache and the
``isoko refresh-facts`` command.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from . import pages  # noqa: F401  (declares the charts and their callbacks)
from .access import guard_dash_routes
from .cache import init_cache
from .cli import refresh_facts_command
from .menu import add_menu
from .mount import mount_dash


def init_app(app: Flask, appbuilder) -> None:
    """Mount the dashboards on ``app`` and add their menu and command."""
    # Templates only: the blueprint has no routes of its own.
    app.register_blueprint(Blueprint("isoko_dashboards", __name__, template_folder="templates"))
    init_cache(app)
    add_menu(appbuilder)
    dash_app, resources = mount_dash(app)
    guard_dash_routes(app, dash_app, resources)
    app.extensions["isoko_dash"] = dash_app
    app.cli.add_command(refresh_facts_command)
