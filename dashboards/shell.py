"""Callbacks shared by every dashboard: routing, filters ↔ URL, options, downloads, charts."""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx
from dash.exceptions import PreventUpdate
from dash.html import Div

from console.database import read_session
from console.security.scoping import current_scope

from . import layout
from .callbacks import dashboard_callback
from .catalogue import BY_SLUG, PREFIX, dashboard_for_path
from .charts import (
    CARDS,
    CHARTS,
    FILTER_KEYS,
    GRAPH,
    TABLE,
    Chart,
    bounds,
    chart_download,
    chart_output,
    may_open,
)
from .filters import parse_filters, scope_problem, values_from_query

FILTER_IDS = ("f-du", "f-au", "f-carte", "f-province", "f-filiere", "f-cooperative")
FILTER_INPUTS = [Input(i, "value") for i in FILTER_IDS]
FILTER_STATES = [State(i, "value") for i in FILTER_IDS]
CONTROLS = {"type": "reglage", "name": ALL}


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
    filters, messages = parse_filters(values_from_query(search), data_bounds)
    problem = scope_problem(read_session(), scope, filters)
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
    filters, messages = parse_filters(values, bounds())
    problem = scope_problem(read_session(), current_scope(), filters)
    if problem:
        messages.append(problem)
    return "?" + filters.query_string(), [
        Div(text, className="alert alert-warning") for text in messages
    ]


@dashboard_callback(
    None,
    Output("f-province", "options"),
    Output("f-province", "value"),
    Input("f-carte", "value"),
    State("f-province", "value"),
    prevent_initial_call=True,
)
def provinces_of_map(map_version, province_id):
    """The province list of the chosen map (only the user's own provinces)."""
    if map_version not in ("2015", "2025"):
        raise PreventUpdate
    options = layout.province_options(current_scope(), map_version)
    keep = province_id if province_id in {o["value"] for o in options} else None
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


def _declare_chart_callback(chart: Chart) -> None:
    inputs = FILTER_INPUTS + [Input(layout.control_id(name), "value") for name in chart.controls]
    if chart.kind == GRAPH:
        outputs = [Output(chart.key, "figure")]
    else:
        outputs = [Output(chart.key, "children"), Output(f"{chart.key}-message", "children")]

    def callback(*args):
        values = filter_values(args[: len(FILTER_KEYS)])
        values.update(zip(chart.controls, args[len(FILTER_KEYS) :], strict=True))
        result = chart_output(chart.key, values)
        if chart.kind == GRAPH:
            return result
        items, message = result
        if chart.kind == TABLE:
            return layout.table(chart, items), message
        return (layout.cards(items) if items else ""), message

    callback.__name__ = "chart_" + chart.key.replace("-", "_")
    dashboard_callback(BY_SLUG[chart.dashboard].resource, *outputs, *inputs)(callback)


def declare_chart_callbacks() -> None:
    """One callback per registered chart (called once, after the pages are imported)."""
    for chart in CHARTS.values():
        _declare_chart_callback(chart)


__all__ = ["CARDS", "declare_chart_callbacks", "download", "render_page", "sync_url"]
