"""Tax rules (validity periods, closing instead of rewriting) and OBR remittances."""

from __future__ import annotations

from types import SimpleNamespace

from flask import flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import lazy_gettext as _
from wtforms.validators import ValidationError

from console.extensions import db
from console.models import TaxRemittance, TaxRule
from console.security.scoped_datamodel import ScopedSQLAInterface
from console.services.tax.rules import (
    CloseTaxRule,
    change_errors,
    coverage,
    rule_errors,
    usage_count,
)

from .base import IsokoModelView
from .forms import CloseRuleForm
from .workflow import open_row_form, render_form_page, run_command


def _form_rule(form) -> SimpleNamespace:
    """The rule as the form describes it, for the tax engine's checks."""

    def value(name):
        field = getattr(form, name, None)
        return field.data if field is not None else None

    category = value("category")
    return SimpleNamespace(
        id=getattr(form, "_id", None),
        code=value("code") or "",
        name=value("name") or "",
        kind=value("kind"),
        base=value("base"),
        rate=value("rate"),
        is_exemption=bool(value("is_exemption")),
        category_id=getattr(category, "id", None),
        seller_condition=value("seller_condition"),
        valid_from=value("valid_from"),
        valid_to=value("valid_to"),
        legal_reference=value("legal_reference"),
    )


def rule_is_consistent(form, field) -> None:
    """Refuse a rule that overlaps another of the same scope (the engine's messages)."""
    errors = rule_errors(db.session, _form_rule(form))
    if errors:
        raise ValidationError(" ".join(str(e) for e in errors))


def category_or_all(category) -> str:
    """A rule's scope as users read it."""
    return str(category) if category is not None else str(_("Toutes les catégories"))


class TaxRuleView(IsokoModelView):
    datamodel = ScopedSQLAInterface(TaxRule)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    method_permission_name = {"close": "close"}
    list_columns = [
        "code",
        "name",
        "kind",
        "rate",
        "category",
        "seller_condition",
        "valid_from",
        "valid_to",
    ]
    search_columns = ["code", "name", "kind", "category", "valid_from", "valid_to", "is_exemption"]
    show_columns = [
        "code",
        "name",
        "kind",
        "base",
        "rate",
        "is_exemption",
        "category",
        "seller_condition",
        "valid_from",
        "valid_to",
        "remittance_deadline_days",
        "legal_reference",
    ]
    add_columns = edit_columns = show_columns
    label_columns = {"category": _("Catégories couvertes")}
    description_columns = {
        "rate": _("Une fraction, avec un point : 0.18 pour 18 %."),
        "category": _("Vide : toutes les catégories (sauf celles qui ont une règle plus précise)."),
        "valid_to": _("Dernier jour inclus ; vide : sans date de fin."),
    }
    formatters_columns = {"category": category_or_all}
    validators_columns = {"valid_from": [rule_is_consistent]}
    show_template = "isoko/tax_rule_show.html"
    base_order = ("code", "asc")

    def show_extra(self, item) -> dict:
        return {
            "coverage": coverage(db.session, item),
            "usage_count": usage_count(db.session, item.id),
        }

    def _refuse_if_used(self, pk):
        rule = self._scoped_item(pk)
        errors = change_errors(db.session, rule)
        for message in errors:
            flash(str(message), "danger")
        return redirect(url_for(f"{self.endpoint}.show", pk=rule.id)) if errors else None

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        """FAB's edit, refused for a rule already applied to recorded sales."""
        return self._refuse_if_used(pk) or super().edit(pk)

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        """FAB's delete, refused for a rule already applied to recorded sales."""
        return self._refuse_if_used(pk) or super().delete(pk)

    @action("close", _("Clôturer (date de fin)"), icon="fa-calendar-times-o", multiple=False)
    def close(self, item):
        """Open the closing form for one rule."""
        return open_row_form(self, item, "close_form", _("Choisissez une seule règle."))

    @expose("/close/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("close")
    def close_form(self, pk):
        """End a rule on a date, so that a new rule can take over the next day."""
        rule = self._scoped_item(pk)
        form = CloseRuleForm(request.form)
        if request.method == "POST" and form.validate():
            closed = run_command(
                CloseTaxRule(db.session, rule, form.valid_to.data),
                _(
                    "Règle « %(code)s » clôturée. Créez maintenant la règle qui lui succède.",
                    code=rule.code,
                ),
            )
            if closed is not None:
                return redirect(url_for(f"{self.endpoint}.show", pk=rule.id))
        intro = [
            _("Règle : %(code)s — %(name)s", code=rule.code, name=rule.name),
            _(
                "Appliquée à %(n)s ligne(s) de commande : ces ventes gardent leur taux.",
                n=usage_count(db.session, rule.id),
            ),
        ]
        return render_form_page(self, form, _("Clôturer la règle"), ["valid_to"], intro)


class TaxRemittanceView(IsokoModelView):
    datamodel = ScopedSQLAInterface(TaxRemittance)
    base_permissions = ["can_list", "can_show"]
    list_columns = [
        "cooperative",
        "tax_kind",
        "period_start",
        "period_end",
        "amount",
        "obr_receipt_ref",
        "remitted_on",
    ]
    search_columns = ["cooperative", "tax_kind", "period_start", "obr_receipt_ref", "remitted_on"]
    base_order = ("remitted_on", "desc")
