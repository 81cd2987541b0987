"""The layout every chart shares (dashboards/figures.py): axes that make room for their labels
(right-hand ones too), names never skipped, the legend and plot below the toolbar's strip.

The browser test (test_browser_dashboards) checks the same on the drawn charts; this one
walks every chart of every dashboard as its callback returns it."""

from __future__ import annotations

import re

from dashboards.figures import CATEGORY_AXIS, TOOLBAR_PX, bar, figure, line

from . import dashboards_support as support
from .dashboards_support import signed_in

seeded = support.seeded


def _axes(layout: dict) -> dict:
    return {k: v for k, v in layout.items() if re.fullmatch(r"[xy]axis\d*", k)}


def test_a_right_hand_axis_makes_room_for_its_labels_and_title():
    fig = figure(
        [bar(["janv. 2025"], [10]), line(["janv. 2025"], [3], yaxis="y2")],
        yaxis2={"overlaying": "y", "side": "right", "title": {"text": "commandes"}},
    )
    layout = fig["layout"]
    assert layout["yaxis2"]["automargin"] is True
    assert layout["yaxis2"]["title"] == {"text": "commandes"}  # the page's settings are kept
    assert layout["margin"]["t"] >= TOOLBAR_PX


def test_names_on_an_axis_are_all_shown_columns_or_horizontal_bars():
    provinces = ["Bujumbura Mairie", "Bujumbura Rural", "Gitega", "Ngozi"]
    columns = figure([bar(provinces, [1, 2, 3, 4])])["layout"]
    assert {k: columns["xaxis"][k] for k in CATEGORY_AXIS} == CATEGORY_AXIS
    assert columns["xaxis"]["autotickangles"][0] == 0  # horizontal when they fit
    rows = figure([bar([1, 2, 3, 4], provinces, orientation="h")], money_axis="x")["layout"]
    assert rows["yaxis"]["dtick"] == 1 and "dtick" not in rows["xaxis"]
    numbers = figure([line([1, 2], [3, 4])])["layout"]
    assert "dtick" not in numbers["xaxis"]


def test_every_chart_keeps_its_axes_in_the_figure_and_its_legend_under_the_toolbar(seeded):
    from dashboards.charts import CHARTS, GRAPH, chart_output

    values = {"du": "2024-07", "au": "2025-06", "carte": "2015"}
    drawn = 0
    with signed_in(seeded, "ministere.dash"):
        for key, chart in CHARTS.items():
            if chart.kind != GRAPH:
                continue
            layout = chart_output(key, values)["layout"]
            drawn += 1
            for name, axis in _axes(layout).items():
                assert axis.get("automargin") is True, (key, name)
            assert layout["margin"]["t"] >= TOOLBAR_PX, key
            legend = layout["legend"]
            assert legend["yref"] == "container" and legend["yanchor"] == "top", key
            # Its top edge sits the toolbar's strip below the top of the chart.
            assert round((1 - legend["y"]) * layout["height"]) == TOOLBAR_PX, key
    assert drawn >= 15


def test_dates_given_as_text_on_a_date_axis_get_no_category_ticks():
    weeks = ["2025-01-06", "2025-01-13", "2025-01-20"]
    layout = figure([bar(weeks, [1, 2, 3])], xaxis={"type": "date"})["layout"]
    assert layout["xaxis"]["type"] == "date" and "dtick" not in layout["xaxis"]
