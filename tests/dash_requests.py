"""Dash callback bodies, as the renderer posts them to /dashboards/_dash-update-component.

Shared by the tests and the load test (bench/load), which must not import the app: plain JSON.
"""

from __future__ import annotations

import json

# The charts' callback fills these parts of every chart on a page (dashboards.shell).
PARTS = (("graphique", "figure"), ("contenu", "children"), ("message", "children"))


def _wildcard(part: str) -> str:
    return json.dumps({"cle": ["ALL"], "type": part}, separators=(",", ":"), sort_keys=True)


# Dash's key of a multi-output callback: "..a.p...b.q..".
CHARTS_OUTPUT = ".." + "...".join(f"{_wildcard(part)}.{prop}" for part, prop in PARTS) + ".."


def part_key(part: str, key: str) -> str:
    """How the response names a chart part: its id as JSON text, keys sorted."""
    return json.dumps({"cle": key, "type": part}, separators=(",", ":"), sort_keys=True)


def listed(chart) -> dict:
    """A chart as the plan and the bodies list it (``chart``: a dashboards.charts.Chart)."""
    return {"key": chart.key, "kind": chart.kind, "controls": list(chart.controls)}


def charts_body(
    charts: list[dict],
    values: dict,
    filter_keys: list[str],
    filter_ids: list[str],
    changed: tuple[str, ...] = (),
) -> dict:
    """The one request a page's charts make (``charts``: key, kind, controls, as the plan
    lists them); ``changed`` names the inputs whose change triggered it (none: first call)."""
    controls = sorted({name for chart in charts for name in chart["controls"]})
    inputs: list = [
        {"id": fid, "property": "value", "value": values.get(key)}
        for key, fid in zip(filter_keys, filter_ids, strict=True)
    ]
    inputs.append(
        [
            {"id": {"name": n, "type": "reglage"}, "property": "value", "value": values.get(n)}
            for n in controls
        ]
    )
    state = [
        [
            {
                "id": {"name": n, "type": "reglage"},
                "property": "id",
                "value": {"name": n, "type": "reglage"},
            }
            for n in controls
        ]
    ]
    graphs = [c["key"] for c in charts if c["kind"] == "graph"]
    others = [c["key"] for c in charts if c["kind"] != "graph"]
    outputs = [
        [{"id": {"cle": key, "type": "graphique"}, "property": "figure"} for key in graphs],
        [{"id": {"cle": key, "type": "contenu"}, "property": "children"} for key in others],
        [{"id": {"cle": key, "type": "message"}, "property": "children"} for key in others],
    ]
    return {
        "output": CHARTS_OUTPUT,
        "outputs": outputs,
        "inputs": inputs,
        "changedPropIds": list(changed),
        "state": state,
    }


def chart_part(response: dict, part: str, key: str):
    """One chart part out of a charts' callback answer (``response``: its JSON)."""
    return response["response"][part_key(part, key)]


def page_body(path: str, search: str) -> dict:
    """The first callback of a page: the shell renders the dashboard for the URL."""
    return {
        "output": "page.children",
        "outputs": {"id": "page", "property": "children"},
        "inputs": [{"id": "url", "property": "pathname", "value": path}],
        "changedPropIds": ["url.pathname"],
        "state": [{"id": "url", "property": "search", "value": search}],
    }


def search_body(text: str) -> dict:
    """Typing in the cooperative filter: the options matching ``text``."""
    return {
        "output": "f-cooperative.options",
        "outputs": {"id": "f-cooperative", "property": "options"},
        "inputs": [{"id": "f-cooperative", "property": "search_value", "value": text}],
        "changedPropIds": ["f-cooperative.search_value"],
        "state": [{"id": "f-cooperative", "property": "value", "value": None}],
    }


def map_click_body(
    output: str, chart_key: str, click: dict, map_version: str, current: str | None
) -> dict:
    """A click on a map chart (dashboards.maps): ``output`` is the key the renderer got
    from /_dash-dependencies for the province filter set by a click."""
    clicked = {"cle": chart_key, "type": "graphique"}
    return {
        "output": output,
        "outputs": {"id": "f-province", "property": "value"},
        "inputs": [[{"id": clicked, "property": "clickData", "value": click}]],
        "changedPropIds": [
            json.dumps(clicked, separators=(",", ":"), sort_keys=True) + ".clickData"
        ],
        "state": [
            {"id": "f-carte", "property": "value", "value": map_version},
            {"id": "f-province", "property": "value", "value": current},
        ],
    }
