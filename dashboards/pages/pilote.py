"""Programme pilote: enrollment funnel, training attendance by gender, tablets per
province, pioneers active in the last 30 days, pioneers' sales against other cooperatives."""

from __future__ import annotations

import pandas as pd

from console.formatting import format_number

from ..charts import CARDS, Chart, register
from ..data import pilot, sales
from ..figures import (
    GREEN,
    RED,
    bar,
    current_x,
    figure,
    francs_text,
    mark_partial,
    month_label,
    plain,
)
from ..maps import Measure, map_chart
from .ventes import export_pioneers  # same pioneers-vs-others frame as the Ventes chart

SLUG = "pilote"


def draw_totals(frame: pd.DataFrame, filters) -> list[tuple[str, str, str]]:
    row = frame.iloc[0]
    return [
        (
            "Coopératives nominées",
            format_number(int(row["nominated"])),
            f"dont {format_number(int(row['active_enrollments']))} actives",
        ),
        ("Tablettes remises", format_number(int(row["deployed"])), "chez les coopératives"),
        (
            "Perdues, volées ou en réparation",
            format_number(int(row["lost_or_repair"])),
            "tablettes",
        ),
        (
            "Pionnières actives (30 jours)",
            f"{format_number(int(row['active_pioneers']))} / {format_number(int(row['pioneers']))}",
            f"au moins une vente jusqu'au {row['reference_day']:%d/%m/%Y}",
        ),
    ]


def export_totals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(
        columns={
            "nominated": "Coopératives nominées",
            "active_enrollments": "Inscriptions actives",
            "deployed": "Tablettes remises",
            "lost_or_repair": "Tablettes perdues, volées ou en réparation",
            "pioneers": "Pionnières",
            "active_pioneers": "Pionnières actives (30 jours)",
            "reference_day": "Jour de référence",
        }
    )


def draw_funnel(frame: pd.DataFrame, filters) -> dict:
    trace = {
        "type": "funnel",
        "y": plain(frame["stage"]),
        "x": plain(frame["count"]),
        "marker": {"color": [GREEN, "#2f7fb5", "#d4a017", "#7a5195", "#66a61e"][: len(frame)]},
        "textinfo": "value+percent initial",
        "hovertemplate": "%{y} : %{x}<extra></extra>",
    }
    withdrawn = frame.attrs.get("withdrawn", 0)
    notes = (
        [
            {
                "text": f"{withdrawn} retirées en cours de route",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": -0.02,
                "xanchor": "right",
                "yanchor": "top",
                "font": {"color": "#777"},
            }
        ]
        if withdrawn
        else []
    )
    return figure(
        [trace], money_axis=None, annotations=notes, margin={"l": 10, "r": 10, "t": 10, "b": 30}
    )


def export_funnel(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"stage": "Étape", "count": "Coopératives"})


def draw_attendance(frame: pd.DataFrame, filters) -> dict:
    sessions = frame.drop_duplicates("session_id")
    labels = {
        row.session_id: f"{row.title} ({row.starts_on:%d/%m/%Y})" for row in sessions.itertuples()
    }
    traces = []
    for gender, color in (("Femme", "#7a5195"), ("Homme", "#2f7fb5")):
        part = frame[frame["gender"] == gender]
        traces.append(
            bar(
                [labels[s] for s in part["session_id"]],
                part["participants"],
                name=gender,
                marker={"color": color},
                hovertemplate=f"{gender}s : %{{y}}<extra></extra>",
            )
        )
    return figure(traces, money_axis=None, barmode="stack")


def export_attendance(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["title", "starts_on", "gender", "participants", "days"]].rename(
        columns={
            "title": "Session",
            "starts_on": "Début",
            "gender": "Genre",
            "participants": "Participants",
            "days": "Jours de présence",
        }
    )


def draw_tablets(frame: pd.DataFrame, filters) -> dict:
    traces = [
        bar(
            frame["province"],
            frame[key],
            name=name,
            marker={"color": color},
            hovertemplate=f"{name} : %{{y}}<extra></extra>",
        )
        for key, name, color in (
            ("deployed", "Remises", GREEN),
            ("lost", "Perdues ou volées", RED),
            ("repair", "En réparation", "#d4a017"),
            ("stock", "En stock", "#8aa29e"),
        )
    ]
    return figure(traces, money_axis=None, barmode="stack")


def export_tablets(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["province", "deployed", "lost", "repair", "stock"]].rename(
        columns={
            "province": "Province",
            "deployed": "Remises",
            "lost": "Perdues ou volées",
            "repair": "En réparation",
            "stock": "En stock",
        }
    )


def draw_active(frame: pd.DataFrame, filters) -> dict:
    traces = [
        bar(
            frame["province"],
            frame["pioneers"],
            name="Pionnières",
            marker={"color": "#8aa29e"},
            hovertemplate="%{x} : %{y} pionnières<extra></extra>",
        ),
        bar(
            frame["province"],
            frame["active"],
            name="Actives sur 30 jours",
            marker={"color": GREEN},
            hovertemplate="%{x} : %{y} actives<extra></extra>",
        ),
    ]
    return figure(traces, money_axis=None, barmode="group")


def export_active(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["province", "pioneers", "active"]].rename(
        columns={"province": "Province", "pioneers": "Pionnières", "active": "Actives sur 30 jours"}
    )


def draw_sales(frame: pd.DataFrame, filters) -> dict:
    traces = []
    for is_pioneer, name, color in (
        (True, "Pionnières", GREEN),
        (False, "Autres coopératives", "#8aa29e"),
    ):
        part = frame[frame["is_pioneer"] == is_pioneer]
        traces.append(
            bar(
                [month_label(d) for d in part["month"]],
                part["average"],
                name=name,
                marker={"color": color},
                customdata=francs_text(part["average"]),
                hovertemplate=f"{name}<br>%{{x}}<br>%{{customdata}} par coopérative<extra></extra>",
            )
        )
    return mark_partial(figure(traces, barmode="group"), current_x(frame["month"]))


register(
    Chart(
        "pilote-indicateurs",
        SLUG,
        "Chiffres clés",
        pilot.totals,
        draw_totals,
        export_totals,
        kind=CARDS,
        width=12,
    )
)
register(
    Chart(
        "pilote-parcours",
        SLUG,
        "Parcours des coopératives",
        pilot.funnel,
        draw_funnel,
        export_funnel,
        note="Inscriptions ayant atteint chaque étape (toutes cohortes).",
    )
)
register(
    Chart(
        "pilote-formations",
        SLUG,
        "Participants aux formations, par genre",
        pilot.attendance,
        draw_attendance,
        export_attendance,
    )
)
register(
    Chart(
        "pilote-tablettes",
        SLUG,
        "Tablettes par province",
        pilot.tablets,
        draw_tablets,
        export_tablets,
        note="Province où la tablette est détenue, sur la carte choisie.",
    )
)
register(
    Chart(
        "pilote-actives",
        SLUG,
        "Pionnières actives sur les 30 derniers jours",
        pilot.active_pioneers,
        draw_active,
        export_active,
        note="Au moins une vente dans les 30 jours finissant à la fin de la période (ou aujourd'hui).",
    )
)
register(
    map_chart(
        "pilote-carte",
        SLUG,
        "Carte des pionnières actives sur 30 jours",
        pilot.active_pioneers,
        export_active,
        Measure("active", "Pionnières actives", lambda v: f"{format_number(int(v))} actives"),
    )
)
register(
    Chart(
        "pilote-ventes",
        SLUG,
        "Ventes moyennes : pionnières et autres coopératives",
        sales.pioneers_vs_others,
        draw_sales,
        export_pioneers,
        width=12,
        note="Ventes TTC du mois divisées par le nombre de coopératives ayant vendu.",
    )
)
