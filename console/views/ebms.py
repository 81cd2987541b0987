"""OBR eBMS in the console: the transmissions, the refusals with « Renvoyer »."""

from __future__ import annotations

import json

from flask import current_app, flash, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from markupsafe import Markup, escape

from console.ebms.client import EbmsSettings
from console.extensions import db
from console.models.ebms import InvoiceMessage, MessageState
from console.security.scoped_datamodel import ScopedSQLAInterface
from console.services.ebms.transmission import resend

from .base import IsokoModelView

OFF = _(
    "Transmission à l'OBR désactivée : les factures restent en attente tant que les paramètres "
    "eBMS (adresse, identifiant système, mot de passe) ne sont pas définis."
)


def _json_block(value) -> Markup:
    """A JSON value as a readable block (the fields sent, OBR's answer)."""
    if not value:
        return Markup("—")
    return Markup("<pre class='isoko-json'>{}</pre>").format(
        escape(json.dumps(value, ensure_ascii=False, indent=2))
    )


class _MessageView(IsokoModelView):
    """Shared columns of the eBMS message pages."""

    datamodel = ScopedSQLAInterface(InvoiceMessage)
    list_columns = [
        "order",
        "kind",
        "number",
        "state",
        "attempts",
        "obr_number",
        "last_message",
        "created_at",
    ]
    show_columns = [
        "order",
        "kind",
        "number",
        "invoice_at",
        "ref_number",
        "reason",
        "state",
        "attempts",
        "identifier",
        "obr_number",
        "obr_registered_at",
        "obr_signature",
        "tax",
        "last_status",
        "last_message",
        "payload",
        "last_answer",
        "created_at",
        "settled_at",
    ]
    search_columns = ["number", "kind", "state", "created_at", "last_message"]
    formatters_columns = {"payload": _json_block, "last_answer": _json_block}
    base_order = ("created_at", "desc")

    @expose("/list/")
    @has_access
    def list(self):
        """The list, with a warning when transmission is switched off."""
        if EbmsSettings.from_config(current_app.config) is None:
            flash(str(OFF), "warning")
        return super().list()


class InvoiceMessageView(_MessageView):
    """Every invoice message of the outbox and what became of it."""

    base_permissions = ["can_list", "can_show"]


class ObrRefusalView(_MessageView):
    """« Refusées par l'OBR »: OBR's message, the fields sent, and « Renvoyer »."""

    base_permissions = ["can_list", "can_show", "can_resend"]
    base_filters = [["state", FilterEqual, MessageState.REFUSED.value]]
    list_columns = ["order", "kind", "number", "last_message", "attempts", "settled_at"]

    @action("resend", _("Renvoyer"), _("Renvoyer à l'OBR les factures choisies ?"), "fa-repeat")
    def resend(self, items):
        """Queue refused messages again, rebuilt from the (corrected) records."""
        messages = items if isinstance(items, list) else [items]
        for message in messages:
            resend(db.session, message)
        db.session.commit()
        flash(
            gettext("%(n)s facture(s) remise(s) dans la file d'envoi à l'OBR.", n=len(messages)),
            "success",
        )
        return redirect(url_for(f"{self.endpoint}.list"))
