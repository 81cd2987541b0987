"""The "Tableaux de bord" menu: one link per dashboard, shown to roles that may open it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _

from .catalogue import DASHBOARDS, MENU_CATEGORY


def add_menu(appbuilder) -> None:
    """Menu links named after each dashboard's resource (their menu_access permission)."""
    for dashboard in DASHBOARDS:
        appbuilder.add_link(
            dashboard.resource,
            href=dashboard.path,
            icon=dashboard.icon,
            label=_(dashboard.title),
            category=MENU_CATEGORY,
            category_icon="fa-bar-chart",
            category_label=_(MENU_CATEGORY),
        )
