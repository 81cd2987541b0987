"""Feature packages plugged into the console after its own views.

Each entry is a module with ``init_app(app, appbuilder)`` that registers its views,
menu entries, routes and commands (dashboards, reports, importers…). Keeping the list
here means the factory does not change when a feature is added.
"""

from __future__ import annotations

from importlib import import_module

FEATURE_MODULES: list[str] = [
    "dashboards",
    "console.views.reconciliation",
    "importers",
    "reports",
    "console.views.mevente",
]


def init_features(app, appbuilder) -> None:
    """Initialise every feature package, in order."""
    for name in FEATURE_MODULES:
        import_module(name).init_app(app, appbuilder)
