"""The cooperative registry: master-detail, duplicate warnings, status changes."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import lazy_gettext as _
from wtforms import BooleanField
from wtforms.validators import ValidationError

from console.extensions import db
from console.models import Cooperative, MapVersion
from console.security.scoped_datamodel import ScopedSQLAInterface
from console.security.scoping import current_scope
from console.services.registry import (
    ChangeCooperativeStatus,
    CooperativeCandidate,
    find_duplicates,
    status_history,
)

from .base import IsokoModelView
from .forms import EbmsTransmitForm, StatusChangeForm
from .inventory import DeviceAssignmentView
from .marketplace import ListingView, OrderView, ProductView
from .pilot import EnrollmentView
from .tax import TaxRemittanceView
from .workflow import (
    back_to_list,
    one_row,
    open_row_form,
    render_form_page,
    run_command,
    ticked_ids,
)


def _candidate(form, own_id=None) -> CooperativeCandidate:
    commune = getattr(form, "commune", None)
    return CooperativeCandidate(
        name=(form.name.data or "").strip(),
        registration_number=(form.registration_number.data or "").strip() or None,
        nif=(getattr(form, "nif", None) and form.nif.data or "").strip() or None,
        commune_id=getattr(commune.data, "id", None) if commune is not None else None,
        id=own_id,
    )


def registration_number_is_free(form, field) -> None:
    """An exact registration number of another cooperative is refused."""
    candidate = CooperativeCandidate(
        name="", registration_number=field.data, id=getattr(form, "_id", None)
    )
    blocking = [d for d in find_duplicates(db.session, candidate, current_scope()) if d.blocking]
    if blocking:
        raise ValidationError(" ".join(d.message for d in blocking))


def duplicates_confirmed(form, field) -> None:
    """Likely duplicates (same NIF, look-alike name in the commune) must be confirmed."""
    warnings = [
        d for d in find_duplicates(db.session, _candidate(form), current_scope()) if not d.blocking
    ]
    if warnings and not field.data:
        for warning in warnings:
            flash(warning.message, "warning")
        raise ValidationError(
            _(
                "Doublon probable (voir ci-dessus). Vérifiez, puis cochez cette case pour "
                "enregistrer quand même."
            )
        )


def _province_2025(item: Cooperative):
    """The 2025 province follows from the commune, else from the 2015 province's successor."""
    if item.commune is not None:
        return item.commune.province
    province = item.province
    if province is not None and province.map_version == MapVersion.MAP_2025.value:
        return province
    return province.successor if province is not None else None


def _ebms_label(value) -> str:
    from console.services.ebms.override import label_of

    return label_of(value)


class CooperativeView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Cooperative)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    method_permission_name = {
        "change_status": "change_status",
        "ebms_transmit": "change_ebms_transmit",
        "nominate": "nominate",
    }
    list_columns = [
        "registration_number",
        "name",
        "acronym",
        "seller_kind",
        "province",
        "province_2025",
        "members_total",
        "vat_registered",
        "is_pioneer",
        "status",
    ]
    search_columns = [
        "registration_number",
        "name",
        "acronym",
        "nif",
        "seller_kind",
        "category",
        "province",
        "province_2025",
        "commune",
        "status",
        "is_pioneer",
        "vat_registered",
        "value_chains",
    ]
    show_fieldsets = [
        (
            _("Identification"),
            {
                "fields": [
                    "registration_number",
                    "name",
                    "acronym",
                    "seller_kind",
                    "category",
                    "nif",
                    "obr_tin_check",
                    "ebms_transmit",
                    "trade_register_number",
                    "vat_registered",
                    "founded_on",
                    "is_pioneer",
                ]
            },
        ),
        (_("Localisation"), {"fields": ["province", "province_2025", "commune"]}),
        (_("Membres"), {"fields": ["members_total", "members_women", "members_youth"]}),
        (_("Activité"), {"fields": ["value_chains", "status", "status_reason"]}),
        (_("Contact"), {"fields": ["contact_name", "phone", "email", "created_at"]}),
    ]
    edit_columns = [
        "registration_number",
        "name",
        "acronym",
        "seller_kind",
        "category",
        "province",
        "commune",
        "founded_on",
        "members_total",
        "members_women",
        "members_youth",
        "nif",
        "trade_register_number",
        "vat_registered",
        "is_pioneer",
        "value_chains",
        "contact_name",
        "phone",
        "email",
    ]
    add_columns = [*edit_columns, "confirm_duplicates"]
    add_form_extra_fields = {
        "confirm_duplicates": BooleanField(
            _("Enregistrer malgré un doublon probable"),
            validators=[duplicates_confirmed],
            description=_(
                "À cocher seulement après avoir vérifié qu'il ne s'agit pas de la même coopérative."
            ),
        ),
    }
    validators_columns = {"registration_number": [registration_number_is_free]}
    description_columns = {
        "province": _(
            "Province de la carte de 2015 ; la province de 2025 en est déduite "
            "(par la commune quand elle est connue)."
        ),
    }
    # The 2015 map is the one cooperatives registered under; the 2025 one is derived.
    add_form_query_rel_fields = {
        "province": [["map_version", FilterEqual, MapVersion.MAP_2015.value]]
    }
    edit_form_query_rel_fields = add_form_query_rel_fields
    related_views = [
        EnrollmentView,
        ProductView,
        ListingView,
        OrderView,
        DeviceAssignmentView,
        TaxRemittanceView,
    ]
    formatters_columns = {"ebms_transmit": lambda value: _ebms_label(value)}
    show_template = "isoko/cooperative_show.html"
    base_order = ("name", "asc")

    def pre_add(self, item):
        item.province_2025 = _province_2025(item)

    def pre_update(self, item):
        item.province_2025 = _province_2025(item)

    def show_extra(self, item) -> dict:
        return {"status_history": status_history(db.session, item.id)}

    @action("change_status", _("Changer le statut"), icon="fa-gavel", multiple=False)
    def change_status(self, item):
        """Open the status form for one cooperative."""
        return open_row_form(self, item, "status_form", _("Choisissez une seule coopérative."))

    @action(
        "check_tin", _("Vérifier le NIF auprès de l'OBR"), icon="fa-check-circle", multiple=False
    )
    def check_tin(self, item):
        """Ask OBR's checkTIN about the cooperative's NIF now, and keep the answer."""
        from console.ebms.client import EbmsClient, EbmsSettings
        from console.services.ebms.tin import check_now

        item = one_row(item)
        if item is None or not item.nif:
            return back_to_list(self, _("Choisissez une seule coopérative, qui a un NIF."))
        settings = EbmsSettings.from_config(current_app.config)
        if settings is None:
            flash(
                str(_("Transmission à l'OBR désactivée : la vérification du NIF est impossible.")),
                "warning",
            )
            return redirect(url_for(f"{self.endpoint}.show", pk=item.id))
        with EbmsClient(settings) as client:
            verification = check_now(db.session, item, client)
        db.session.commit()
        level = "success" if verification.known else "warning"
        flash(
            item.obr_tin_check() if verification.known is not None else verification.message, level
        )
        return redirect(url_for(f"{self.endpoint}.show", pk=item.id))

    @action(
        "ebms_transmit",
        _("Transmission à l'OBR (eBMS)"),
        icon="fa-paper-plane",
        multiple=False,
    )
    def ebms_transmit(self, item):
        """Open the per-seller transmission override form (Admin)."""
        return open_row_form(
            self, item, "ebms_transmit_form", _("Choisissez une seule coopérative.")
        )

    @expose("/obr/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("change_ebms_transmit")
    def ebms_transmit_form(self, pk):
        """Transmit to OBR whatever the rule says, never, or follow the setting (audited)."""
        from console.services.ebms import override as ebms_override
        from console.services.ebms.outbox import transmits

        cooperative = self._scoped_item(pk)
        form = EbmsTransmitForm(request.form)
        form.choice.choices = [(k, str(v[1])) for k, v in ebms_override.CHOICES.items()]
        if request.method == "GET":
            form.choice.data = ebms_override.choice_of(cooperative.ebms_transmit)
        if request.method == "POST" and form.validate():
            command = ebms_override.SetEbmsTransmission(
                db.session, current_scope(), cooperative_id=cooperative.id, choice=form.choice.data
            )
            if run_command(
                command,
                _("Transmission à l'OBR de « %(name)s » enregistrée.", name=cooperative.name),
            ):
                return redirect(url_for(f"{self.endpoint}.show", pk=cooperative.id))
        intro = [
            _(
                "Coopérative : %(name)s (NIF %(nif)s)",
                name=cooperative.name,
                nif=cooperative.nif or "—",
            ),
            _(
                "Réglage actuel : %(choice)s ; ses ventes %(verb)s transmises à l'OBR.",
                choice=ebms_override.label_of(cooperative.ebms_transmit),
                verb=_("sont") if transmits(cooperative) else _("ne sont pas"),
            ),
            _(
                "Le réglage général transmet les factures de tous les vendeurs qui ont un NIF, "
                "ou des seuls assujettis à la TVA (ISOKO_EBMS_TRANSMIT_SELLERS). Le changement "
                "vaut pour les ventes suivantes et est enregistré dans le journal d'audit."
            ),
        ]
        return render_form_page(self, form, _("Transmission à l'OBR (eBMS)"), ["choice"], intro)

    @action("nominate", _("Nominer dans une cohorte…"), icon="fa-users", single=False)
    def nominate(self, items):
        """Open the nomination form for the ticked cooperatives (one cohort for all)."""
        return redirect(url_for("EnrollmentView.nominate", cooperatives=ticked_ids(items)))

    @expose("/status/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("change_status")
    def status_form(self, pk):
        """Suspend, dissolve or reactivate a cooperative, with the reason."""
        cooperative = self._scoped_item(pk)
        form = StatusChangeForm(request.form)
        if request.method == "POST" and form.validate():
            command = ChangeCooperativeStatus(
                db.session,
                current_scope(),
                cooperative_id=cooperative.id,
                status=form.status.data,
                reason=form.reason.data,
            )
            if run_command(command, _("Statut de « %(name)s » enregistré.", name=cooperative.name)):
                return redirect(url_for(f"{self.endpoint}.show", pk=cooperative.id))
        intro = [
            _(
                "Coopérative : %(name)s (n° %(number)s)",
                name=cooperative.name,
                number=cooperative.registration_number,
            ),
            _("Statut actuel : %(status)s", status=_(cooperative.status.label)),
            _("Le changement est enregistré dans le journal d'audit, avec votre nom et l'heure."),
        ]
        return render_form_page(self, form, _("Changer le statut"), ["status", "reason"], intro)
