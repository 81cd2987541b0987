"""The dashboards' components: page frame, shared filter bar, chart cards, tables, cards."""

from __future__ import annotations

from dash import dcc, html
from sqlalchemy import select

from console import models as m
from console.database import read_session
from console.formatting import format_datetime
from console.security.scoping import ProvinceScope, apply_scope
from console.services.areas import pickable_provinces
from console.services.facts import latest_refresh
from console.services.periods import month_value

from .catalogue import DASHBOARDS, Dashboard
from .charts import CARDS, GRAPH, TABLE, Chart, charts_of, may_open, may_see
from .figures import month_label
from .filters import GRAINS, INCLUDE_PARTIAL, UNSOLD_DAYS, DataBounds, Filters

GRAPH_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
DROPDOWN_LABELS = {
    "select_all": "Tout sélectionner",
    "deselect_all": "Tout désélectionner",
    "search": "Rechercher",
    "clear_search": "Effacer la recherche",
    "clear_selection": "Effacer",
    "no_options_found": "Aucun résultat",
}
# Page controls beyond the shared filters, by dashboard; ids are {"type": "reglage", "name": …}.
PAGE_CONTROLS = {"ventes": ("grain",), "mevente": ("jours", "encours")}
COOPERATIVE_OPTIONS_LIMIT = 30
# The parts one callback fills for every chart on the page (ids {"type": part, "cle": key}):
# a graph's figure, or a table's (or cards') body and its message line.
FIGURE, BODY, MESSAGE = "graphique", "contenu", "message"


def control_id(name: str) -> dict:
    return {"type": "reglage", "name": name}


def part_id(part: str, key: str) -> dict:
    """The id of one part (FIGURE, BODY, MESSAGE) of chart ``key``."""
    return {"type": part, "cle": key}


def app_shell() -> html.Div:
    """The Dash layout: the location (pathname + filters), one download, the page."""
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Download(id="telechargement"),
            html.Div(id="page", className="isoko-dash"),
        ]
    )


def tabs(current: Dashboard | None) -> html.Ul:
    """Links to the dashboards the user may open."""
    items = []
    for dashboard in DASHBOARDS:
        if not may_open(dashboard.slug):
            continue
        items.append(
            html.Li(
                html.A(dashboard.title, href=dashboard.path),
                className="active" if current and current.slug == dashboard.slug else "",
            )
        )
    return html.Ul(items, className="nav nav-tabs isoko-dash-tabs")


def freshness() -> str:
    """When the aggregates were last refreshed, in Bujumbura time."""
    run = latest_refresh(read_session())
    if run is None:
        return "Données agrégées pas encore calculées (commande : isoko refresh-facts)."
    return f"Données actualisées le {format_datetime(run.finished_at)} (heure de Bujumbura)."


def landing() -> html.Div:
    """/dashboards/: a card per dashboard the user may open."""
    cards = [
        html.Div(
            html.A(
                html.Div(
                    [
                        html.Div(d.title, className="isoko-card-value"),
                        html.Div(d.summary, className="isoko-card-note"),
                    ],
                    className="isoko-card",
                ),
                href=d.path,
                className="isoko-dash-link",
            ),
            className="col-sm-6",
        )
        for d in DASHBOARDS
        if may_open(d.slug)
    ]
    body = cards or [html.P("Votre rôle ne donne accès à aucun tableau de bord.")]
    return html.Div(
        [
            html.H2("Tableaux de bord"),
            html.P(freshness(), className="text-muted"),
            html.Div(body, className="row isoko-cards"),
        ]
    )


def not_found() -> html.Div:
    return html.Div(
        [
            html.H2("Page introuvable"),
            html.P("Ce tableau de bord n'existe pas ou vous n'y avez pas accès."),
            html.A("Tous les tableaux de bord", href="/dashboards/"),
        ]
    )


def month_options(bounds: DataBounds) -> list[dict]:
    return [{"label": month_label(day), "value": month_value(day)} for day in bounds.months()]


def province_options(scope: ProvinceScope, map_version: str) -> list[dict]:
    """The provinces of the chosen map the user may filter on, by code."""
    return [
        {"label": area.name, "value": area.code}
        for area in pickable_provinces(read_session(), scope, map_version)
    ]


def value_chain_options() -> list[dict]:
    rows = read_session().execute(
        select(m.ValueChain.id, m.ValueChain.name).order_by(m.ValueChain.name)
    )
    return [{"label": name, "value": vid} for vid, name in rows]


def cooperative_options(
    scope: ProvinceScope, search: str | None, selected: int | None
) -> list[dict]:
    """Up to 30 cooperatives of the scope whose name contains ``search``, plus the selected one."""
    stmt = select(m.Cooperative.id, m.Cooperative.name).order_by(m.Cooperative.name)
    if search:
        pattern = "%" + search.strip().replace("%", "").replace("_", "")[:60].lower() + "%"
        stmt = stmt.where(m.Cooperative.name.ilike(pattern))
    rows = list(
        read_session().execute(
            apply_scope(stmt.limit(COOPERATIVE_OPTIONS_LIMIT), m.Cooperative, scope)
        )
    )
    if selected is not None and selected not in {r[0] for r in rows}:
        chosen = apply_scope(
            select(m.Cooperative.id, m.Cooperative.name).where(m.Cooperative.id == selected),
            m.Cooperative,
            scope,
        )
        rows = list(read_session().execute(chosen)) + rows
    return [{"label": name, "value": cid} for cid, name in rows]


def _field(label: str, component) -> html.Div:
    return html.Div([html.Label(label), component], className="isoko-filter")


def filter_bar(slug: str, filters: Filters, bounds: DataBounds, scope: ProvinceScope) -> html.Div:
    """Period, map, province, value chain, cooperative, and the page's own controls."""
    months = month_options(bounds)
    national = scope.national
    fields = [
        _field(
            "Du",
            dcc.Dropdown(
                id="f-du",
                options=months,
                value=month_value(filters.start),
                clearable=False,
                labels=DROPDOWN_LABELS,
            ),
        ),
        _field(
            "Au",
            dcc.Dropdown(
                id="f-au",
                options=months,
                value=month_value(filters.end),
                clearable=False,
                labels=DROPDOWN_LABELS,
            ),
        ),
        _field(
            "Carte",
            dcc.RadioItems(
                id="f-carte",
                options=[
                    {"label": " 2015 (18 provinces)", "value": "2015"},
                    {"label": " 2025 (5 provinces)", "value": "2025"},
                ],
                value=filters.map_version,
                inline=False,
                className="isoko-radio",
            ),
        ),
        _field(
            "Province",
            dcc.Dropdown(
                id="f-province",
                options=province_options(scope, filters.map_version),
                value=filters.province_code,
                labels=DROPDOWN_LABELS,
                placeholder="Toutes les provinces" if national else "Toutes mes provinces",
            ),
        ),
        _field(
            "Filière",
            dcc.Dropdown(
                id="f-filiere",
                options=value_chain_options(),
                value=filters.value_chain_id,
                placeholder="Toutes les filières",
                labels=DROPDOWN_LABELS,
            ),
        ),
        _field(
            "Coopérative",
            dcc.Dropdown(
                id="f-cooperative",
                options=cooperative_options(scope, None, filters.cooperative_id),
                value=filters.cooperative_id,
                placeholder="Toutes (tapez pour chercher)",
                labels=DROPDOWN_LABELS,
            ),
        ),
    ]
    for name in PAGE_CONTROLS.get(slug, ()):
        if name == "grain":
            fields.append(
                _field(
                    "Regrouper par",
                    dcc.RadioItems(
                        id=control_id("grain"),
                        options=[
                            {"label": f" {label}", "value": value}
                            for value, label in GRAINS.items()
                        ],
                        value=filters.grain,
                        className="isoko-radio",
                    ),
                )
            )
        elif name == "jours":
            fields.append(
                _field(
                    "Invendue après",
                    dcc.Dropdown(
                        id=control_id("jours"),
                        options=[{"label": f"{d} jours", "value": d} for d in UNSOLD_DAYS],
                        value=filters.days,
                        clearable=False,
                        labels=DROPDOWN_LABELS,
                    ),
                )
            )
        elif name == "encours":
            fields.append(
                _field(
                    "Tendances",
                    dcc.Checklist(
                        id=control_id("encours"),
                        options=[
                            {
                                "label": " Inclure le mois en cours (incomplet)",
                                "value": INCLUDE_PARTIAL,
                            }
                        ],
                        value=[INCLUDE_PARTIAL] if filters.include_partial else [],
                        className="isoko-radio",
                    ),
                )
            )
    return html.Div(fields, className="isoko-filters")


def chart_card(chart: Chart) -> html.Div:
    """A chart's frame: title, exports, then the graph, table or cards."""
    exports = []
    if chart.export is not None:
        exports = [
            html.Button(
                "CSV",
                id={"type": "export", "chart": chart.key, "format": "csv"},
                className="btn btn-default btn-xs",
                title="Télécharger les données (CSV)",
            ),
            html.Button(
                "Excel",
                id={"type": "export", "chart": chart.key, "format": "xlsx"},
                className="btn btn-default btn-xs",
                title="Télécharger les données (Excel)",
            ),
        ]
    if chart.kind == GRAPH:
        parts = dcc.Graph(id=part_id(FIGURE, chart.key), config=GRAPH_CONFIG)
    else:
        parts = [
            html.Div(id=part_id(BODY, chart.key)),
            html.Div(id=part_id(MESSAGE, chart.key), className="text-muted"),
        ]
    # The plain id names the chart on the page (links, styles, browser tests).
    body = html.Div(dcc.Loading(parts, type="dot", color="#1e5631"), id=chart.key)
    head = [html.H4(chart.title), html.Div(exports, className="isoko-chart-exports")]
    children = [html.Div(head, className="isoko-chart-head")]
    if chart.note:
        children.append(html.P(chart.note, className="isoko-chart-note"))
    children.append(body)
    css = "isoko-chart" if chart.kind != CARDS else "isoko-chart isoko-chart-cards"
    return html.Div(html.Div(children, className=css), className=f"col-md-{chart.width}")


def dashboard_page(
    dashboard: Dashboard,
    filters: Filters,
    bounds: DataBounds,
    scope: ProvinceScope,
    messages: list[str],
) -> html.Div:
    """A dashboard: title, tabs, filters, messages, then its charts in rows of 12 columns."""
    rows, row, used = [], [], 0
    for chart in [c for c in charts_of(dashboard.slug) if may_see(c)]:
        if used + chart.width > 12:
            rows.append(html.Div(row, className="row"))
            row, used = [], 0
        row.append(chart_card(chart))
        used += chart.width
    if row:
        rows.append(html.Div(row, className="row"))
    return html.Div(
        [
            html.H2(dashboard.title),
            html.P(freshness(), className="text-muted isoko-freshness"),
            tabs(dashboard),
            filter_bar(dashboard.slug, filters, bounds, scope),
            html.Div(
                [html.Div(text, className="alert alert-warning") for text in messages],
                id="filtres-message",
            ),
            *rows,
        ]
    )


def _node(tag: str, children=None, **props) -> dict:
    """An html component as the JSON Dash sends: large tables skip the component classes,
    whose per-instance validation costs more than the query behind the table."""
    if children is not None:
        props["children"] = children
    return {"type": tag, "namespace": "dash_html_components", "props": props}


def table(chart: Chart, rows: list[dict]) -> dict | str:
    """Table rows (already formatted in French) as a Bootstrap table."""
    if not rows:
        return ""
    header = _node("Thead", _node("Tr", [_node("Th", label) for _, label in chart.table_columns]))
    body = []
    for row in rows:
        cells = []
        for field, _ in chart.table_columns:
            value = row.get(field, "")
            if field == "action" and isinstance(value, dict):
                value = _node(
                    "Button", value["label"], id=value["id"], className="btn btn-link btn-xs"
                )
            cells.append(_node("Td", value))
        body.append(_node("Tr", cells))
    table_node = _node(
        "Table",
        [header, _node("Tbody", body)],
        className="table table-condensed table-striped isoko-table",
    )
    return _node("Div", table_node, className="isoko-table-wrap")


def cards(items: list[tuple[str, str, str]]) -> html.Div:
    """Key figures (label, value, note) as the home page's cards."""
    return html.Div(
        [
            html.Div(
                html.Div(
                    [
                        html.Div(label, className="isoko-card-label"),
                        html.Div(value, className="isoko-card-value"),
                        html.Div(note, className="isoko-card-note"),
                    ],
                    className="isoko-card",
                ),
                className="col-sm-3",
            )
            for label, value, note in items
        ],
        className="row isoko-cards",
    )


__all__ = ["TABLE", "app_shell", "cards", "dashboard_page", "landing", "not_found", "table"]
