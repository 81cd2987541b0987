"""Charts as data: what each loads, how it draws, how it exports; and the one code path
every chart callback and download goes through (permission, filters, scope, cache).

A chart's ``load(session, scope, filters, facts)`` reads the aggregate tables ``facts``
names (data.sources: the app's DASHBOARD_FACTS; loads reading only records ignore it),
always through console.security.scoping; its ``draw(frame, filters)`` builds the figure
(or the table rows) from that frame; ``export(frame)`` names the columns in French.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pandas as pd
from flask import current_app
from werkzeug.exceptions import NotFound

from console.database import read_session
from console.security.scoping import NATIONAL, ProvinceScope, current_scope

from .cache import DOMAINS, cached
from .catalogue import BY_SLUG, PERMISSION
from .data.sources import FactSource, source_named
from .exports import XLSX_MIME, frame_to_csv, frame_to_xlsx
from .figures import NO_DATA, message_figure
from .filters import DataBounds, Filters, data_bounds, read_filters

GRAPH, TABLE, CARDS = "graph", "table", "cards"
TABLE_ROWS = 100  # rows shown on screen; exports carry them all
FILTER_KEYS = ("du", "au", "carte", "province", "filiere", "cooperative")


@dataclass(frozen=True)
class Chart:
    key: str
    dashboard: str  # slug in catalogue.DASHBOARDS
    title: str
    load: Callable[..., pd.DataFrame]
    draw: Callable[[pd.DataFrame, Filters], object]
    export: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    kind: str = GRAPH
    controls: tuple[str, ...] = ()  # page controls it reads: "grain", "jours"
    width: int = 6  # Bootstrap columns out of 12
    note: str = ""  # how to read it, under the title
    table_columns: tuple[tuple[str, str], ...] = ()  # (field, French header) for tables
    # Read live, not cached: for small frames that change outside the aggregate refresh.
    live: bool = False
    # A permission the chart needs beyond its dashboard's, e.g. ("can_read", "LeakageFlagView").
    extra_permission: tuple[str, str] | None = None
    # For tables whose screen shows the first rows only (a "total" column counts them all):
    # what the export reads instead.
    load_all: Callable[..., pd.DataFrame] | None = None


CHARTS: dict[str, Chart] = {}


def register(chart: Chart) -> Chart:
    """Add a chart to the registry (its page module calls this at import)."""
    CHARTS[chart.key] = chart
    return chart


def charts_of(slug: str) -> list[Chart]:
    return [chart for chart in CHARTS.values() if chart.dashboard == slug]


def may_open(slug: str) -> bool:
    """Whether the signed-in user's role may open the dashboard (roles policy)."""
    dashboard = BY_SLUG.get(slug)
    return dashboard is not None and current_app.appbuilder.sm.has_access(
        PERMISSION, dashboard.resource
    )


def may_see(chart: Chart) -> bool:
    """Whether the user may see this chart: its dashboard, and its extra permission."""
    if not may_open(chart.dashboard):
        return False
    return chart.extra_permission is None or current_app.appbuilder.sm.has_access(
        *chart.extra_permission
    )


def require_dashboard(slug: str) -> None:
    """404 unless the user may open the dashboard (as for another province's record)."""
    if not may_open(slug):
        raise NotFound("Tableau de bord introuvable ou non autorisé.")


def bounds() -> DataBounds:
    """Months holding data (national: they only bound the month pickers)."""
    session = read_session()
    return cached("bounds", NATIONAL, "", session, lambda: data_bounds(session), ("ventes",))


def reads(load: Callable) -> tuple[str, ...]:
    """The data domains (cache.DOMAINS) a data function reads: its module's READS, or all."""
    return getattr(sys.modules.get(load.__module__), "READS", DOMAINS)


@dataclass(frozen=True)
class ChartData:
    """A chart's validated filters, its frame, and the French messages to show."""

    filters: Filters
    frame: pd.DataFrame | None
    messages: tuple[str, ...]
    refused: bool = False


def chart_data(
    key: str, values: dict, scope: ProvinceScope | None = None, *, every_row: bool = False
) -> ChartData:
    """Check permission, parse and scope-check the filters, then load (cached) the frame;
    ``every_row``: the frame an export needs (``load_all`` when the screen shows a part)."""
    chart = CHARTS.get(key)
    if chart is None:
        raise NotFound("Graphique inconnu.")
    require_dashboard(chart.dashboard)
    if not may_see(chart):
        raise NotFound("Graphique non autorisé pour votre rôle.")
    scope = scope if scope is not None else current_scope()
    session = read_session()
    filters, errors, problem = read_filters(session, scope, values, bounds())
    if problem:
        return ChartData(filters, None, (*errors, problem), refused=True)
    load = chart.load_all if every_row and chart.load_all is not None else chart.load
    facts = app_facts()
    if chart.live:
        frame = load(session, scope, filters, facts)
    else:
        # Keyed by the data function: charts drawing the same frame share one entry.
        name = f"{load.__module__}.{load.__qualname__}|{facts.name}"
        frame = cached(
            name,
            scope,
            filters.cache_key,
            session,
            lambda: load(session, scope, filters, facts),
            domains=reads(load),
        )
    return ChartData(filters, frame, tuple(errors))


def app_facts() -> FactSource:
    """The source this app's dashboards read (DASHBOARD_FACTS: the aggregates in the console)."""
    return source_named(current_app.config["DASHBOARD_FACTS"])


def chart_output(key: str, values: dict, scope: ProvinceScope | None = None):
    """What the chart's callback returns: a figure, table rows and a message, or cards."""
    data = chart_data(key, values, scope)
    chart = CHARTS[key]
    empty = data.frame is None or data.frame.empty
    if chart.kind == GRAPH:
        if data.refused:
            return message_figure(data.messages[-1])
        return message_figure(NO_DATA) if empty else chart.draw(data.frame, data.filters)
    if data.refused:
        return [], data.messages[-1]
    if chart.kind == CARDS:
        return chart.draw(data.frame, data.filters), ""
    rows = [] if empty else chart.draw(data.frame.head(TABLE_ROWS), data.filters)
    if not rows:
        return rows, NO_DATA
    if len(data.frame) > len(rows):
        return (
            rows,
            f"{len(data.frame)} lignes au total : les {len(rows)} premières sont affichées, toutes sont dans l'export.",
        )
    return rows, ""


def chart_download(
    key: str, file_format: str, values: dict, scope: ProvinceScope | None = None
) -> dict:
    """The dcc.Download payload of a chart's data, as CSV or XLSX."""
    chart = CHARTS.get(key)
    if chart is None or chart.export is None or file_format not in ("csv", "xlsx"):
        raise NotFound("Export inconnu.")
    data = chart_data(key, values, scope, every_row=True)
    frame = pd.DataFrame() if data.refused or data.frame is None else chart.export(data.frame)
    stem = export_stem(chart.key, data.filters)
    if file_format == "csv":
        content = frame_to_csv(frame)
        return {
            "content": _b64(content),
            "filename": f"{stem}.csv",
            "type": "text/csv",
            "base64": True,
        }
    content = frame_to_xlsx(frame, chart.title, filters_described(chart, data, scope))
    return {"content": _b64(content), "filename": f"{stem}.xlsx", "type": XLSX_MIME, "base64": True}


def export_stem(key: str, filters: Filters) -> str:
    """An export's file name without extension: the chart and its filters as the URL names
    them (codes, e.g. ``ventes-evolution_du-2024-07_..._filiere-cafe``), safe on any disk."""
    pairs = parse_qsl(filters.query_string())
    text = "_".join([key, *(f"{name}-{value}" for name, value in pairs)])
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:120]


def _b64(content: bytes) -> str:
    import base64

    return base64.b64encode(content).decode("ascii")


def filters_described(
    chart: Chart, data: ChartData, scope: ProvinceScope | None = None
) -> list[tuple[str, str]]:
    """What an export covers, as (label, value) rows for its « Filtres » sheet."""
    from console.formatting import format_datetime
    from console.models import MapVersion

    from .data.common import names
    from .figures import month_label
    from .filters import GRAINS

    scope = scope if scope is not None else current_scope()
    filters = data.filters
    labels = names(read_session(), [filters.cooperative_id] if filters.cooperative_id else [])
    if scope.national:
        perimeter = "National (toutes les provinces)"
    else:
        on_map = [
            pid for pid in scope.province_ids if labels.province_map.get(pid) == filters.map_version
        ]
        provinces = sorted(labels.province(pid) for pid in (on_map or scope.province_ids))
        perimeter = "Provinces : " + ", ".join(provinces)
    everything = "Toutes"
    rows = [
        ("Tableau de bord", BY_SLUG[chart.dashboard].title),
        ("Graphique", chart.title),
        ("Périmètre", perimeter),
        ("Période", f"{month_label(filters.start)} – {month_label(filters.end)}"),
        ("Carte", MapVersion(filters.map_version).label),
        (
            "Province",
            labels.province(filters.province_id) if filters.province_id else everything,
        ),
        (
            "Filière",
            labels.value_chains.get(filters.value_chain_id, "—")
            if filters.value_chain_id
            else everything,
        ),
        (
            "Coopérative",
            labels.sellers.get(filters.cooperative_id, "—")
            if filters.cooperative_id
            else everything,
        ),
    ]
    if "grain" in chart.controls:
        rows.append(("Regroupement", GRAINS.get(filters.grain, filters.grain)))
    if "jours" in chart.controls:
        rows.append(("Invendue après", f"{filters.days} jours"))
    if data.refused:
        rows.append(("Refusé", data.messages[-1]))
    rows.append(("Lien", f"{BY_SLUG[chart.dashboard].path}?{filters.query_string()}"))
    rows.append(("Exporté le", format_datetime(dt.datetime.now(dt.UTC))))
    return rows
