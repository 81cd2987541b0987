"""Tablets and accessories: devices, hand-overs, incidents, audits and stock."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from wtforms.validators import ValidationError

from console.extensions import db
from console.formatting import format_datetime
from console.models import (
    Cooperative,
    CooperativeStatus,
    Device,
    DeviceAssignment,
    DeviceAudit,
    DeviceIncident,
    DeviceKind,
    DeviceStatus,
)
from console.security.scoped_datamodel import ScopedSQLAInterface
from console.security.scoping import apply_scope, current_scope
from console.services.inventory import (
    CheckInDevice,
    CheckOutDevice,
    CheckOutDevices,
    RecordAudit,
    ReportIncident,
    TransferDevice,
    handover_receipt,
    imei_error,
    normalise_imei,
    receipt_reference,
    stock_by_province,
)

from .base import IsokoModelView
from .forms import (
    AuditForm,
    CheckInForm,
    CheckOutForm,
    HandOverForm,
    IncidentForm,
    TransferForm,
)
from .workflow import render_form_page, run_command, ticked_ids, ticked_rows

READ = ["can_list", "can_show"]


def device_choices(available_only: bool = False) -> list[tuple[str, str]]:
    """Devices the user may see, as select choices ("TAB-0001 — Tablette (En stock)")."""
    query = select(Device).order_by(Device.asset_tag)
    if available_only:
        query = query.where(Device.status == DeviceStatus.IN_STOCK)
    query = apply_scope(query, Device, current_scope())
    return [("", "—")] + [
        (str(d.id), f"{d.asset_tag} — {_(d.kind.label)} ({_(d.status.label)})")
        for d in db.session.scalars(query)
    ]


def device_form_page(view, form_class, command_class, fields: list[str], title, done, intro=None):
    """A form about one device (``?device=`` preselects it): on a valid POST, run the command
    with the form's fields and go to the device; otherwise show the form and its errors."""
    form = form_class(request.form)
    form.device.choices = device_choices()
    if request.method == "GET" and request.args.get("device"):
        form.device.data = request.args.get("device", type=int)
    if request.method == "POST" and form.validate():
        values = {name: getattr(form, name).data for name in fields}
        values["device_id"] = values.pop("device")
        record = run_command(command_class(db.session, current_scope(), **values), done)
        if record is not None:
            return redirect(url_for("DeviceView.show", pk=record.device_id))
    return render_form_page(view, form, title, fields, intro)


def cooperative_choices() -> list[tuple[str, str]]:
    """Active cooperatives the user may see, as select choices."""
    query = (
        select(Cooperative)
        .where(Cooperative.status == CooperativeStatus.ACTIVE)
        .order_by(Cooperative.name)
    )
    query = apply_scope(query, Cooperative, current_scope())
    return [("", "—")] + [
        (str(c.id), f"{c.name} ({c.registration_number})") for c in db.session.scalars(query)
    ]


class DeviceAssignmentView(IsokoModelView):
    """Hand-overs: check-out (add), check-in, transfer, and the hand-over receipt."""

    datamodel = ScopedSQLAInterface(DeviceAssignment)
    base_permissions = ["can_list", "can_show", "can_add", "can_checkin", "can_transfer"]
    list_title = _("Remises d'équipements")
    list_columns = [
        "device",
        "cooperative",
        "checked_out_at",
        "received_by",
        "condition_out",
        "checked_in_at",
        "condition_in",
    ]
    show_columns = [*list_columns, "note"]
    search_columns = ["device", "cooperative", "checked_out_at", "checked_in_at", "received_by"]
    show_template = "isoko/assignment_show.html"
    base_order = ("checked_out_at", "desc")

    def show_extra(self, item) -> dict:
        return {"receipt_reference": receipt_reference}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """Check a device out to a cooperative."""
        form = CheckOutForm(request.form)
        form.device.choices = device_choices(available_only=True)
        form.cooperative.choices = cooperative_choices()
        if request.method == "GET" and request.args.get("device"):
            form.device.data = request.args.get("device", type=int)
        if request.method == "POST" and form.validate():
            command = CheckOutDevice(
                db.session,
                current_scope(),
                device_id=form.device.data,
                cooperative_id=form.cooperative.data,
                received_by=form.received_by.data,
                condition=form.condition.data,
                day=form.day.data,
                note=form.note.data,
            )
            assignment = run_command(command, _("Remise enregistrée."))
            if assignment is not None:
                return redirect(url_for(f"{self.endpoint}.show", pk=assignment.id))
        intro = [
            _(
                "Seuls les équipements en stock peuvent être remis ; un équipement perdu, "
                "volé, réformé ou en réparation ne l'est pas."
            )
        ]
        return render_form_page(
            self,
            form,
            _("Remettre un équipement à une coopérative"),
            ["device", "cooperative", "received_by", "condition", "day", "note"],
            intro,
        )

    @expose("/add_several/", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def add_several(self):
        """Check the devices ticked in the device list (``?devices=``) out to one cooperative."""
        devices = ticked_rows(Device, "devices")
        if not devices:
            flash(str(_("Sélectionnez au moins un équipement.")), "warning")
            return redirect(url_for("DeviceView.list"))
        form = HandOverForm(request.form)
        form.cooperative.choices = cooperative_choices()
        if request.method == "POST" and form.validate():
            values = {name: form[name].data for name in ("received_by", "condition", "day", "note")}
            command = CheckOutDevices(
                db.session,
                current_scope(),
                device_ids=[d.id for d in devices],
                cooperative_id=form.cooperative.data,
                **values,
            )
            done = _("%(n)s équipement(s) remis.", n=len(devices))
            if run_command(command, done) is not None:
                return redirect(url_for(f"{self.endpoint}.list"))
        intro = [_("Équipements à remettre à une même coopérative :")] + [
            f"{d.asset_tag} — {_(d.kind.label)} ({_(d.status.label)})" for d in devices
        ]
        return render_form_page(
            self,
            form,
            _("Remettre plusieurs équipements à une coopérative"),
            ["cooperative", "received_by", "condition", "day", "note"],
            intro,
        )

    @expose("/checkin/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("checkin")
    def checkin(self, pk):
        """Record that the cooperative handed the device back."""
        assignment = self._scoped_item(pk)
        form = CheckInForm(request.form)
        if request.method == "POST" and form.validate():
            command = CheckInDevice(
                db.session,
                current_scope(),
                assignment_id=assignment.id,
                condition=form.condition.data,
                day=form.day.data,
                note=form.note.data,
            )
            if run_command(command, _("Restitution enregistrée.")):
                return redirect(url_for(f"{self.endpoint}.show", pk=assignment.id))
        return render_form_page(
            self, form, _("Restitution"), ["condition", "day", "note"], _describe(assignment)
        )

    @expose("/transfer/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("transfer")
    def transfer(self, pk):
        """Move the device to another cooperative in one step."""
        assignment = self._scoped_item(pk)
        form = TransferForm(request.form)
        form.cooperative.choices = cooperative_choices()
        if request.method == "POST" and form.validate():
            command = TransferDevice(
                db.session,
                current_scope(),
                assignment_id=assignment.id,
                cooperative_id=form.cooperative.data,
                received_by=form.received_by.data,
                condition=form.condition.data,
                day=form.day.data,
                note=form.note.data,
            )
            new = run_command(command, _("Transfert enregistré."))
            if new is not None:
                return redirect(url_for(f"{self.endpoint}.show", pk=new.id))
        return render_form_page(
            self,
            form,
            _("Transfert vers une autre coopérative"),
            ["cooperative", "received_by", "condition", "day", "note"],
            _describe(assignment),
        )

    @expose("/receipt/<pk>")
    @has_access
    @permission_name("show")
    def receipt(self, pk):
        """The hand-over receipt, ready to print."""
        data = handover_receipt(db.session, pk, current_scope())
        if data is None:
            abort(404)
        return self.render_template(
            "isoko/handover_receipt.html",
            receipt=data,
            title=_("Bon de remise %(ref)s", ref=data.reference),
        )


def _describe(assignment: DeviceAssignment) -> list[str]:
    device = assignment.device
    return [
        _(
            "Équipement : %(tag)s — %(kind)s (n° de série %(serial)s)",
            tag=device.asset_tag,
            kind=_(device.kind.label),
            serial=device.serial,
        ),
        _(
            "Remis à « %(name)s » le %(at)s, reçu par %(who)s.",
            name=assignment.cooperative.name,
            at=format_datetime(assignment.checked_out_at),
            who=assignment.received_by,
        ),
    ]


class DeviceIncidentView(IsokoModelView):
    """Losses, thefts, damage and repairs; recording one moves the device's status."""

    datamodel = ScopedSQLAInterface(DeviceIncident)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_title = _("Incidents")
    list_columns = ["device", "kind", "occurred_on", "reported_by", "description"]
    search_columns = ["device", "kind", "occurred_on", "reported_by"]
    # The kind and the device are history once recorded (they moved the status).
    edit_columns = ["reported_by", "description"]
    base_order = ("occurred_on", "desc")

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """Report an incident on a device."""
        intro = _(
            "Perte → « Perdu » ; vol → « Volé » (la remise en cours est clôturée) ; "
            "dommage → « En réparation » ; réparation effectuée → retour chez la "
            "coopérative ou en stock."
        )
        return device_form_page(
            self,
            IncidentForm,
            ReportIncident,
            ["device", "kind", "occurred_on", "reported_by", "description"],
            _("Signaler un incident"),
            _("Incident enregistré ; le statut de l'équipement est mis à jour."),
            [intro],
        )


class DeviceAuditView(IsokoModelView):
    """Physical checks: the device was seen on a date, by someone, somewhere."""

    datamodel = ScopedSQLAInterface(DeviceAudit)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_title = _("Contrôles")
    list_columns = ["device", "seen_on", "seen_by", "location", "note"]
    search_columns = ["device", "seen_on", "seen_by", "location"]
    edit_columns = ["seen_by", "location", "note"]
    base_order = ("seen_on", "desc")

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """Record a physical check of a device."""
        return device_form_page(
            self,
            AuditForm,
            RecordAudit,
            ["device", "seen_on", "seen_by", "location", "note"],
            _("Enregistrer un contrôle"),
            _("Contrôle enregistré."),
        )


def imei_field_check(form, field) -> None:
    """The IMEI typed in a device form: spaces and hyphens dropped, 15 digits with a right
    check digit, not another device's (in any province: the database refuses it anyway)."""
    field.data = normalise_imei(field.data)
    error = imei_error(field.data)
    if error is None and field.data is not None:
        other = db.session.scalar(select(Device.id).where(Device.imei == field.data))
        if other is not None and other != getattr(form, "_id", None):
            error = _("Cet IMEI est déjà enregistré pour un autre équipement.")
    if error:
        raise ValidationError(str(error))


class DeviceView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Device)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = ["asset_tag", "serial", "imei", "kind", "model", "status", "province"]
    search_columns = [
        "asset_tag",
        "serial",
        "imei",
        "kind",
        "model",
        "status",
        "province",
        "funder",
    ]
    description_columns = {"imei": _("15 chiffres (composez *#06# sur la tablette).")}
    validators_columns = {"imei": [imei_field_check]}
    add_columns = [
        "asset_tag",
        "serial",
        "imei",
        "kind",
        "model",
        "purchase_date",
        "purchase_cost",
        "funder",
        "province",
    ]
    # The status moves only through hand-overs and incidents.
    edit_columns = ["imei", "model", "purchase_date", "purchase_cost", "funder", "province"]
    show_columns = [*add_columns, "status"]
    related_views = [DeviceAssignmentView, DeviceIncidentView, DeviceAuditView]
    show_template = "isoko/device_show.html"
    method_permission_name = {"checkout": "checkout"}

    @action("checkout", _("Remettre à une coopérative…"), icon="fa-tablet", single=False)
    def checkout(self, items):
        """Open the hand-over form for the ticked devices (one cooperative for all)."""
        return redirect(url_for("DeviceAssignmentView.add_several", devices=ticked_ids(items)))

    def pre_add(self, item):
        item.status = DeviceStatus.IN_STOCK


class DeviceStockView(BaseView):
    """Devices per province and per status, at a glance (within the user's provinces)."""

    route_base = "/devicestockview"
    default_view = "list"

    @expose("/list/")
    @has_access
    def list(self):
        kind = request.args.get("kind") or None
        if kind not in {k.value for k in DeviceKind}:
            kind = None
        table = stock_by_province(db.session, current_scope(), kind)
        return self.render_template(
            "isoko/device_stock.html",
            table=table,
            kinds=list(DeviceKind),
            kind=kind,
            title=_("Stock d'équipements par province"),
        )
