"""« Mes abonnements »: create, edit, pause, delete one's report subscriptions; their log.

Everyone manages their own; an administrator sees and manages everyone's. The rules
(what may be subscribed, the scope check) are reports.subscriptions'; this view only
reads the form and shows the answer.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from sqlalchemy import select

from console.extensions import db
from console.models import ReportSubscription
from console.models.types import utcnow
from console.security.policy import ADMIN
from console.services.mail import OFF as MAIL_OFF
from console.services.mail import MailSettings

from .parameters import OutOfScope
from .registry import get_report
from .subscriptions import (
    SubscriptionError,
    describe,
    frequencies_for,
    subscribable_reports,
    validate,
)
from .verification import display_code
from .views import parameter_choices


def _is_admin() -> bool:
    return any(role.name == ADMIN for role in g.user.roles)


class MySubscriptionsView(BaseView):
    """The user's subscriptions (an administrator's: everyone's)."""

    route_base = "/rapports/abonnements"
    default_view = "list"

    def _subscription(self, subscription_id: int) -> ReportSubscription:
        subscription = db.session.get(ReportSubscription, subscription_id)
        if subscription is None or (subscription.user_id != g.user.id and not _is_admin()):
            abort(404)
        return subscription

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        query = select(ReportSubscription).order_by(ReportSubscription.id)
        if not _is_admin():
            query = query.where(ReportSubscription.user_id == g.user.id)
        rows = [
            {
                "subscription": s,
                "spec": get_report(s.report),
                "parameters": describe(db.session, s),
                "last": s.runs[0] if s.runs else None,
            }
            for s in db.session.scalars(query).all()
        ]
        return self.render_template(
            "reports/web/subscriptions.html",
            rows=rows,
            show_owner=_is_admin(),
            mail_off=None if MailSettings.from_config(current_app.config) else MAIL_OFF,
            has_email=bool(g.user.email),
            reports=subscribable_reports(g.user),
        )

    def _render_form(self, spec, values: dict, errors: list[str], action: str, status=200):
        defaults = {"format": spec.formats[0], "frequency": frequencies_for(spec)[0].value}
        return self.render_template(
            "reports/web/subscription_form.html",
            values=defaults | {k: v for k, v in values.items() if v},
            errors=errors,
            frequencies=[(f.value, f.label) for f in frequencies_for(spec)],
            action=action,
            mail_off=None if MailSettings.from_config(current_app.config) else MAIL_OFF,
            **parameter_choices(spec),
        ), status

    @expose("/nouveau/<report>", methods=["GET"])
    @has_access
    @permission_name("read")
    def new(self, report: str):
        """The form of a new subscription to ``report``."""
        spec = get_report(report)
        if spec is None or spec not in subscribable_reports(g.user):
            abort(404)
        action = url_for(".create", report=report)
        return self._render_form(spec, request.args.to_dict(), [], action)

    @expose("/nouveau/<report>", methods=["POST"])
    @has_access
    @permission_name("write")
    def create(self, report: str):
        values = request.form.to_dict()
        try:
            spec, parameters, fmt, frequency = validate(db.session, g.user, report, values)
        except OutOfScope:
            abort(404)
        except SubscriptionError as exc:
            spec = get_report(report)
            return self._render_form(spec, values, exc.messages, request.path, 400)
        subscription = ReportSubscription(
            user_id=g.user.id,
            report=spec.key,
            parameters=parameters,
            file_format=fmt,
            frequency=frequency,
            active=True,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        db.session.add(subscription)
        db.session.commit()
        flash(
            f"Abonnement au rapport « {spec.title} » enregistré : le premier envoi couvre la "
            "dernière période complète et part au prochain passage du travailleur.",
            "success",
        )
        return redirect(url_for(".list"))

    @expose("/<int:subscription_id>/modifier", methods=["GET"])
    @has_access
    @permission_name("read")
    def edit(self, subscription_id: int):
        subscription = self._subscription(subscription_id)
        spec = get_report(subscription.report)
        if spec is None:
            abort(404)
        values = dict(subscription.parameters) | {
            "format": subscription.file_format,
            "frequency": subscription.frequency.value,
        }
        action = url_for(".update", subscription_id=subscription.id)
        return self._render_form(spec, values, [], action)

    @expose("/<int:subscription_id>/modifier", methods=["POST"])
    @has_access
    @permission_name("write")
    def update(self, subscription_id: int):
        subscription = self._subscription(subscription_id)
        values = request.form.to_dict()
        try:
            # Checked against the owner's scope (an administrator editing someone's
            # subscription cannot widen it beyond what its owner may see).
            spec, parameters, fmt, frequency = validate(
                db.session, subscription.user, subscription.report, values
            )
        except OutOfScope:
            abort(404)
        except SubscriptionError as exc:
            spec = get_report(subscription.report)
            return self._render_form(spec, values, exc.messages, request.path, 400)
        subscription.parameters = parameters
        subscription.file_format = fmt
        subscription.frequency = frequency
        subscription.updated_at = utcnow()
        db.session.commit()
        flash(f"Abonnement n°{subscription.id} modifié.", "success")
        return redirect(url_for(".list"))

    @expose("/<int:subscription_id>/suspendre", methods=["POST"])
    @has_access
    @permission_name("write")
    def toggle(self, subscription_id: int):
        """Pause an active subscription, or resume a paused one (no catching up)."""
        subscription = self._subscription(subscription_id)
        subscription.active = not subscription.active
        subscription.updated_at = utcnow()
        db.session.commit()
        flash(
            f"Abonnement n°{subscription.id} "
            + ("repris." if subscription.active else "suspendu : plus aucun envoi."),
            "info",
        )
        return redirect(url_for(".list"))

    @expose("/<int:subscription_id>/supprimer", methods=["POST"])
    @has_access
    @permission_name("write")
    def delete(self, subscription_id: int):
        """Delete a subscription and its log (the archived reports stay in the archive)."""
        subscription = self._subscription(subscription_id)
        db.session.delete(subscription)
        db.session.commit()
        flash(f"Abonnement n°{subscription_id} supprimé.", "info")
        return redirect(url_for(".list"))

    @expose("/<int:subscription_id>/journal")
    @has_access
    @permission_name("read")
    def runs(self, subscription_id: int):
        """Each period's run: outcome, attempts, reason, archived report."""
        subscription = self._subscription(subscription_id)
        return self.render_template(
            "reports/web/subscription_runs.html",
            subscription=subscription,
            spec=get_report(subscription.report),
            parameters=describe(db.session, subscription),
            runs=subscription.runs,
            display_code=display_code,
            as_moment=dt.datetime.fromisoformat,
        )
