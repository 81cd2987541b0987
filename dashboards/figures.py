"""Plotly figures in the console's look: French number format, francs, sober colours.

Figures are plain dicts ({"data": [...], "layout": {...}}), which Dash serialises as
is: building plotly.graph_objects validates every property and costs more than the
query behind the chart.
"""

from __future__ import annotations

import datetime as dt
import re

from console.services.money import format_francs
from console.services.periods import (
    MONTH,
    PARTIAL_NOTE,
    as_date,
    is_complete,
    period_of,
    week_of,
)

GREEN = "#1e5631"
RED = "#c8102e"
PALETTE = [
    GREEN,
    "#d4a017",
    "#2f7fb5",
    RED,
    "#7a5195",
    "#8aa29e",
    "#ef8a62",
    "#4d4d4d",
    "#66a61e",
    "#a6761d",
    "#1b9e77",
    "#e7298a",
]
SHORT_MONTHS = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
GRID = "#eef2ef"
NO_DATA = "Aucune donnée pour ces filtres."
# The toolbar (modebar) shows at the top right of a chart: the plot and the legend start
# below this strip, so the toolbar covers neither.
TOOLBAR_PX = 30
MARGIN = {"l": 10, "r": 10, "t": TOOLBAR_PX, "b": 10}
# Every axis, the right-hand ones too: room for its labels and title (no clipping).
AXIS = {"gridcolor": GRID, "automargin": True}
# An axis of names (provinces, value chains, months): every name shown, horizontal when
# they fit, else angled; never skipped or overlapping.
CATEGORY_AXIS = {
    "type": "category",
    "tickmode": "linear",
    "tick0": 0,
    "dtick": 1,
    "autotickangles": [0, -45, -90],
}


def month_label(day: dt.date) -> str:
    """``janv. 2024``."""
    return f"{SHORT_MONTHS[day.month - 1]} {day.year}"


def plain(values) -> list:
    """A column as a JSON-friendly list (numpy and pandas scalars unwrapped)."""
    if hasattr(values, "tolist"):
        return values.tolist()
    return [v.item() if hasattr(v, "item") else v for v in values]


def francs_text(values) -> list[str]:
    """Hover texts ``1 234 567 FBu`` for a column of amounts."""
    return [format_francs(int(v)) for v in values]


def percent_text(values) -> list[str]:
    return ["—" if v is None or v != v else f"{v * 100:.1f} %".replace(".", ",") for v in values]


def _trace(kind: str, x, y, **props) -> dict:
    trace = {"type": kind, "x": plain(x), "y": plain(y)}
    trace.update({key: value for key, value in props.items() if value is not None})
    return trace


def bar(x, y, **props) -> dict:
    """A bar trace (``orientation="h"`` for horizontal bars)."""
    return _trace("bar", x, y, **props)


def line(x, y, **props) -> dict:
    """A line-and-markers trace."""
    return _trace("scatter", x, y, mode=props.pop("mode", "lines+markers"), **props)


def _is_axis(key: str) -> bool:
    return re.fullmatch(r"[xy]axis\d*", key) is not None


def _names(values) -> bool:
    return bool(values) and all(isinstance(v, str) for v in values)


def _category_axes(traces: list[dict]) -> set[str]:
    """The axes on which the traces place names: x for columns, y for horizontal bars."""
    found = set()
    for trace in traces:
        names_on = "y" if trace.get("orientation") == "h" else "x"
        if _names(trace.get(names_on)):
            suffix = trace.get(f"{names_on}axis", names_on)[1:]
            found.add(f"{names_on}axis{suffix}")
    return found


def figure(
    traces: list[dict], *, money_axis: str | None = "y", height: int = 340, **layout
) -> dict:
    """A figure with French separators (1 234 567,5), console colours, compact margins.

    Layout shared by every chart: every axis (right-hand ones too) makes room for its labels
    and title, axes of names show every name (angled when they do not fit), and the legend
    and plot start below the toolbar's strip.
    """
    base = {
        "separators": ", ",
        "colorway": PALETTE,
        "height": height,
        "margin": dict(MARGIN),
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {
            "family": "Helvetica Neue, Helvetica, Arial, sans-serif",
            "size": 12,
            "color": "#333",
        },
        # Under the toolbar's strip, from the left: it pushes the plot down as it needs.
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 1 - TOOLBAR_PX / height,
            "yanchor": "top",
        },
        "hoverlabel": {"namelength": -1},
        "xaxis": dict(AXIS),
        "yaxis": {**AXIS, "rangemode": "tozero"},
    }
    for axis in _category_axes(traces):
        # Unless the page makes it another type (dates given as text): a dtick of 1 on a
        # date axis would ask Plotly for a tick every millisecond.
        if layout.get(axis, {}).get("type", "category") == "category":
            base[axis] = {**base.get(axis, AXIS), **CATEGORY_AXIS}
    if money_axis in ("x", "y"):
        base[f"{money_axis}axis"].update(tickformat=",.0f", ticksuffix=" FBu")
    for key, value in layout.items():
        if _is_axis(key) and isinstance(value, dict):
            base[key] = {**base.get(key, AXIS), **value}
        elif key == "margin":
            # A page's margins, never over the toolbar's strip.
            base[key] = {**MARGIN, **value, "t": max(value.get("t", 0), TOOLBAR_PX)}
        else:
            base[key] = value
    return {"data": traces, "layout": base}


def message_figure(message: str) -> dict:
    """An empty chart carrying a French message (no data, or a refused filter)."""
    return figure(
        [],
        money_axis=None,
        height=200,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message,
                "showarrow": False,
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "font": {"size": 14, "color": "#777"},
            }
        ],
    )


PARTIAL_GREY = "#777777"


def current_x(days, *, weekly: bool = False, today: dt.date | None = None) -> set[str]:
    """The x values (as the charts write them) of the periods still under way (periods.py
    decides): ``month_label`` of a month, the ISO date of a week's Monday."""
    found = set()
    for value in days:
        day = as_date(value)
        period = week_of(day) if weekly else period_of(day, MONTH)
        if not is_complete(period, today):
            found.add(day.isoformat() if weekly else month_label(day))
    return found


def _part(trace: dict, keep: list[int]) -> dict:
    """The trace's points at the indices ``keep`` (per-point arrays cut alike)."""
    cut = dict(trace)
    for key in ("x", "y", "customdata", "text"):
        if isinstance(trace.get(key), list):
            cut[key] = [trace[key][i] for i in keep]
    return cut


def mark_partial(fig: dict, partial: set[str]) -> dict:
    """Draw the periods still under way as incomplete: hatched, lighter bars; a line that
    stops at the last complete period and reaches the current one dashed; a legend note."""
    if not partial:
        return fig
    traces = []
    for trace in fig["data"]:
        flags = [x in partial for x in trace.get("x") or []]
        if not any(flags):
            traces.append(trace)
        elif trace.get("type") == "bar":
            marker = dict(trace.get("marker") or {})
            marker["pattern"] = {
                "shape": ["/" if f else "" for f in flags],
                "fgcolor": PARTIAL_GREY,
                "solidity": 0.4,
            }
            marker["opacity"] = [0.5 if f else 1 for f in flags]
            traces.append({**trace, "marker": marker})
        else:
            first = flags.index(True)
            solid = {
                **trace,
                "y": [None if f else y for f, y in zip(flags, trace["y"], strict=True)],
            }
            dashed = _part(trace, list(range(max(first - 1, 0), len(flags))))
            dashed["line"] = {**(trace.get("line") or {}), "dash": "dash"}
            dashed["showlegend"] = False
            traces += [solid, dashed]
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": [None],
            "y": [None],
            "name": PARTIAL_NOTE,
            "line": {"color": PARTIAL_GREY, "dash": "dash"},
            "hoverinfo": "skip",
        }
    )
    return {**fig, "data": traces}
