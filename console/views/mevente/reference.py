"""Mévente reference data the ministry edits, and the weekly figures, as console lists."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms.validators import NumberRange

from console.formatting import format_number, format_quantity
from console.models.mevente import (
    ForecastChoice,
    MeventeThreshold,
    ProvinceDistance,
    RawMaterialRelation,
    WeeklyIndicator,
)
from console.services.mevente.forecast import METHOD_LABELS
from console.services.money import format_rate

from ..base import IsokoModelView

READ = ["can_list", "can_show"]
REFERENCE = ["can_list", "can_show", "can_add", "can_edit"]


def _method(value) -> str:
    return METHOD_LABELS.get(value, value or "—")


def _figure(value) -> str:
    return "—" if value is None else format_number(value, 4)


class MeventeThresholdView(IsokoModelView):
    datamodel = SQLAInterface(MeventeThreshold)
    base_permissions = REFERENCE
    list_title = "Seuils d'alerte de mévente"
    list_columns = [
        "value_chain",
        "sell_through_min",
        "unsold_rise_max",
        "min_unsold_value",
        "horizon_weeks",
        "unsold_age_days",
        "updated_at",
    ]
    add_columns = edit_columns = [
        "value_chain",
        "sell_through_min",
        "unsold_rise_max",
        "min_unsold_value",
        "horizon_weeks",
        "unsold_age_days",
        "note",
    ]
    show_columns = [*add_columns, "updated_at"]
    label_columns = {
        "value_chain": "Filière (vide : seuils nationaux)",
        "sell_through_min": "Taux d'écoulement minimal (0,10 = 10 %)",
        "unsold_rise_max": "Hausse du stock invendu tolérée (0,25 = +25 %)",
        "min_unsold_value": "Stock invendu minimal pour alerter (FBu)",
        "horizon_weeks": "Horizon de prévision (semaines)",
        "unsold_age_days": "Âge d'un invendu pour chercher des acheteurs (jours)",
        "note": "Note",
        "updated_at": "Modifié le",
    }
    validators_columns = {
        "sell_through_min": [NumberRange(0, 1, "Entre 0 et 1 : 0,10 signifie 10 pour cent.")],
        "unsold_rise_max": [
            NumberRange(0, 10, "Entre 0 et 10 : 0,25 signifie une hausse de 25 pour cent.")
        ],
        "min_unsold_value": [NumberRange(0, None, "Un montant positif, en francs.")],
        "horizon_weeks": [NumberRange(1, 26, "Entre 1 et 26 semaines.")],
        "unsold_age_days": [NumberRange(1, 365, "Entre 1 et 365 jours.")],
    }
    description_columns = {
        "value_chain": "Une ligne par filière remplace les seuils nationaux pour cette filière.",
        "unsold_age_days": "Les offres non vendues depuis ce nombre de jours reçoivent des suggestions d'acheteurs.",
    }


class RawMaterialRelationView(IsokoModelView):
    datamodel = SQLAInterface(RawMaterialRelation)
    base_permissions = [*REFERENCE, "can_delete"]
    list_title = "Matières premières"
    list_columns = ["input_category", "output_category", "note"]
    add_columns = edit_columns = show_columns = list_columns
    label_columns = {
        "input_category": "Matière première",
        "output_category": "Entre dans la fabrication de",
        "note": "Note",
    }


class ProvinceDistanceView(IsokoModelView):
    datamodel = SQLAInterface(ProvinceDistance)
    base_permissions = REFERENCE
    list_title = "Distances entre provinces"
    list_columns = ["from_province", "to_province", "distance_km", "is_approximate", "note"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["from_province", "to_province", "is_approximate"]
    label_columns = {
        "from_province": "De",
        "to_province": "À",
        "distance_km": "Distance (km)",
        "is_approximate": "Approximative",
        "note": "Source / note",
    }
    validators_columns = {"distance_km": [NumberRange(0, 2000, "Entre 0 et 2 000 km.")]}
    description_columns = {
        "distance_km": "Par la route, entre chefs-lieux ; une seule ligne par paire, valable dans les deux sens.",
    }


class WeeklyIndicatorView(IsokoModelView):
    datamodel = SQLAInterface(WeeklyIndicator)
    base_permissions = READ
    list_title = "Indicateurs hebdomadaires de mévente"
    list_columns = [
        "week_start",
        "value_chain",
        "province",
        "map_version",
        "offered_value",
        "sold_value",
        "unsold_value",
        "sell_through",
        "unsold_age_days",
    ]
    show_columns = [
        *list_columns,
        "opening_value",
        "unit_code",
        "offered_quantity",
        "sold_quantity",
        "unsold_quantity",
        "computed_at",
    ]
    search_columns = ["week_start", "value_chain", "province", "map_version"]
    base_order = ("week_start", "desc")
    label_columns = {
        "week_start": "Semaine du",
        "map_version": "Carte",
        "offered_value": "Offert (valeur)",
        "sold_value": "Vendu (valeur)",
        "opening_value": "Stock en début de semaine",
        "unsold_value": "Stock invendu en fin de semaine",
        "sell_through": "Taux d'écoulement",
        "unsold_age_days": "Âge moyen du stock (jours)",
        "unit_code": "Unité",
        "offered_quantity": "Quantité offerte",
        "sold_quantity": "Quantité vendue",
        "unsold_quantity": "Quantité invendue",
        "computed_at": "Calculé le",
    }
    formatters_columns = {"sell_through": format_rate, "unsold_age_days": format_quantity}


class ForecastChoiceView(IsokoModelView):
    datamodel = SQLAInterface(ForecastChoice)
    base_permissions = READ
    list_title = "Méthode de prévision retenue par filière"
    list_columns = [
        "value_chain",
        "metric",
        "chosen_method",
        "model_method",
        "model_mae",
        "baseline_mae",
        "model_mape",
        "baseline_mape",
        "origins",
        "decided_at",
    ]
    show_columns = [*list_columns, "history_weeks"]
    label_columns = {
        "metric": "Série",
        "chosen_method": "Méthode retenue",
        "model_method": "Modèle testé",
        "model_mae": "Erreur moyenne du modèle (MAE)",
        "baseline_mae": "Erreur moyenne « même semaine l'an dernier »",
        "model_mape": "MAPE du modèle (%)",
        "baseline_mape": "MAPE de référence (%)",
        "origins": "Origines testées",
        "history_weeks": "Semaines d'historique",
        "decided_at": "Décidé le",
    }
    formatters_columns = {
        "chosen_method": _method,
        "model_method": _method,
        "model_mae": _figure,
        "baseline_mae": _figure,
        "model_mape": _figure,
        "baseline_mape": _figure,
    }
