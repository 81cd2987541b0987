"""A process-wide list of the dashboards' callbacks, attached to every Dash app.

``dash.callback`` hands its callbacks to the first Dash app that serves a request and
then forgets them, and tests build many Flask apps in one process: so callbacks are
declared here once, at import, and each app's Dash instance registers all of them.
Each callback names the dashboard resource it belongs to (None: the shell shared by
every dashboard), which the route guard checks before running it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Declared:
    resource: str | None  # a catalogue.Dashboard.resource, or None for the shell
    args: tuple
    kwargs: dict
    func: Callable


DECLARED: list[Declared] = []


def dashboard_callback(resource: str | None, *args, **kwargs) -> Callable:
    """Declare a Dash callback (same arguments as ``app.callback``) for ``resource``."""

    def decorate(func: Callable) -> Callable:
        DECLARED.append(Declared(resource, args, kwargs, func))
        return func

    return decorate


def attach_callbacks(dash_app) -> dict[str, str | None]:
    """Register every declared callback on ``dash_app``; map each output key to its resource."""
    resources: dict[str, str | None] = {}
    for declared in DECLARED:
        before = set(dash_app.callback_map)
        dash_app.callback(*declared.args, **declared.kwargs)(declared.func)
        for key in set(dash_app.callback_map) - before:
            resources[key] = declared.resource
    return resources
