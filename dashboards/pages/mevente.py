"""Mévente: offered vs sold, sell-through by chain, province and month, stock ageing,
listings unsold after N days, price vs sell-through, and chains whose sell-through falls."""

from __future__ import annotations

import pandas as pd

from console.formatting import format_number, format_quantity
from console.services.mevente.sell_through import DEFINITION as SELL_THROUGH_DEFINITION
from console.services.mevente.sell_through import LABEL as SELL_THROUGH_LABEL
from console.services.money import format_francs

from ..charts import CARDS, TABLE, Chart, register
from ..data import mevente
from ..figures import (
    GREEN,
    RED,
    bar,
    current_x,
    figure,
    francs_text,
    line,
    mark_partial,
    month_label,
    percent_text,
    plain,
)
from ..filters import Filters
from ..maps import RED_TO_GREEN, Measure, map_chart

SLUG = "mevente"
RATE_EXPORT = {
    "opening": "Stock au début (FBu)",
    "offered": "Valeur offerte (FBu)",
    "sold": "Valeur vendue (FBu)",
    "listings": "Offres en ligne",
    "unsold": "Offres sans vente",
}
RATE_AXIS = {"tickformat": ".0%", "rangemode": "tozero"}


def _percent(value) -> str:
    return percent_text([value])[0]


def draw_totals(frame: pd.DataFrame, filters: Filters) -> list[tuple[str, str, str]]:
    row = frame.iloc[0]
    return [
        (
            "Valeur offerte",
            format_francs(int(row["offered"])),
            f"publiée sur la période, en plus d'un stock de {format_francs(int(row['opening']))} au début",
        ),
        ("Valeur vendue", format_francs(int(row["sold"])), "ventes des offres pendant la période"),
        (SELL_THROUGH_LABEL, _percent(row["rate"]), SELL_THROUGH_DEFINITION),
        (
            f"Invendues après {filters.days} jours",
            format_number(int(row["unsold_after"])),
            f"offres ouvertes au {filters.reference_day:%d/%m/%Y}",
        ),
    ]


def export_totals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(
        columns={
            **RATE_EXPORT,
            "unsold_after": "Invendues après N jours",
        }
    )


def _rate_export(frame: pd.DataFrame, key: str, label: str) -> pd.DataFrame:
    """A rate table for a spreadsheet: the key column, the rate's terms, the rate."""
    result = frame[[key, *RATE_EXPORT]].rename(columns={key: label, **RATE_EXPORT})
    result[SELL_THROUGH_LABEL] = [None if r is None or r != r else float(r) for r in frame["rate"]]
    return result


def draw_offered_sold(frame: pd.DataFrame, filters: Filters) -> dict:
    x = [month_label(d) for d in frame["month"]]
    traces = [
        bar(
            x,
            frame["offered"],
            name="Offert",
            marker={"color": "#8aa29e"},
            customdata=francs_text(frame["offered"]),
            hovertemplate="Offert<br>%{x}<br>%{customdata}<extra></extra>",
        ),
        bar(
            x,
            frame["sold"],
            name="Vendu",
            marker={"color": GREEN},
            customdata=francs_text(frame["sold"]),
            hovertemplate="Vendu<br>%{x}<br>%{customdata}<extra></extra>",
        ),
        line(
            x,
            _rates(frame["rate"]),
            name=SELL_THROUGH_LABEL,
            yaxis="y2",
            line={"color": RED},
            customdata=percent_text(frame["rate"]),
            hovertemplate="%{x}<br>%{customdata}<extra></extra>",
        ),
    ]
    return mark_partial(
        figure(
            traces,
            barmode="group",
            yaxis2={"overlaying": "y", "side": "right", "showgrid": False, **RATE_AXIS},
        ),
        current_x(frame["month"]),
    )


def _rates(values) -> list:
    """Rates for JSON: None or NaN (nothing on offer) becomes a gap."""
    return [None if v is None or v != v else float(v) for v in values]


def export_offered_sold(frame: pd.DataFrame) -> pd.DataFrame:
    return _rate_export(frame, "month", "Mois")


def _rate_bars(labels, rates, offered) -> dict:
    rates = _rates(rates)
    colors = [RED if r is not None and r < 0.5 else GREEN for r in rates]
    trace = bar(
        rates,
        list(labels),
        orientation="h",
        marker={"color": colors},
        customdata=list(zip(percent_text(rates), francs_text(offered), strict=True)),
        hovertemplate="%{y}<br>%{customdata[0]} de %{customdata[1]} offerts<extra></extra>",
    )
    return figure(
        [trace],
        money_axis=None,
        height=max(260, 28 * len(rates) + 60),
        xaxis={"tickformat": ".0%", "range": [0, 1]},
    )


def draw_by_chain(frame: pd.DataFrame, filters: Filters) -> dict:
    return _rate_bars(frame["value_chain"], frame["rate"], frame["offered"])


def export_by_chain(frame: pd.DataFrame) -> pd.DataFrame:
    return _rate_export(frame, "value_chain", "Filière")


def draw_by_province(frame: pd.DataFrame, filters: Filters) -> dict:
    return _rate_bars(frame["province"], frame["rate"], frame["offered"])


def export_by_province(frame: pd.DataFrame) -> pd.DataFrame:
    return _rate_export(frame, "province", "Province")


def draw_ageing(frame: pd.DataFrame, filters: Filters) -> dict:
    colors = [GREEN, "#66a61e", "#d4a017", "#ef8a62", RED]
    trace = bar(
        frame["age"],
        frame["value"],
        marker={"color": colors[: len(frame)]},
        customdata=list(zip(francs_text(frame["value"]), plain(frame["listings"]), strict=True)),
        hovertemplate="%{x}<br>%{customdata[0]} en %{customdata[1]} offres<extra></extra>",
    )
    return figure([trace])


def export_ageing(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["age", "listings", "value"]].rename(
        columns={
            "age": "Ancienneté",
            "listings": "Offres ouvertes",
            "value": "Valeur restante (FBu)",
        }
    )


def draw_unsold(frame: pd.DataFrame, filters: Filters) -> list[dict]:
    return [
        {
            "seller": row.seller,
            "category": row.category,
            "listed_on": f"{row.listed_on:%d/%m/%Y}",
            "days": format_number(row.days),
            "quantity": format_quantity(row.quantity),
            "price": format_francs(int(row.unit_price)),
            "value": format_francs(int(row.value)),
        }
        for row in frame.itertuples(index=False)
    ]


def export_unsold(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[
        ["seller", "category", "listed_on", "days", "quantity", "unit_price", "value"]
    ].rename(
        columns={
            "seller": "Vendeur",
            "category": "Catégorie",
            "listed_on": "Publiée le",
            "days": "Jours en ligne",
            "quantity": "Quantité offerte",
            "unit_price": "Prix unitaire (FBu)",
            "value": "Valeur (FBu)",
        }
    )


def draw_price(frame: pd.DataFrame, filters: Filters) -> dict:
    bands = [label for _, label in mevente.PRICE_BUCKETS]
    chains = sorted(frame["value_chain"].unique())
    cells = {(row.value_chain, row.price_band): row for row in frame.itertuples(index=False)}
    z, text = [], []
    for chain in chains:
        rates = [
            _rates([cells[(chain, b)].rate])[0] if (chain, b) in cells else None for b in bands
        ]
        z.append(rates)
        text.append([percent_text([r])[0] if r is not None else "" for r in rates])
    trace = {
        "type": "heatmap",
        "x": bands,
        "y": chains,
        "z": z,
        "text": text,
        "texttemplate": "%{text}",
        "zmin": 0,
        "zmax": 1,
        "colorscale": [[0, RED], [0.5, "#f6e7a1"], [1, GREEN]],
        "colorbar": {"tickformat": ".0%", "title": {"text": "part vendue"}},
        "hovertemplate": "%{y}, prix %{x} de la moyenne<br>part vendue : %{text}<extra></extra>",
    }
    return figure(
        [trace],
        money_axis=None,
        height=max(300, 30 * len(chains) + 90),
        xaxis={"title": {"text": "prix affiché / prix moyen de la catégorie"}, "side": "bottom"},
        yaxis={"autorange": "reversed", "rangemode": "normal"},
    )


def export_price(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["value_chain", "price_band", "listings", "offered", "sold", "rate"]].rename(
        columns={
            "value_chain": "Filière",
            "price_band": "Prix / moyenne de la catégorie",
            "listings": "Offres",
            "offered": "Valeur offerte (FBu)",
            "sold": "Valeur vendue à ce jour (FBu)",
            "rate": "Part vendue",
        }
    )


def draw_trend(frame: pd.DataFrame, filters: Filters) -> dict:
    colors = [RED if falling else "#8aa29e" for falling in frame["falling"]]
    trace = bar(
        (frame["change"] / 100).round(4),
        frame["value_chain"],
        orientation="h",
        marker={"color": colors},
        customdata=list(
            zip(
                percent_text(frame["first_rate"] / 100),
                percent_text(frame["last_rate"] / 100),
                strict=True,
            )
        ),
        hovertemplate="%{y}<br>tendance : %{x:+.1%} sur la période<br>"
        "premier mois : %{customdata[0]}, dernier : %{customdata[1]}<extra></extra>",
    )
    return figure(
        [trace],
        money_axis=None,
        height=max(260, 28 * len(frame) + 60),
        xaxis={"tickformat": "+.0%", "zeroline": True, "zerolinecolor": "#999"},
        yaxis={"rangemode": "normal"},
    )


def export_trend(frame: pd.DataFrame) -> pd.DataFrame:
    result = frame[
        ["value_chain", "first_rate", "last_rate", "slope", "change", "months", "falling"]
    ].copy()
    result["falling"] = result["falling"].map(lambda v: "oui" if v else "non")
    for column in ("first_rate", "last_rate", "slope", "change"):
        result[column] = result[column].round(1)
    return result.rename(
        columns={
            "value_chain": "Filière",
            "first_rate": f"{SELL_THROUGH_LABEL} du premier mois (%)",
            "last_rate": f"{SELL_THROUGH_LABEL} du dernier mois (%)",
            "slope": "Tendance (points par mois)",
            "change": "Évolution sur la période (points)",
            "months": "Mois observés",
            "falling": "En baisse",
        }
    )


ALERT_COLUMNS = {
    "value_chain": "Filière",
    "province": "Province",
    "kind_label": "Alerte",
    "status_label": "Statut",
    "first_week": "Depuis la semaine du",
    "last_week": "Dernière semaine",
}


def draw_alerts(frame: pd.DataFrame, filters: Filters) -> list[dict]:
    return [
        {
            "value_chain": row.value_chain,
            "province": row.province,
            "kind_label": row.kind_label,
            "status_label": row.status_label,
            "first_week": f"{row.first_week:%d/%m/%Y}",
            "last_week": f"{row.last_week:%d/%m/%Y}",
        }
        for row in frame.itertuples(index=False)
    ]


def export_alerts(frame: pd.DataFrame) -> pd.DataFrame:
    columns = {
        **ALERT_COLUMNS,
        "observed": "Observé",
        "forecast": "Prévu",
        "threshold": "Seuil",
        "reason": "Explication",
    }
    return frame[list(columns)].rename(columns=columns)


register(
    Chart(
        "mevente-indicateurs",
        SLUG,
        "Chiffres clés",
        mevente.totals,
        draw_totals,
        export_totals,
        kind=CARDS,
        width=12,
        controls=("jours",),
    )
)
register(
    Chart(
        "mevente-alertes",
        SLUG,
        "Alertes de mévente en cours",
        mevente.active_alerts,
        draw_alerts,
        export_alerts,
        kind=TABLE,
        width=12,
        note="Alertes ouvertes ou prises en compte de la dernière actualisation hebdomadaire "
        "(détail et prise en compte : menu Mévente › Alertes).",
        table_columns=tuple(ALERT_COLUMNS.items()),
        live=True,  # acknowledged or raised by the weekly refresh, not the aggregates'
    )
)
register(
    Chart(
        "mevente-offre-vente",
        SLUG,
        "Offert et vendu par mois",
        mevente.offered_vs_sold,
        draw_offered_sold,
        export_offered_sold,
        width=12,
        note=SELL_THROUGH_DEFINITION,
    )
)
register(
    Chart(
        "mevente-filieres",
        SLUG,
        f"{SELL_THROUGH_LABEL} par filière",
        mevente.by_value_chain,
        draw_by_chain,
        export_by_chain,
        note=f"{SELL_THROUGH_DEFINITION} En rouge : moins de la moitié.",
    )
)
register(
    Chart(
        "mevente-provinces",
        SLUG,
        f"{SELL_THROUGH_LABEL} par province",
        mevente.by_province,
        draw_by_province,
        export_by_province,
        note=SELL_THROUGH_DEFINITION,
    )
)
register(
    map_chart(
        "mevente-carte",
        SLUG,
        f"Carte : {SELL_THROUGH_LABEL.lower()} par province",
        mevente.by_province,
        export_by_province,
        Measure(
            "rate",
            SELL_THROUGH_LABEL,
            _percent,
            colorscale=RED_TO_GREEN,
            value_range=(0.0, 1.0),
            tickformat=".0%",
        ),
    )
)
register(
    Chart(
        "mevente-tendance",
        SLUG,
        "Filières dont l'écoulement baisse",
        mevente.falling_chains,
        draw_trend,
        export_trend,
        controls=("encours",),
        note=f"Tendance linéaire du taux mensuel sur les mois complets de la période (le mois en "
        f"cours, incomplet, seulement sur demande) ; en rouge : baisse d'au moins "
        f"{mevente.FALL_POINTS:.0f} points. {SELL_THROUGH_DEFINITION}",
    )
)
register(
    Chart(
        "mevente-anciennete",
        SLUG,
        "Ancienneté du stock en ligne",
        mevente.stock_ageing,
        draw_ageing,
        export_ageing,
        note="Valeur restant à vendre à la fin de la période (ou aujourd'hui), par jours en ligne.",
    )
)
register(
    Chart(
        "mevente-invendues",
        SLUG,
        "Offres sans aucune vente",
        mevente.unsold_listings,
        draw_unsold,
        export_unsold,
        kind=TABLE,
        controls=("jours",),
        width=12,
        note=f"Offres ouvertes sans vente depuis le délai choisi ; les {mevente.UNSOLD_LIMIT} plus grosses.",
        table_columns=(
            ("seller", "Vendeur"),
            ("category", "Catégorie"),
            ("listed_on", "Publiée le"),
            ("days", "Jours en ligne"),
            ("quantity", "Quantité"),
            ("price", "Prix unitaire"),
            ("value", "Valeur"),
        ),
    )
)
register(
    Chart(
        "mevente-prix",
        SLUG,
        "Prix et part vendue des offres",
        mevente.price_vs_sell_through,
        draw_price,
        export_price,
        width=12,
        controls=("jours",),
        note="Part vendue à ce jour de la valeur des offres publiées sur la période, par filière "
        "et par écart de prix à la moyenne de leur catégorie : les offres chères se vendent-elles moins ? "
        "Seules les offres publiées depuis au moins le délai « Invendue après » sont comparées.",
    )
)
