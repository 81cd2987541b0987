"""A process-wide list of the dashboards' callbacks, attached to every Dash app.

``dash.callback`` hands its callbacks to the first Dash app that serves a request and
then forgets them, and tests build many Flask apps in one process: so callbacks are
declared here once, at import, and each app's Dash instance registers all of them.
Each callback names the dashboard resource it belongs to (None: the shell shared by
every dashboard), which the route guard checks before running it; a callback serving
several dashboards (the charts' one) names instead a check of the request's body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# A catalogue.Dashboard.resource, None for the shell, or a check of the callback's body.
Resource = str | None | Callable[[dict], bool]


@dataclass(frozen=True)
class Declared:
    resource: Resource
    args: tuple
    kwargs: dict
    func: Callable


DECLARED: list[Declared] = []


def dashboard_callback(resource: Resource, *args, **kwargs) -> Callable:
    """Declare a Dash callback (same arguments as ``app.callback``) for ``resource``."""

    def decorate(func: Callable) -> Callable:
        DECLARED.append(Declared(resource, args, kwargs, func))
        return func

    return decorate


def attach_callbacks(dash_app) -> dict[str, Resource]:
    """Register every declared callback on ``dash_app``; map each output key to its resource."""
    resources: dict[str, Resource] = {}
    for declared in DECLARED:
        before = set(dash_app.callback_map)
        dash_app.callback(*declared.args, **declared.kwargs)(declared.func)
        for key in set(dash_app.callback_map) - before:
            resources[key] = declared.resource
    return resources
