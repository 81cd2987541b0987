"""Ventes: revenue and orders over time, by province, value chain and seller; local vs
export; raw-material purchases between cooperatives; pioneers vs other cooperatives."""

from __future__ import annotations

import pandas as pd

from console.formatting import format_number
from console.services.money import format_francs

from ..charts import CARDS, TABLE, Chart, register
from ..data import sales
from ..figures import (
    GREEN,
    PALETTE,
    RED,
    bar,
    current_x,
    figure,
    francs_text,
    line,
    mark_partial,
    month_label,
)
from ..filters import Filters
from ..maps import Measure, map_chart

SLUG = "ventes"


def _period_text(filters: Filters) -> str:
    return f"{filters.start:%d/%m/%Y} – {filters.last_day:%d/%m/%Y}"


def draw_totals(frame: pd.DataFrame, filters: Filters) -> list[tuple[str, str, str]]:
    row = (
        frame.iloc[0]
        if not frame.empty
        else {"gross": 0, "net": 0, "tax": 0, "orders": 0, "sellers": 0}
    )
    return [
        ("Ventes TTC", format_francs(int(row["gross"])), f"du {_period_text(filters)}"),
        ("Ventes HT", format_francs(int(row["net"])), f"taxes : {format_francs(int(row['tax']))}"),
        ("Commandes", format_number(int(row["orders"])), "hors commandes annulées"),
        ("Vendeurs actifs", format_number(int(row["sellers"])), "ayant vendu sur la période"),
    ]


def export_totals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(
        columns={
            "gross": "Ventes TTC (FBu)",
            "net": "Ventes HT (FBu)",
            "tax": "Taxes (FBu)",
            "orders": "Commandes",
            "sellers": "Vendeurs actifs",
        }
    )


def draw_over_time(frame: pd.DataFrame, filters: Filters) -> dict:
    weekly = filters.grain == "semaine"
    # Weeks on a date axis (one bar per Monday); months as French labels.
    x = (
        [d.isoformat() for d in frame["period"]]
        if weekly
        else [month_label(d) for d in frame["period"]]
    )
    when = "sem. du %{x|%d/%m/%Y}" if weekly else "%{x}"
    traces = [
        bar(
            x,
            frame["gross"],
            name="Ventes TTC",
            marker={"color": GREEN},
            customdata=francs_text(frame["gross"]),
            hovertemplate=f"{when}<br>%{{customdata}}<extra></extra>",
        ),
        line(
            x,
            frame["orders"],
            name="Commandes",
            yaxis="y2",
            line={"color": "#d4a017"},
            hovertemplate=f"{when}<br>%{{y:,}} commandes<extra></extra>",
        ),
    ]
    return mark_partial(
        figure(
            traces,
            yaxis2={
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "tickformat": ",d",
                "rangemode": "tozero",
                "title": {"text": "commandes"},
            },
            xaxis={"type": "date", "tickformat": "%d/%m/%Y"} if weekly else {},
        ),
        current_x(frame["period"], weekly=weekly),
    )


def export_over_time(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(
        columns={
            "period": "Début de la période",
            "gross": "Ventes TTC (FBu)",
            "orders": "Commandes",
            "net": "Ventes HT (FBu)",
        }
    )


def _horizontal_bars(labels, values, color=GREEN) -> dict:
    labels, values = list(labels)[::-1], list(values)[::-1]
    trace = bar(
        values,
        labels,
        orientation="h",
        marker={"color": color},
        customdata=francs_text(values),
        hovertemplate="%{y}<br>%{customdata}<extra></extra>",
    )
    return figure([trace], money_axis="x", height=max(260, 28 * len(labels) + 60))


def draw_by_province(frame: pd.DataFrame, filters: Filters) -> dict:
    return _horizontal_bars(frame["province"], frame["gross"])


def export_by_province(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["province", "gross", "orders"]].rename(
        columns={"province": "Province", "gross": "Ventes TTC (FBu)", "orders": "Commandes"}
    )


def draw_by_value_chain(frame: pd.DataFrame, filters: Filters) -> dict:
    return _horizontal_bars(frame["value_chain"], frame["gross"], color="#2f7fb5")


def export_by_value_chain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["value_chain", "gross", "tax", "orders"]].rename(
        columns={
            "value_chain": "Filière",
            "gross": "Ventes TTC (FBu)",
            "tax": "Taxes (FBu)",
            "orders": "Commandes",
        }
    )


def draw_top(frame: pd.DataFrame, filters: Filters) -> list[dict]:
    return [
        {
            "rank": str(i),
            "seller": row.seller,
            "province": row.province,
            "pioneer": "oui" if row.is_pioneer else "non",
            "gross": format_francs(int(row.gross)),
            "orders": format_number(int(row.orders)),
        }
        for i, row in enumerate(frame.itertuples(index=False), start=1)
    ]


def export_top(frame: pd.DataFrame) -> pd.DataFrame:
    result = frame[["seller", "province", "is_pioneer", "gross", "orders"]].copy()
    result["is_pioneer"] = result["is_pioneer"].map(lambda v: "oui" if v else "non")
    return result.rename(
        columns={
            "seller": "Vendeur",
            "province": "Province",
            "is_pioneer": "Pionnière",
            "gross": "Ventes TTC (FBu)",
            "orders": "Commandes",
        }
    )


def draw_local_export(frame: pd.DataFrame, filters: Filters) -> dict:
    traces = []
    for is_export, name, color in ((False, "Marché local", GREEN), (True, "Export", RED)):
        part = frame[frame["is_export"] == is_export]
        traces.append(
            bar(
                [month_label(d) for d in part["month"]],
                part["gross"],
                name=name,
                marker={"color": color},
                customdata=francs_text(part["gross"]),
                hovertemplate=f"{name}<br>%{{x}}<br>%{{customdata}}<extra></extra>",
            )
        )
    return mark_partial(figure(traces, barmode="stack"), current_x(frame["month"]))


def export_local_export(frame: pd.DataFrame) -> pd.DataFrame:
    result = frame.copy()
    result["is_export"] = result["is_export"].map(lambda v: "export" if v else "local")
    return result.rename(
        columns={"month": "Mois", "is_export": "Marché", "gross": "Ventes TTC (FBu)"}
    )


def _stacked_by(frame: pd.DataFrame, group: str, value: str) -> dict:
    traces = []
    for i, (name, part) in enumerate(frame.groupby(group, sort=True)):
        traces.append(
            bar(
                [month_label(d) for d in part["month"]],
                part[value],
                name=str(name),
                marker={"color": PALETTE[i % len(PALETTE)]},
                customdata=francs_text(part[value]),
                hovertemplate=f"{name}<br>%{{x}}<br>%{{customdata}}<extra></extra>",
            )
        )
    return mark_partial(figure(traces, barmode="stack"), current_x(frame["month"]))


def draw_raw_materials(frame: pd.DataFrame, filters: Filters) -> dict:
    return _stacked_by(frame, "value_chain", "gross")


def export_raw_materials(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["month", "value_chain", "gross", "orders"]].rename(
        columns={
            "month": "Mois",
            "value_chain": "Filière",
            "gross": "Achats TTC (FBu)",
            "orders": "Commandes",
        }
    )


def draw_pioneers(frame: pd.DataFrame, filters: Filters) -> dict:
    traces = []
    for is_pioneer, name, color in (
        (True, "Pionnières", GREEN),
        (False, "Autres coopératives", "#8aa29e"),
    ):
        part = frame[frame["is_pioneer"] == is_pioneer]
        traces.append(
            bar(
                [month_label(d) for d in part["month"]],
                part["gross"],
                name=name,
                marker={"color": color},
                customdata=francs_text(part["gross"]),
                hovertemplate=f"{name}<br>%{{x}}<br>%{{customdata}}<extra></extra>",
            )
        )
    return mark_partial(figure(traces, barmode="stack"), current_x(frame["month"]))


def export_pioneers(frame: pd.DataFrame) -> pd.DataFrame:
    result = frame.copy()
    result["is_pioneer"] = result["is_pioneer"].map(lambda v: "pionnières" if v else "autres")
    return result.rename(
        columns={
            "month": "Mois",
            "is_pioneer": "Groupe",
            "gross": "Ventes TTC (FBu)",
            "sellers": "Coopératives ayant vendu",
            "average": "Moyenne par coopérative (FBu)",
        }
    )


register(
    Chart(
        "ventes-indicateurs",
        SLUG,
        "Chiffres clés",
        sales.totals,
        draw_totals,
        export_totals,
        kind=CARDS,
        width=12,
    )
)
register(
    Chart(
        "ventes-evolution",
        SLUG,
        "Ventes TTC et commandes dans le temps",
        sales.over_time,
        draw_over_time,
        export_over_time,
        controls=("grain",),
        width=12,
        note="Par mois ou par semaine (les semaines sont coupées aux fins de mois).",
    )
)
register(
    Chart(
        "ventes-provinces",
        SLUG,
        "Ventes TTC par province",
        sales.by_province,
        draw_by_province,
        export_by_province,
        note="Province du vendeur, sur la carte choisie.",
    )
)
register(
    map_chart(
        "ventes-carte",
        SLUG,
        "Carte des ventes TTC par province",
        sales.by_province,
        export_by_province,
        Measure("gross", "Ventes TTC (FBu)", lambda v: format_francs(int(v))),
    )
)
register(
    Chart(
        "ventes-filieres",
        SLUG,
        "Ventes TTC par filière",
        sales.by_value_chain,
        draw_by_value_chain,
        export_by_value_chain,
    )
)
register(
    Chart(
        "ventes-top",
        SLUG,
        f"Les {sales.TOP_N} premiers vendeurs",
        sales.top_sellers,
        draw_top,
        export_top,
        kind=TABLE,
        table_columns=(
            ("rank", "Rang"),
            ("seller", "Vendeur"),
            ("province", "Province"),
            ("pioneer", "Pionnière"),
            ("gross", "Ventes TTC"),
            ("orders", "Commandes"),
        ),
    )
)
register(
    Chart(
        "ventes-export",
        SLUG,
        "Marché local et export",
        sales.local_vs_export,
        draw_local_export,
        export_local_export,
    )
)
register(
    Chart(
        "ventes-matieres",
        SLUG,
        "Achats de matières premières entre coopératives",
        sales.raw_material_purchases,
        draw_raw_materials,
        export_raw_materials,
        note="Catégories « matière première » achetées par une coopérative.",
    )
)
register(
    Chart(
        "ventes-pionnieres",
        SLUG,
        "Pionnières et autres coopératives",
        sales.pioneers_vs_others,
        draw_pioneers,
        export_pioneers,
        note="Ventes TTC des coopératives (hors entrepreneurs individuels) ; moyennes par "
        "coopérative dans le tableau Programme pilote.",
    )
)
