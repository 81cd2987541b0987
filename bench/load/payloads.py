"""Dash callback bodies, as the renderer posts them to /dashboards/_dash-update-component."""

from __future__ import annotations


def chart_body(chart: dict, values: dict, filter_keys: list[str], filter_ids: list[str]) -> dict:
    """The body of one chart's callback (``chart``: key, kind, controls from the plan)."""
    inputs = [{"id": fid, "property": "value", "value": values.get(key)}
              for key, fid in zip(filter_keys, filter_ids, strict=True)]
    inputs += [{"id": {"name": n, "type": "reglage"}, "property": "value", "value": values.get(n)}
               for n in chart["controls"]]
    key = chart["key"]
    if chart["kind"] == "graph":
        output, outputs = f"{key}.figure", {"id": key, "property": "figure"}
    else:  # tables and cards fill their body and a message line
        output = f"..{key}.children...{key}-message.children.."
        outputs = [{"id": key, "property": "children"},
                   {"id": f"{key}-message", "property": "children"}]
    return {"output": output, "outputs": outputs, "inputs": inputs, "changedPropIds": [],
            "state": []}


def page_body(path: str, search: str) -> dict:
    """The first callback of a page: the shell renders the dashboard for the URL."""
    return {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": path}],
            "changedPropIds": ["url.pathname"],
            "state": [{"id": "url", "property": "search", "value": search}]}


def search_body(text: str) -> dict:
    """Typing in the cooperative filter: the options matching ``text``."""
    return {"output": "f-cooperative.options",
            "outputs": {"id": "f-cooperative", "property": "options"},
            "inputs": [{"id": "f-cooperative", "property": "search_value", "value": text}],
            "changedPropIds": ["f-cooperative.search_value"],
            "state": [{"id": "f-cooperative", "property": "value", "value": None}]}
