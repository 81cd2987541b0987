"""Province maps (choropleths) drawn offline: scatter traces over the shipped boundaries.

The dashboards' trimmed plotly bundle has no geo traces (they would fetch topojson from
a CDN, which the CSP forbids), so a map is plain ``scatter`` traces: each province a
filled polygon (lon/lat on hidden x/y axes, y scaled by 1/cos(latitude)), a marker at its
centre that a click turns into the province filter, and a colour bar. Boundaries come from
dashboards/geo/provinces.json (built by ``python -m dashboards.geo.build``, credit in
dashboards/geo/ATTRIBUTION.md).

A map chart loads the very frame of its page's « by province » chart (same data function,
so the same cached frame and the same scope): no second computation of the measure. A
user sees values and may click only on the provinces they may filter on; the others are
grey, without values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
from dash import ALL, Input, Output, State, ctx
from dash.exceptions import PreventUpdate
from plotly.colors import sample_colorscale
from sqlalchemy import select

from console import models as m
from console.database import read_session
from console.security.scoping import current_scope
from console.services.areas import MAPS, pickable_provinces

from .callbacks import dashboard_callback
from .charts import Chart
from .figures import GREEN, RED, figure
from .layout import FIGURE

GEOMETRY = Path(__file__).parent / "geo" / "provinces.json"
SUFFIX = "-carte"  # a map chart's key ends with it
OUT_OF_SCOPE = "#d9d9d9"  # provinces the user may not see
NO_VALUE = "#f4f4f4"  # provinces without a value for these filters
GREENS = [[0, "#e5f0e8"], [1, GREEN]]
RED_TO_GREEN = [[0, RED], [0.5, "#f6e7a1"], [1, GREEN]]


@dataclass(frozen=True)
class Measure:
    """What a map colours: a column of its frame, named and formatted in French."""

    column: str
    label: str  # colour bar title
    text: Callable[[float], str]  # a value as hover text
    colorscale: tuple = tuple(map(tuple, GREENS))
    value_range: tuple[float, float] | None = None  # fixed (rates); else 0 … largest
    tickformat: str = ",d"


@cache
def geometry() -> dict:
    """The two maps' provinces (code, name, centre, lon, lat), approximate parts, credit."""
    return json.loads(GEOMETRY.read_text(encoding="utf-8"))


def provinces_of(map_version: str) -> list[dict]:
    """The map's provinces in drawing order (trace i is province i)."""
    return geometry()["maps"][map_version]["provinces"]


def _colour(value: float, low: float, high: float, scale) -> str:
    share = 0.0 if high <= low else min(max((value - low) / (high - low), 0.0), 1.0)
    return sample_colorscale([list(step) for step in scale], [share])[0]


def province_map(
    map_version: str,
    values: Mapping[str, float | None],
    measure: Measure,
    *,
    clickable: Collection[str] | None = None,
    selected: str | None = None,
) -> dict:
    """The map of ``map_version`` coloured by ``values`` (province code → value).

    ``clickable``: the provinces the user may filter on (None: every one); the others are
    drawn grey, without value or hover, and their values are never put in the figure.
    """
    data = geometry()
    shown = {
        code: value
        for code, value in values.items()
        if (clickable is None or code in clickable) and value is not None and value == value
    }
    if measure.value_range is not None:
        low, high = measure.value_range
    else:
        low, high = 0.0, float(max(shown.values(), default=0) or 1)
    traces, centres = [], []
    for province in provinces_of(map_version):
        code, name = province["code"], province["name"]
        allowed = clickable is None or code in clickable
        value = shown.get(code)
        if not allowed:
            fill, text = OUT_OF_SCOPE, None
        elif value is None:
            fill, text = NO_VALUE, f"{name} : aucune donnée"
        else:
            fill, text = (
                _colour(value, low, high, measure.colorscale),
                f"{name} : {measure.text(value)}",
            )
        traces.append(
            {
                "type": "scatter",
                "x": province["lon"],
                "y": province["lat"],
                "mode": "lines",
                "fill": "toself",
                "fillcolor": fill,
                "line": {
                    "color": "#333333" if code == selected else "#ffffff",
                    "width": 2.5 if code == selected else 1,
                },
                "hoveron": "fills",
                "text": text or "",
                "hoverinfo": "text" if allowed else "skip",
                "showlegend": False,
                "name": name,
            }
        )
        centres.append((province, allowed, text, fill))
    traces.extend(_approximate(map_version))
    clickable_centres = [c for c in centres if c[1]]
    traces.append(
        _labels(
            [p for p, *_ in clickable_centres],
            mode="markers+text",
            textposition="top center",
            textfont={"size": 10, "color": "#222", "shadow": "auto"},  # legible on dark fills
            customdata=[p["code"] for p, *_ in clickable_centres],
            hovertext=[t for _, _, t, _ in clickable_centres],
            hovertemplate="%{hovertext}<br>(cliquer pour filtrer)<extra></extra>",
            marker={
                "size": 11,
                "color": [f for *_, f in clickable_centres],
                "line": {"color": "#333333", "width": 1},
            },
            name="provinces",
        )
    )
    others = [p for p, allowed, *_ in centres if not allowed]
    if others:
        traces.append(
            _labels(others, mode="text", textfont={"size": 9, "color": "#888"}, hoverinfo="skip")
        )
    traces.append(_colour_bar(measure, low, high, provinces_of(map_version)[0]["centre"]))
    return _layout(traces, data, map_version)


def _labels(provinces: list[dict], **props) -> dict:
    """A trace of the provinces' names at their centres (markers to click, or text only)."""
    return {
        "type": "scatter",
        "x": [p["centre"][0] for p in provinces],
        "y": [p["centre"][1] for p in provinces],
        "text": [p["name"] for p in provinces],
        "showlegend": False,
        **props,
    }


def _approximate(map_version: str) -> list[dict]:
    """Dotted outlines of the old communes split between 2025 provinces."""
    names = {p["code"]: p["name"] for p in provinces_of(map_version)}
    traces = []
    for part in geometry()["maps"][map_version]["approximate"]:
        others = ", ".join(names.get(code, code) for code in part["shared_with"])
        traces.append(
            {
                "type": "scatter",
                "x": part["lon"],
                "y": part["lat"],
                "mode": "lines",
                "line": {"color": "#333333", "width": 1.5, "dash": "dot"},
                "name": "Limite approximative (ancienne commune partagée)",
                "text": f"Ancienne commune de {part['commune']} : partagée entre "
                f"{names.get(part['drawn_in'], part['drawn_in'])} et {others}, "
                f"dessinée dans {names.get(part['drawn_in'], part['drawn_in'])} : "
                "limite approximative",
                "hoverinfo": "text",
                "showlegend": True,
            }
        )
    return traces


def _colour_bar(measure: Measure, low: float, high: float, centre: list[float]) -> dict:
    """An invisible trace carrying the colour scale and its bar."""
    return {
        "type": "scatter",
        "x": [centre[0], centre[0]],
        "y": [centre[1], centre[1]],
        "mode": "markers",
        "marker": {
            "size": 0,
            "opacity": 0,
            "color": [low, high],
            "cmin": low,
            "cmax": high,
            "colorscale": [list(step) for step in measure.colorscale],
            "showscale": True,
            "colorbar": {
                "title": {"text": measure.label, "side": "right"},
                "tickformat": measure.tickformat,
                "thickness": 12,
                "len": 0.8,
            },
        },
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _note(text: str, shift: int, colour: str) -> dict:
    """A line of small text under the map (the credit, the approximate boundaries)."""
    return {
        "text": text,
        "showarrow": False,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 0,
        "xanchor": "left",
        "yanchor": "top",
        "yshift": shift,
        "font": {"size": 9, "color": colour},
    }


def _layout(traces: list[dict], data: dict, map_version: str) -> dict:
    west, south, east, north = data["bounds"]
    middle = (south + north) / 2
    pad = 0.03
    annotations = [_note(data["credit"], -4, "#777")]
    if data["maps"][map_version]["approximate"]:
        communes = ", ".join(p["commune"] for p in data["maps"][map_version]["approximate"])
        annotations.append(
            _note(
                f"Pointillés : limite approximative (ancienne commune partagée : {communes})",
                -18,
                "#555",
            )
        )
    return figure(
        traces,
        money_axis=None,
        height=440,
        margin={"l": 0, "r": 0, "t": 30, "b": 44},
        xaxis={"visible": False, "fixedrange": True, "range": [west - pad, east + pad]},
        yaxis={
            "visible": False,
            "fixedrange": True,
            "rangemode": "normal",
            "range": [south - pad, north + pad],
            "scaleanchor": "x",
            # A degree of longitude is cos(latitude) times a degree of latitude.
            "scaleratio": 1 / math.cos(math.radians(middle)),
        },
        hovermode="closest",
        dragmode=False,
        annotations=annotations,
    )


def _codes() -> dict[int, str]:
    return dict(read_session().execute(select(m.Province.id, m.Province.code)).all())


def drawer(measure: Measure) -> Callable[[pd.DataFrame, object], dict]:
    """A Chart.draw: the frame's ``province_id`` rows coloured by ``measure.column``, for the
    signed-in user (their pickable provinces clickable, the others grey)."""

    def draw(frame: pd.DataFrame, filters) -> dict:
        codes = _codes()
        values = {
            codes[int(pid)]: (None if value is None else float(value))
            for pid, value in zip(frame["province_id"], frame[measure.column], strict=True)
            if pid == pid and pid is not None and int(pid) in codes
        }
        allowed = None
        scope = current_scope()
        if not scope.national:
            allowed = {
                area.code for area in pickable_provinces(read_session(), scope, filters.map_version)
            }
        return province_map(
            filters.map_version,
            values,
            measure,
            clickable=allowed,
            selected=filters.province_code,
        )

    return draw


NOTE = (
    "Cliquez sur une province pour filtrer la page (un second clic enlève le filtre). "
    "Sur la carte de 2025, les limites suivent les anciennes communes."
)


def map_chart(key: str, slug: str, title: str, load, export, measure: Measure) -> Chart:
    """The map chart of a page, drawn from the page's « by province » data function."""
    if not key.endswith(SUFFIX):
        raise ValueError(f"a map chart's key ends with {SUFFIX}")
    return Chart(key, slug, title, load, drawer(measure), export, note=NOTE)


def clicked_code(click, map_version: str) -> str | None:
    """The province code a map click names (a centre's marker, or a province's area)."""
    if map_version not in MAPS or not isinstance(click, dict):
        return None
    points = click.get("points")
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        return None
    point = points[0]
    if isinstance(point.get("customdata"), str):
        return point["customdata"]
    number = point.get("curveNumber")
    provinces = provinces_of(map_version)
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number < len(provinces):
        return provinces[number]["code"]
    return None


@dashboard_callback(
    None,
    Output("f-province", "value", allow_duplicate=True),
    Input({"type": FIGURE, "cle": ALL}, "clickData"),
    State("f-carte", "value"),
    State("f-province", "value"),
    prevent_initial_call=True,
)
def province_clicked(clicks, map_version, current):
    """A click on a map sets the province filter (again on the same province: clears it);
    only to a province the user may pick."""
    trigger = ctx.triggered_id
    if not (isinstance(trigger, dict) and str(trigger.get("cle", "")).endswith(SUFFIX)):
        raise PreventUpdate
    click = ctx.triggered[0].get("value") if ctx.triggered else None
    code = clicked_code(click, map_version)
    if code is None:
        raise PreventUpdate
    allowed = {
        area.code for area in pickable_provinces(read_session(), current_scope(), map_version)
    }
    if code not in allowed:
        raise PreventUpdate
    return None if code == current else code


__all__ = ["Measure", "map_chart", "province_clicked", "province_map"]
