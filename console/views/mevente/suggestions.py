"""Buyer suggestions: per cooperative with their reasons, status changes, export, outcomes."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from console import models as m
from console.extensions import db
from console.models.mevente import SuggestionStatus
from console.security.scoping import current_scope
from console.services.mevente.errors import MeventeInputError, MeventeNotFound, parse_id
from console.services.mevente.suggestions import (
    change_status,
    scoped_cooperative,
    scoped_suggestion,
    suggestion_outcomes,
    suggestion_records,
)
from console.services.mevente.suggestions_export import suggestions_csv, suggestions_xlsx
from console.services.periods import today_local

STATUS_FILTERS = {
    "en-cours": (
        "En cours (proposées ou contactées)",
        [SuggestionStatus.PROPOSED, SuggestionStatus.CONTACTED],
    ),
    "toutes": ("Toutes", None),
    **{s.value: (s.label, [s]) for s in SuggestionStatus},
}
EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _filters():
    """Status and value chain filters from the URL; bad values flagged in French, defaults used."""
    status = request.args.get("statut", "en-cours")
    if status not in STATUS_FILTERS:
        flash(f"Statut inconnu : « {status[:40]} ». Filtre « en cours » appliqué.", "warning")
        status = "en-cours"
    chain_id = None
    raw_chain = request.args.get("filiere", "")
    if raw_chain:
        try:
            chain_id = parse_id(raw_chain)
        except MeventeInputError:
            flash(
                f"Filière inconnue : « {raw_chain[:40]} ». Toutes les filières sont affichées.",
                "warning",
            )
    return status, chain_id


class MatchSuggestionView(BaseView):
    """Suggestions d'acheteurs: who could buy the stock a cooperative has not sold."""

    route_base = "/mevente/suggestions"
    default_view = "index"
    method_permission_name = {
        "index": "read",
        "cooperative": "read",
        "outcomes": "read",
        "export": "download",
        "mark": "mark",
    }

    @expose("/")
    @has_access
    def index(self):
        status, chain_id = _filters()
        records = suggestion_records(
            db.session, current_scope(), statuses=STATUS_FILTERS[status][1], value_chain_id=chain_id
        )
        sellers: dict[int, dict] = {}
        for record in records:
            seller = sellers.setdefault(
                record["seller_id"],
                {
                    "id": record["seller_id"],
                    "name": record["seller"],
                    "province": record["seller_province"],
                    "categories": [],
                    "count": 0,
                    "best": record["candidate"],
                },
            )
            if record["category"] not in seller["categories"]:
                seller["categories"].append(record["category"])
            seller["count"] += 1
        chains = db.session.execute(
            select(m.ValueChain.id, m.ValueChain.name).order_by(m.ValueChain.name)
        ).all()
        return self.render_template(
            "mevente/suggestions_index.html",
            sellers=list(sellers.values()),
            status=status,
            chain_id=chain_id,
            chains=chains,
            status_filters=[(k, v[0]) for k, v in STATUS_FILTERS.items()],
        )

    @expose("/cooperative/<coop_id>")
    @has_access
    def cooperative(self, coop_id):
        try:
            coop = scoped_cooperative(db.session, current_scope(), coop_id)
        except MeventeInputError as error:
            flash(str(error), "danger")
            return redirect(url_for("MatchSuggestionView.index"))
        except MeventeNotFound:
            abort(404)
        groups: dict[str, list[dict]] = {}
        for record in suggestion_records(db.session, current_scope(), cooperative_id=coop.id):
            groups.setdefault(record["category"], []).append(record)
        return self.render_template(
            "mevente/suggestions_cooperative.html",
            coop=coop,
            groups=groups,
            statuses=list(SuggestionStatus),
            can_mark=self.appbuilder.sm.has_access("can_mark", "MatchSuggestionView"),
        )

    @expose("/<suggestion_id>/statut", methods=["POST"])
    @has_access
    def mark(self, suggestion_id):
        back = url_for("MatchSuggestionView.index")
        try:
            suggestion = scoped_suggestion(db.session, current_scope(), suggestion_id)
            back = url_for("MatchSuggestionView.cooperative", coop_id=suggestion.seller_id)
            suggestion = change_status(
                db.session,
                current_scope(),
                suggestion_id,
                request.form.get("statut"),
                g.user,
                request.form.get("note"),
                request.form.get("commande"),
            )
            label = suggestion.status.label
            db.session.commit()
        except MeventeNotFound:
            db.session.rollback()
            abort(404)
        except MeventeInputError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(back)
        flash(f"Suggestion marquée « {label} ».", "success")
        return redirect(back)

    @expose("/export")
    @has_access
    def export(self):
        kind = request.args.get("format", "xlsx")
        if kind not in EXPORT_TYPES:
            flash(f"Format inconnu : « {kind[:20]} ». Choisissez Excel (xlsx) ou CSV.", "danger")
            return redirect(url_for("MatchSuggestionView.index"))
        coop_id = None
        if request.args.get("cooperative"):
            try:
                coop_id = scoped_cooperative(
                    db.session, current_scope(), request.args["cooperative"]
                ).id
            except MeventeInputError as error:
                flash(str(error), "danger")
                return redirect(url_for("MatchSuggestionView.index"))
            except MeventeNotFound:
                abort(404)
        status, chain_id = _filters()
        records = suggestion_records(
            db.session,
            current_scope(),
            cooperative_id=coop_id,
            statuses=STATUS_FILTERS[status][1],
            value_chain_id=chain_id,
        )
        today = today_local()
        title = f"Suggestions d'acheteurs — {STATUS_FILTERS[status][0]} — au {today:%d/%m/%Y}"
        body = suggestions_xlsx(records, title) if kind == "xlsx" else suggestions_csv(records)
        filename = f"suggestions-acheteurs-{today:%Y%m%d}.{kind}"
        return Response(
            body,
            mimetype=EXPORT_TYPES[kind],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @expose("/resultats")
    @has_access
    def outcomes(self):
        return self.render_template(
            "mevente/outcomes.html",
            outcomes=suggestion_outcomes(db.session, current_scope()),
            statuses=list(SuggestionStatus),
        )
