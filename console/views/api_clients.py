"""Integration API clients in the console: create (secret shown once), rotate, revoke; the call log."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import lazy_gettext as _

from console.extensions import db
from console.models import ApiCall, ApiClient, ApiClientKind
from console.security.scoped_datamodel import ScopedSQLAInterface
from console.services import api_clients as service
from console.services.commands import parse_enum
from console.services.refusals import Refused

from .base import IsokoModelView
from .forms import ApiClientForm, RevokeForm
from .inventory import cooperative_choices, device_choices
from .workflow import render_form_page


def _secret_page(view, issued: service.IssuedToken, title):
    return view.render_template(
        "isoko/api_client_secret.html",
        title=title,
        client=issued.client,
        token=issued.token,
        base_url=request.host_url,
        appbuilder=view.appbuilder,
    )


def _refused(refusal: Refused) -> None:
    db.session.rollback()
    for reason in refusal.refusals:
        flash(reason.message, "danger")


class ApiClientView(IsokoModelView):
    """Who may call the integration API: the storefront and each pioneer's tablet."""

    datamodel = ScopedSQLAInterface(ApiClient)
    base_permissions = ["can_list", "can_show", "can_add", "can_rotate", "can_revoke"]
    list_title = _("Clients de l'API d'intégration")
    list_columns = [
        "name",
        "kind",
        "cooperative",
        "device",
        "state",
        "created_by",
        "created_at",
        "last_used_at",
    ]
    show_columns = [*list_columns, "key_id", "rotated_at", "revoked_at", "revoked_reason"]
    search_columns = ["name", "kind", "cooperative", "state"]
    label_columns = {
        "key_id": _("Identifiant public"),
        "last_used_at": _("Dernier appel"),
        "rotated_at": _("Secret renouvelé le"),
        "revoked_reason": _("Motif de révocation"),
        "created_by": _("Créé par"),
    }
    base_order = ("created_at", "desc")

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """Create a client; its token is shown on the next page, once."""
        form = ApiClientForm(request.form)
        form.cooperative.choices = cooperative_choices()
        form.device.choices = device_choices()
        if request.method == "POST" and form.validate():
            kind = parse_enum(ApiClientKind, form.kind.data) or ApiClientKind.STOREFRONT
            try:
                issued = service.create_client(
                    db.session,
                    name=(form.name.data or "").strip() or str(kind.label),
                    kind=kind,
                    cooperative_id=form.cooperative.data,
                    device_id=form.device.data,
                    created_by_id=getattr(g.user, "id", None),
                )
                db.session.commit()
            except Refused as refusal:
                _refused(refusal)
            else:
                return _secret_page(self, issued, _("Client créé"))
        intro = [
            _(
                "Une tablette est liée à la coopérative qui la détient ; la vitrine à aucune. "
                "Le jeton n'est affiché qu'une fois, juste après la création."
            )
        ]
        return render_form_page(
            self, form, _("Nouveau client API"), ["name", "kind", "cooperative", "device"], intro
        )

    @expose("/rotate/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("rotate")
    def rotate(self, pk):
        """Give the client a new secret; the old one stops working at once."""
        client = self._scoped_item(pk)
        form = RevokeForm(request.form)
        if request.method == "POST":
            try:
                issued = service.rotate_secret(db.session, client)
                db.session.commit()
            except Refused as refusal:
                _refused(refusal)
            else:
                return _secret_page(self, issued, _("Secret renouvelé"))
        return render_form_page(
            self,
            form,
            _("Renouveler le secret de « %(name)s »", name=client.name),
            [],
            [_("L'ancien secret cessera de fonctionner immédiatement.")],
        )

    @expose("/revoke/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("revoke")
    def revoke(self, pk):
        """Revoke the client: its next call is refused."""
        client = self._scoped_item(pk)
        form = RevokeForm(request.form)
        if request.method == "POST" and form.validate():
            if service.revoke(
                client, (form.reason.data or "").strip() or str(_("Révoqué depuis la console."))
            ):
                db.session.commit()
                flash(str(_("Client révoqué.")), "success")
            return redirect(url_for(f"{self.endpoint}.show", pk=client.id))
        return render_form_page(
            self, form, _("Révoquer « %(name)s »", name=client.name), ["reason"]
        )


class ApiCallView(IsokoModelView):
    """Every call of the integration API: client, endpoint, idempotency key, outcome."""

    datamodel = ScopedSQLAInterface(ApiCall)
    base_permissions = ["can_list", "can_show"]
    list_title = _("Journal des appels de l'API")
    list_columns = ["at", "client", "method", "endpoint", "idempotency_key", "status", "outcome"]
    show_columns = [*list_columns, "order_id"]
    search_columns = ["at", "client", "endpoint", "status", "idempotency_key"]
    label_columns = {
        "idempotency_key": _("Clé d'idempotence"),
        "outcome": _("Résultat"),
        "endpoint": _("Adresse"),
        "method": _("Méthode"),
        "at": _("Date"),
    }
    base_order = ("at", "desc")
