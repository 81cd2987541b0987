"""Recettes fiscales: tax due vs collected vs remitted by month, kind and province, the
gaps, and the leakage flags with drill-down to a seller's stamped lines."""

from __future__ import annotations

import pandas as pd
from dash import ALL, Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from console.formatting import format_datetime, format_quantity
from console.security.scoping import current_scope
from console.services.ebms import status as ebms_status
from console.services.money import format_francs, format_rate

from .. import layout
from ..callbacks import dashboard_callback
from ..catalogue import BY_SLUG
from ..charts import CARDS, CHARTS, TABLE, Chart, may_see, register
from ..data import tax
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
)

SLUG = "recettes"
SERIES = (
    ("due", "Due", "#2f7fb5"),
    ("collected", "Encaissée", "#d4a017"),
    ("remitted", "Reversée à l'OBR", GREEN),
)
FLAG_PERMISSION = ("can_read", "LeakageFlagView")


def draw_totals(frame: pd.DataFrame, filters) -> list[tuple[str, str, str]]:
    row = frame.iloc[0]
    return [
        ("Taxe due", format_francs(int(row["due"])), "taxes enregistrées sur les ventes"),
        ("Taxe encaissée", format_francs(int(row["collected"])), "part taxe des paiements reçus"),
        (
            "TVA reversée à l'OBR",
            format_francs(int(row["remitted"])),
            "versements des périodes closes dans la période",
        ),
        (
            "Écart due − reversée",
            format_francs(int(row["due"]) - int(row["remitted"])),
            "ce que l'OBR n'a pas reçu",
        ),
    ]


def export_totals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(
        columns={
            "due": "Taxe due (FBu)",
            "collected": "Taxe encaissée (FBu)",
            "remitted": "TVA reversée (FBu)",
        }
    )


def _grouped(x, frame: pd.DataFrame) -> dict:
    traces = [
        bar(
            x,
            frame[key],
            name=name,
            marker={"color": color},
            customdata=francs_text(frame[key]),
            hovertemplate=f"{name}<br>%{{x}}<br>%{{customdata}}<extra></extra>",
        )
        for key, name, color in SERIES
    ]
    return figure(traces, barmode="group")


def draw_monthly(frame: pd.DataFrame, filters) -> dict:
    return mark_partial(
        _grouped([month_label(d) for d in frame["month"]], frame), current_x(frame["month"])
    )


def export_monthly(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(
        columns={
            "month": "Mois",
            "due": "Taxe due (FBu)",
            "collected": "Taxe encaissée (FBu)",
            "remitted": "TVA reversée (FBu)",
            "uncollected": "Non encaissée (FBu)",
            "unremitted": "Non reversée (FBu)",
            "unremitted_cumulated": "Non reversée cumulée (FBu)",
        }
    )


def draw_gap(frame: pd.DataFrame, filters) -> dict:
    x = [month_label(d) for d in frame["month"]]
    traces = [
        bar(
            x,
            frame["unremitted"],
            name="Due non reversée",
            marker={"color": RED},
            customdata=francs_text(frame["unremitted"]),
            hovertemplate="%{x}<br>%{customdata}<extra></extra>",
        ),
        bar(
            x,
            frame["uncollected"],
            name="Due non encaissée",
            marker={"color": "#d4a017"},
            customdata=francs_text(frame["uncollected"]),
            hovertemplate="%{x}<br>%{customdata}<extra></extra>",
        ),
        line(
            x,
            frame["unremitted_cumulated"],
            name="Non reversée cumulée",
            line={"color": "#4d4d4d"},
            customdata=francs_text(frame["unremitted_cumulated"]),
            hovertemplate="%{x}<br>cumul : %{customdata}<extra></extra>",
        ),
    ]
    return mark_partial(
        figure(traces, barmode="group", yaxis={"rangemode": "normal"}), current_x(frame["month"])
    )


def draw_by_kind(frame: pd.DataFrame, filters) -> dict:
    traces = [
        bar(
            frame["label"],
            frame[key],
            name=name,
            marker={"color": color},
            customdata=francs_text(frame[key]),
            hovertemplate=f"{name}<br>%{{x}}<br>%{{customdata}}<extra></extra>",
        )
        for key, name, color in (SERIES[0], SERIES[2])
    ]
    return figure(traces, barmode="group")


def export_by_kind(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["label", "due", "remitted"]].rename(
        columns={"label": "Nature de taxe", "due": "Taxe due (FBu)", "remitted": "Reversée (FBu)"}
    )


def draw_by_province(frame: pd.DataFrame, filters) -> dict:
    return _grouped(list(frame["province"]), frame)


def export_by_province(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["province", "due", "collected", "remitted", "unremitted"]].rename(
        columns={
            "province": "Province",
            "due": "Taxe due (FBu)",
            "collected": "Taxe encaissée (FBu)",
            "remitted": "TVA reversée (FBu)",
            "unremitted": "Non reversée (FBu)",
        }
    )


def draw_flags(frame: pd.DataFrame, filters) -> list[dict]:
    return [
        {
            "label": row.label,
            "seller": row.seller,
            "province": row.province,
            "period": row.period,
            "amount": format_francs(int(row.amount)),
            "explanation": row.explanation,
            "action": {
                "label": "Lignes",
                "id": {"type": "detail-vendeur", "seller": int(row.seller_id), "row": i},
            },
        }
        for i, row in enumerate(frame.itertuples(index=False))
    ]


def export_flags(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[
        [
            "label",
            "seller",
            "province",
            "period",
            "period_start",
            "amount",
            "explanation",
            "computed_on",
        ]
    ].rename(
        columns={
            "label": "Signalement",
            "seller": "Vendeur",
            "province": "Province",
            "period": "Période",
            "period_start": "Début de la période",
            "amount": "Montant en jeu (FBu)",
            "explanation": "Explication",
            "computed_on": "Calculé le",
        }
    )


def draw_lines(frame: pd.DataFrame, filters) -> list[dict]:
    return [
        {
            "placed_at": format_datetime(row.placed_at),
            "order": row.order_reference,
            "product": row.product,
            "quantity": format_quantity(row.quantity),
            "net": format_francs(int(row.net)),
            "rule": row.tax_rule_code or "—",
            "rate": format_rate(row.tax_rate),
            "tax": format_francs(int(row.tax)),
            "gross": format_francs(int(row.gross)),
            "note": row.tax_note or "",
        }
        for row in frame.itertuples(index=False)
    ]


def export_lines(frame: pd.DataFrame) -> pd.DataFrame:
    result = frame.copy()
    result["placed_at"] = [format_datetime(v) for v in result["placed_at"]]
    result["tax_rate"] = result["tax_rate"].map(lambda r: float(r) if r is not None else None)
    return result.rename(
        columns={
            "placed_at": "Date (Bujumbura)",
            "order_reference": "Commande",
            "product": "Produit",
            "quantity": "Quantité",
            "net": "Montant HT (FBu)",
            "tax_rule_code": "Règle fiscale",
            "tax_rate": "Taux",
            "tax": "Taxe (FBu)",
            "gross": "Montant TTC (FBu)",
            "tax_note": "Note",
        }
    )


register(
    Chart(
        "recettes-indicateurs",
        SLUG,
        "Chiffres clés",
        tax.totals,
        draw_totals,
        export_totals,
        kind=CARDS,
        width=12,
    )
)
register(
    Chart(
        "recettes-mensuel",
        SLUG,
        "Taxe due, encaissée et reversée par mois",
        tax.monthly,
        draw_monthly,
        export_monthly,
        width=12,
        note="Due et encaissée au mois de la vente ; reversée au mois où finit la période déclarée.",
    )
)
register(
    Chart(
        "recettes-ecart",
        SLUG,
        "Écarts : non encaissé et non reversé",
        tax.monthly,
        draw_gap,
        export_monthly,
    )
)
register(
    Chart(
        "recettes-nature", SLUG, "Par nature de taxe", tax.by_tax_kind, draw_by_kind, export_by_kind
    )
)
register(
    Chart(
        "recettes-provinces",
        SLUG,
        "Par province",
        tax.by_province,
        draw_by_province,
        export_by_province,
        width=12,
        note="Le filtre de filière ne s'applique pas aux versements, déclarés par vendeur.",
    )
)
register(
    Chart(
        "recettes-alertes",
        SLUG,
        "Signalements de fuite",
        tax.leakage,
        draw_flags,
        export_flags,
        kind=TABLE,
        width=12,
        extra_permission=FLAG_PERMISSION,
        load_all=tax.all_leakage,
        note="Calculés sur toutes les données à leur dernière actualisation (échéances à cette "
        "date), puis limités à la période ; « Lignes » affiche les lignes du vendeur avec la "
        "règle et le taux appliqués.",
        table_columns=(
            ("label", "Signalement"),
            ("seller", "Vendeur"),
            ("province", "Province"),
            ("period", "Période"),
            ("amount", "Montant en jeu"),
            ("explanation", "Explication"),
            ("action", ""),
        ),
    )
)
register(
    Chart(
        "recettes-lignes",
        SLUG,
        "Lignes du vendeur choisi",
        tax.seller_lines,
        draw_lines,
        export_lines,
        kind=TABLE,
        width=12,
        note=f"Choisissez une coopérative dans les filtres (ou « Lignes » d'un signalement) ; "
        f"les {tax.DRILL_LIMIT} plus récentes de la période.",
        table_columns=(
            ("placed_at", "Date"),
            ("order", "Commande"),
            ("product", "Produit"),
            ("quantity", "Quantité"),
            ("net", "HT"),
            ("rule", "Règle"),
            ("rate", "Taux"),
            ("tax", "Taxe"),
            ("gross", "TTC"),
            ("note", "Note"),
        ),
    )
)


# -- OBR eBMS panel: definitions in console.services.ebms.status --------------------------

OBR_SERIES = (
    (ebms_status.REGISTERED, GREEN),
    (ebms_status.PENDING, "#d4a017"),
    (ebms_status.REFUSED, RED),
    (ebms_status.NOT_SENT, "#9e9e9e"),
)
OBR_HEADERS = {
    "stamped": "Ventes taxées",
    "stamped_tax": "Taxe des ventes taxées (FBu)",
    **{status: label for status, label in ebms_status.STATUS_LABELS.items()},
    **{
        f"{status}_tax": f"Taxe — {label.lower()} (FBu)"
        for status, label in ebms_status.STATUS_LABELS.items()
    },
}


def draw_obr_totals(frame: pd.DataFrame, filters) -> list[tuple[str, str, str]]:
    row = frame.iloc[0]
    stamped = int(row["stamped"])
    registered = int(row["registered"])
    share = f"{registered / stamped:.0%}".replace("%", " %") if stamped else "—"
    return [
        ("Ventes taxées", f"{stamped:,}".replace(",", " "), format_francs(int(row["stamped_tax"]))),
        (
            "Enregistrées par l'OBR",
            f"{registered:,}".replace(",", " "),
            f"{share} des ventes ; {format_francs(int(row['registered_tax']))} de taxe",
        ),
        (
            "En attente / refusées",
            f"{int(row['pending'])} / {int(row['refused'])}",
            f"hors eBMS : {int(row['not_sent'])}",
        ),
        (
            "Délai de transmission",
            f"{ebms_status.format_lag(row['lag_p50_s'])} (médiane)",
            f"95 % sous {ebms_status.format_lag(row['lag_p95_s'])} ; "
            f"{int(row['lag_count'])} factures",
        ),
    ]


def export_obr_totals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(
        columns=OBR_HEADERS
        | {
            "registered_tax": "Taxe enregistrée (FBu)",
            "lag_count": "Factures enregistrées (délai)",
            "lag_p50_s": "Délai médian (s)",
            "lag_p95_s": "Délai p95 (s)",
        }
    )


def _obr_stacked(x, frame: pd.DataFrame) -> dict:
    traces = [
        bar(
            x,
            frame[status],
            name=ebms_status.STATUS_LABELS[status],
            marker={"color": color},
            hovertemplate=f"{ebms_status.STATUS_LABELS[status]}<br>%{{x}}<br>%{{y}}<extra></extra>",
        )
        for status, color in OBR_SERIES
    ]
    return figure(traces, barmode="stack", money_axis=None)


def draw_obr_by_day(frame: pd.DataFrame, filters) -> dict:
    return _obr_stacked([d.isoformat() for d in frame["day"]], frame)


def export_obr_by_day(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"day": "Jour (Bujumbura)"} | OBR_HEADERS)


def draw_obr_by_province(frame: pd.DataFrame, filters) -> dict:
    return _obr_stacked(list(frame["province"]), frame)


def export_obr_by_province(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["province_id"]).rename(
        columns={"province": "Province"} | OBR_HEADERS
    )


OBR_NOTE = (
    "Ventes non annulées selon l'état de leur facture à l'OBR : enregistrée, en attente, "
    "refusée, ou hors eBMS (vendeur qui ne transmet pas). Le filtre de filière ne s'applique pas."
)
register(
    Chart(
        "recettes-obr-indicateurs",
        SLUG,
        "Factures transmises à l'OBR (eBMS)",
        tax.obr_totals,
        draw_obr_totals,
        export_obr_totals,
        kind=CARDS,
        width=12,
        live=True,
        note="Délai : de l'écriture de la facture (avec la vente) à son enregistrement par "
        "l'OBR, médiane et 95e centile.",
    )
)
register(
    Chart(
        "recettes-obr-jours",
        SLUG,
        "Factures OBR par jour",
        tax.obr_by_day,
        draw_obr_by_day,
        export_obr_by_day,
        live=True,
        note=OBR_NOTE,
    )
)
register(
    Chart(
        "recettes-obr-provinces",
        SLUG,
        "Factures OBR par province",
        tax.obr_by_province,
        draw_obr_by_province,
        export_obr_by_province,
        live=True,
        note=OBR_NOTE,
    )
)


@dashboard_callback(
    BY_SLUG[SLUG].resource,
    Output("f-cooperative", "value", allow_duplicate=True),
    Output("f-cooperative", "options", allow_duplicate=True),
    Input({"type": "detail-vendeur", "seller": ALL, "row": ALL}, "n_clicks"),
    State("f-cooperative", "value"),
    prevent_initial_call=True,
)
def drill_to_seller(clicks, selected):
    """A flag's « Lignes »: select its seller in the filters, so the lines table follows."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        raise PreventUpdate
    if not may_see(CHARTS["recettes-alertes"]):
        raise PreventUpdate
    seller = trigger.get("seller")
    if not isinstance(seller, int):
        raise PreventUpdate
    options = layout.cooperative_options(current_scope(), None, seller)
    if seller not in {o["value"] for o in options}:
        raise PreventUpdate  # another province's seller: nothing changes
    return seller, options
