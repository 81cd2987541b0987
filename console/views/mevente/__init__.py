"""The mévente feature: alerts, buyer suggestions, their reference data, and the refresh command.

Registered through console.features.FEATURE_MODULES; who sees what is in
console.security.policy (the "Mévente" lines). The Dash dashboard calls the services
directly: console.services.alerts.alerts_frame, console.services.suggestions.suggestions_frame,
console.services.mevente.weekly_indicators_frame.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
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


@click.command("mevente-refresh")
@click.option("--as-of", "as_of", default=None, help="Date du calcul (AAAA-MM-JJ), aujourd'hui par défaut.")
@click.option("--no-backtest", is_flag=True, help="Garder les méthodes de prévision déjà retenues.")
@with_appcontext
def mevente_refresh_command(as_of: str | None, no_backtest: bool) -> None:
    """Calcule les indicateurs hebdomadaires, les prévisions, les alertes et les suggestions."""
    import datetime as dt

    from console.extensions import db
    from console.services.audit import Actor, acting_as
    from console.services.mevente_refresh import refresh_mevente

    day = None
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError as error:
            raise click.BadParameter(f"date invalide « {as_of} » : utilisez AAAA-MM-JJ.") from error
    with acting_as(Actor(None, "isoko mevente-refresh", "cli")):
        summary = refresh_mevente(db.session, day, backtest=not no_backtest,
                                  actor=(None, "isoko mevente-refresh"))
        db.session.commit()
    click.echo(summary.describe())


def init_app(app, appbuilder) -> None:
    """Add the pages under the "Mévente" menu and the `isoko mevente-refresh` command."""
    for view, label, icon in MENU:
        appbuilder.add_view(
            view, view.__name__, label=label, icon=icon, category=CATEGORY, category_label=_(CATEGORY),
        )
    app.cli.add_command(mevente_refresh_command)
