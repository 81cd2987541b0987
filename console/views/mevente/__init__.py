"""The mévente feature: alerts, buyer suggestions and their reference data.

Registered through console.features.FEATURE_MODULES; who sees what is in
console.security.policy (the "Mévente" lines). The Dash dashboard calls the services
directly: console.services.mevente.alerts.alerts_frame, console.services.mevente.suggestions.suggestions_frame,
console.services.mevente.indicators.weekly_indicators_frame.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _

from .alerts import MeventeAlertView
from .reference import (
    ForecastChoiceView,
    MeventeThresholdView,
    ProvinceDistanceView,
    RawMaterialRelationView,
    WeeklyIndicatorView,
)
from .suggestions import MatchSuggestionView

CATEGORY = "Mévente"

MENU = [
    (MeventeAlertView, _("Alertes de mévente"), "fa-bell"),
    (MatchSuggestionView, _("Suggestions d'acheteurs"), "fa-handshake-o"),
    (WeeklyIndicatorView, _("Indicateurs hebdomadaires"), "fa-line-chart"),
    (ForecastChoiceView, _("Méthodes de prévision"), "fa-flask"),
    (MeventeThresholdView, _("Seuils d'alerte"), "fa-sliders"),
    (RawMaterialRelationView, _("Matières premières"), "fa-industry"),
    (ProvinceDistanceView, _("Distances entre provinces"), "fa-road"),
]


def init_app(app, appbuilder) -> None:
    """Add the pages under the "Mévente" menu (the `isoko mevente-refresh` command: console.cli)."""
    for view, label, icon in MENU:
        appbuilder.add_view(
            view,
            view.__name__,
            label=label,
            icon=icon,
            category=CATEGORY,
            category_label=_(CATEGORY),
        )
