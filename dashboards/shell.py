"""Callbacks shared by every dashboard: routing, filters ↔ URL, options, downloads, charts."""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate
from dash.html import Div
from werkzeug.exceptions import NotFound

from console.database import read_session
from console.security.scoping import current_scope
from console.services.areas import MAPS, remember_map

from . import layout
from .callbacks import dashboard_callback
from .catalogue import PREFIX, dashboard_for_path
from .charts import (
    CHARTS,
    FILTER_KEYS,
    GRAPH,
    TABLE,
    Chart,
    bounds,
    chart_download,
    chart_output,
    may_open,
    may_see,
)
from .filters import read_filters, values_from_query

FILTER_IDS = ("f-du", "f-au", "f-carte", "f-province", "f-filiere", "f-cooperative")
FILTER_INPUTS = [Input(i, "value") for i in FILTER_IDS]
FILTER_STATES = [State(i, "value") for i in FILTER_IDS]
CONTROLS = {"type": "reglage", "name": ALL}
# The chart parts one callback fills, in its outputs' order: part → property.
CHART_PARTS = {layout.FIGURE: "figure", layout.BODY: "children", layout.MESSAGE: "children"}


def filter_values(args, control_values=(), control_ids=()) -> dict:
    """The six shared filter values and the page controls, keyed as in the URL."""
    values = dict(zip(FILTER_KEYS, args, strict=True))
    values.update(
        {cid["name"]: value for cid, value in zip(control_ids, control_values, strict=False)}
    )
    return values


def render_page(pathname: str | None, search: str | None):
    """The page for a path: a dashboard (filters from the URL), the list, or not found."""
    if pathname in (None, "", PREFIX, PREFIX.rstrip("/")):
        return layout.landing()
    dashboard = dashboard_for_path(pathname)
    if dashboard is None or not may_open(dashboard.slug):
        return layout.not_found()
    scope = current_scope()
    data_bounds = bounds()
    filters, messages, problem = read_filters(
        read_session(), scope, values_from_query(search), data_bounds
    )
    if problem:
        messages.append(problem)
    return layout.dashboard_page(dashboard, filters, data_bounds, scope, messages)


dashboard_callback(
    None, Output("page", "children"), Input("url", "pathname"), State("url", "search")
)(render_page)


@dashboard_callback(
    None,
    Output("url", "search"),
    Output("filtres-message", "children"),
    *FILTER_INPUTS,
    Input(CONTROLS, "value"),
    State(CONTROLS, "id"),
    prevent_initial_call=True,
)
def sync_url(*args):
    """Write the filters into the URL (a link reproduces the view); explain bad values."""
    *filters_args, control_values, control_ids = args
    values = filter_values(filters_args, control_values, control_ids)
    filters, messages, problem = read_filters(read_session(), current_scope(), values, bounds())
    if problem:
        messages.append(problem)
    if ctx.triggered_id == "f-carte":
        keep_map_choice(values.get("carte"))
    return "?" + filters.query_string(), [
        Div(text, className="alert alert-warning") for text in messages
    ]


def keep_map_choice(map_version) -> None:
    """The user picked a map (2015 or 2025; anything else is ignored): their dashboards and
    report forms open on it next time."""
    from flask import g

    from console.extensions import db

    if remember_map(getattr(g, "user", None), map_version):
        db.session.commit()


@dashboard_callback(
    None,
    Output("f-province", "options"),
    Output("f-province", "value"),
    Input("f-carte", "value"),
    State("f-province", "value"),
    prevent_initial_call=True,
)
def provinces_of_map(map_version, province_code):
    """The province list of the chosen map (only the user's own provinces)."""
    if map_version not in MAPS:
        raise PreventUpdate
    options = layout.province_options(current_scope(), map_version)
    keep = province_code if province_code in {o["value"] for o in options} else None
    return options, keep


@dashboard_callback(
    None,
    Output("f-cooperative", "options"),
    Input("f-cooperative", "search_value"),
    State("f-cooperative", "value"),
    prevent_initial_call=True,
)
def search_cooperatives(search, selected):
    """Cooperatives of the user's scope matching what is typed."""
    if not search or not isinstance(search, str):
        raise PreventUpdate
    selected = selected if isinstance(selected, int) else None
    return layout.cooperative_options(current_scope(), search, selected)


@dashboard_callback(
    None,
    Output("telechargement", "data"),
    Input({"type": "export", "chart": ALL, "format": ALL}, "n_clicks"),
    *FILTER_STATES,
    State(CONTROLS, "value"),
    State(CONTROLS, "id"),
    prevent_initial_call=True,
)
def download(clicks, *args):
    """A chart's data as CSV or Excel, with the same filters and scope as the chart."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        raise PreventUpdate
    *filters_args, control_values, control_ids = args
    values = filter_values(filters_args, control_values, control_ids)
    return chart_download(str(trigger.get("chart")), str(trigger.get("format")), values)


def chart_keys(body: dict) -> set[str] | None:
    """The charts a chart-parts update names, or None unless its outputs are the three
    lists of parts the renderer sends (figures, bodies, messages)."""
    outputs = body.get("outputs")
    if not isinstance(outputs, list) or len(outputs) != len(CHART_PARTS):
        return None
    keys = set()
    for (part, prop), group in zip(CHART_PARTS.items(), outputs, strict=True):
        if not isinstance(group, list):
            return None
        for item in group:
            ident = item.get("id") if isinstance(item, dict) else None
            if not (
                isinstance(ident, dict)
                and ident.get("type") == part
                and isinstance(ident.get("cle"), str)
                and item.get("property") == prop
            ):
                return None
            keys.add(ident["cle"])
    return keys


def may_fill(body: dict) -> bool:
    """Whether the update is well formed and the user may see every chart it asks for
    (the route guard's check: otherwise 404, as for another province's record)."""
    keys = chart_keys(body)
    return keys is not None and all(key in CHARTS and may_see(CHARTS[key]) for key in keys)


def _chart_values(chart: Chart, values: dict) -> dict:
    """The shared filters and the page controls this chart reads (its cache key)."""
    own = {key: values.get(key) for key in FILTER_KEYS}
    own.update({name: values.get(name) for name in chart.controls})
    return own


def changed_controls() -> set[str] | None:
    """The page controls whose change triggered the update; None when anything else did
    (a filter, or the page's first call), which redraws every chart."""
    names = set()
    for ident in ctx.triggered_prop_ids.values():
        if not (isinstance(ident, dict) and ident.get("type") == "reglage"):
            return None
        names.add(ident.get("name"))
    return names or None


def _chart_result(key: str, values: dict, controls: set[str] | None):
    """A chart's figure, or its (body, message); None when the change leaves it as it is."""
    chart = CHARTS.get(key)
    if chart is None:
        raise NotFound("Graphique inconnu.")
    if controls is not None and not controls & set(chart.controls):
        return None
    result = chart_output(key, _chart_values(chart, values))
    if chart.kind == GRAPH:
        return result
    items, message = result
    if chart.kind == TABLE:
        return layout.table(chart, items), message
    return (layout.cards(items) if items else ""), message


@dashboard_callback(
    may_fill,
    *[Output(layout.part_id(part, ALL), prop) for part, prop in CHART_PARTS.items()],
    *FILTER_INPUTS,
    Input(CONTROLS, "value"),
    State(CONTROLS, "id"),
)
def fill_charts(*args):
    """Every chart of the page in one request: figures, tables and their messages.

    A change of one page control (grain, days) redraws only the charts that read it.
    """
    *filters_args, control_values, control_ids = args
    values = filter_values(filters_args, control_values, control_ids)
    changed = changed_controls()
    figures, bodies, messages = ctx.outputs_list
    results = {}
    for spec in [*figures, *bodies]:
        key = spec["id"]["cle"]
        results[key] = _chart_result(key, values, changed)

    def part(spec, index=None):
        result = results.get(spec["id"]["cle"])
        if result is None:
            return no_update
        return result if index is None else result[index]

    return (
        [part(spec) for spec in figures],
        [part(spec, 0) for spec in bodies],
        [part(spec, 1) for spec in messages],
    )


__all__ = ["fill_charts", "download", "render_page", "sync_url"]
