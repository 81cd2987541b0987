"""Mévente alerts: the list for the user's provinces, one alert's figures and history, acknowledging."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from console import models as m
from console.extensions import db
from console.models.mevente import AlertStatus
from console.security.scoping import current_scope
from console.services.mevente.alerts import (
    ACTION_LABELS,
    acknowledge_alert,
    alert_records,
    scoped_alert,
)
from console.services.mevente.errors import MeventeInputError, MeventeNotFound

STATUS_FILTERS = {
    "actives": (
        "Actives (ouvertes ou prises en compte)",
        [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED],
    ),
    "ouvertes": ("Ouvertes", [AlertStatus.OPEN]),
    "prises": ("Prises en compte", [AlertStatus.ACKNOWLEDGED]),
    "levees": ("Levées", [AlertStatus.RESOLVED]),
    "toutes": ("Toutes", None),
}
MAP_FILTERS = {
    "": "Les deux cartes",
    "2025": "Carte de 2025 (5 provinces)",
    "2015": "Carte de 2015 (18 provinces)",
}


def _choice(name: str, allowed, default: str, label: str) -> str:
    """A filter value from the URL; an unknown one is flagged in French and replaced."""
    value = request.args.get(name, default)
    if value not in allowed:
        flash(f"{label} inconnu(e) : « {value[:40]} ». Filtre par défaut appliqué.", "warning")
        return default
    return value


class MeventeAlertView(BaseView):
    """Alertes de mévente: value chains and provinces where stock is projected not to sell."""

    route_base = "/mevente/alertes"
    default_view = "index"
    method_permission_name = {"index": "read", "show": "read", "acknowledge": "acknowledge"}

    @expose("/")
    @has_access
    def index(self):
        status = _choice("statut", STATUS_FILTERS, "actives", "Statut")
        map_version = _choice("carte", MAP_FILTERS, "", "Carte")
        records = alert_records(
            db.session,
            current_scope(),
            statuses=STATUS_FILTERS[status][1],
            map_version=map_version or None,
        )
        return self.render_template(
            "mevente/alerts.html",
            alerts=records,
            status=status,
            map_version=map_version,
            status_filters=[(k, v[0]) for k, v in STATUS_FILTERS.items()],
            map_filters=list(MAP_FILTERS.items()),
        )

    @expose("/<alert_id>")
    @has_access
    def show(self, alert_id):
        try:
            alert = scoped_alert(db.session, current_scope(), alert_id)
        except MeventeInputError as error:
            flash(str(error), "danger")
            return redirect(url_for("MeventeAlertView.index"))
        except MeventeNotFound:
            abort(404)
        province = db.session.get(m.Province, alert.province_id)
        can_acknowledge = self.appbuilder.sm.has_access("can_acknowledge", "MeventeAlertView")
        suggestions_url = None
        if self.appbuilder.sm.has_access("can_read", "MatchSuggestionView"):
            suggestions_url = url_for("MatchSuggestionView.index", filiere=alert.value_chain_id)
        return self.render_template(
            "mevente/alert.html",
            alert=alert,
            province=province,
            events=alert.events,
            action_labels=ACTION_LABELS,
            can_acknowledge=can_acknowledge and alert.status != AlertStatus.RESOLVED,
            suggestions_url=suggestions_url,
        )

    @expose("/<alert_id>/prise-en-compte", methods=["POST"])
    @has_access
    def acknowledge(self, alert_id):
        try:
            acknowledge_alert(
                db.session, current_scope(), alert_id, g.user, request.form.get("note")
            )
            db.session.commit()
        except MeventeNotFound:
            db.session.rollback()
            abort(404)
        except MeventeInputError as error:
            db.session.rollback()
            flash(str(error), "danger")
            if str(alert_id).isdigit():
                return redirect(url_for("MeventeAlertView.show", alert_id=alert_id))
            return redirect(url_for("MeventeAlertView.index"))
        flash("Alerte prise en compte : votre note est enregistrée dans l'historique.", "success")
        return redirect(url_for("MeventeAlertView.show", alert_id=alert_id))
