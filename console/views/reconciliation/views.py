"""Thin FAB pages over the reconciliation services: summary, drill-down, flags, what-if."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import DataRequired

from console import models as m
from console.extensions import db
from console.formatting import format_quantity
from console.models.tax_settings import TaxSetting
from console.reference.tax_settings import SETTING_NAMES, TAX_SETTINGS
from console.security.scoping import current_scope
from console.services.areas import provinces_in_scope
from console.services.periods import GRAINS
from console.services.tax.engine import KIND_VAT, RuleConflictError
from console.services.tax.leakage import KIND_LABELS, leakage_flags
from console.services.tax.reconciliation import (
    lines_for_seller,
    reconcile,
    reconciliation_totals,
    seller_in_scope,
)
from console.services.tax.stamping import load_rules
from console.services.tax.what_if import what_if_period

from ..base import IsokoModelView
from .filters import GRAIN_LABELS, parse_draft, parse_filters

DRILL_DOWN_LIMIT = 2000  # lines shown on one drill-down page
PAGE_SIZE = 250  # rows of the summary and flags tables per page


@dataclass(frozen=True)
class Pager:
    """One page of a long table: which rows, and the links' page numbers."""

    number: int
    pages: int
    first: int  # 1-based index of the first row shown
    last: int
    total: int


def _paginate(rows: list) -> tuple[list, Pager]:
    """The rows of the page asked in the URL (page 1 when absent or invalid)."""
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    try:
        number = min(max(1, int(request.args.get("page", "1"))), pages)
    except ValueError:
        number = 1
    start = (number - 1) * PAGE_SIZE
    shown = rows[start : start + PAGE_SIZE]
    return shown, Pager(number, pages, start + 1, start + len(shown), len(rows))


def _filters():
    """The page filters from the URL, flashing a French message for each rejected value."""
    filters = parse_filters(request.args, db.session, current_scope())
    for message in filters.errors:
        flash(message, "warning")
    return filters


def _common(filters) -> dict:
    """What every page's filter bar needs."""
    return {
        "filters": filters,
        "provinces": provinces_in_scope(db.session, current_scope()),
        "grains": [(g, GRAIN_LABELS[g]) for g in GRAINS],
    }


class TaxReconciliationView(BaseView):
    """Rapprochement fiscal: due, collected, remitted and the gaps, per seller and period."""

    route_base = "/rapprochement"
    default_view = "index"
    # Both pages read data: one "can_read" permission the policy grants as READ.
    method_permission_name = {"index": "read", "seller": "read"}

    @expose("/")
    @has_access
    def index(self):
        filters = _filters()
        rows = reconcile(
            db.session,
            current_scope(),
            filters.start,
            filters.end,
            filters.grain,
            province_id=filters.province_id,
        )
        shown, pager = _paginate(rows)
        return self.render_template(
            "reconciliation/summary.html",
            rows=shown,
            pager=pager,
            totals=reconciliation_totals(rows),
            **_common(filters),
        )

    @expose("/vendeur/<int:seller_id>")
    @has_access
    def seller(self, seller_id: int):
        scope = current_scope()
        seller = seller_in_scope(db.session, scope, seller_id)
        if seller is None:
            abort(404)
        filters = _filters()
        rows = reconcile(
            db.session, scope, filters.start, filters.end, filters.grain, seller_id=seller_id
        )
        lines = lines_for_seller(
            db.session, scope, seller_id, filters.start, filters.end, limit=DRILL_DOWN_LIMIT + 1
        )
        return self.render_template(
            "reconciliation/seller.html",
            seller=seller,
            rows=rows,
            totals=reconciliation_totals(rows),
            lines=lines[:DRILL_DOWN_LIMIT],
            truncated=len(lines) > DRILL_DOWN_LIMIT,
            limit=DRILL_DOWN_LIMIT,
            **_common(filters),
        )


class LeakageFlagView(BaseView):
    """Signalements: possible tax leaks, each with its figures and evidence."""

    route_base = "/signalements"
    default_view = "index"
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        filters = _filters()
        kind = request.args.get("type") or None
        if kind is not None and kind not in KIND_LABELS:
            flash(
                f"Type de signalement inconnu : « {kind} » ; tous les types sont affichés.",
                "warning",
            )
            kind = None
        try:
            flags = leakage_flags(
                db.session,
                current_scope(),
                filters.start,
                filters.end,
                province_id=filters.province_id,
            )
        except RuleConflictError as error:
            flash(f"Règles fiscales en conflit, à corriger d'abord : {error}", "danger")
            flags = []
        counts = {k: 0 for k in KIND_LABELS}
        for flag in flags:
            counts[flag.kind] += 1
        shown, pager = _paginate([f for f in flags if kind is None or f.kind == kind])
        return self.render_template(
            "reconciliation/flags.html",
            flags=shown,
            pager=pager,
            counts=counts,
            kind=kind,
            kind_labels=KIND_LABELS,
            **_common(filters),
        )


class TaxWhatIfView(BaseView):
    """Simulation: a past period's tax under a draft rule set, without writing anything."""

    route_base = "/simulation"
    default_view = "index"
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        filters = _filters()
        rules = load_rules(db.session)
        draft, problem = parse_draft(rules, request.args, db.session)
        if problem:
            flash(problem, "warning")
        result = None
        if draft is not None:
            try:
                result = what_if_period(
                    db.session,
                    current_scope(),
                    filters.start,
                    filters.end,
                    draft,
                    current_rules=rules,
                    province_id=filters.province_id,
                )
            except RuleConflictError as error:
                flash(f"Le projet crée un conflit entre règles : {error}", "warning")
        vat_rules = [r for r in rules if r.kind == KIND_VAT and r.base == "sale"]
        categories = list(db.session.scalars(select(m.Category).order_by(m.Category.name)))
        return self.render_template(
            "reconciliation/what_if.html",
            result=result,
            rules=vat_rules,
            categories=categories,
            category_names={c.id: c.name for c in categories},
            args=request.args,
            **_common(filters),
        )


class TaxSettingView(IsokoModelView):
    """Paramètres fiscaux: dated thresholds (VAT registration, flag heuristics)."""

    datamodel = SQLAInterface(TaxSetting)
    menu_label = _("Paramètres fiscaux")  # titles of its pages (not FAB's "List Tax Setting")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = ["key", "value", "valid_from", "description"]
    add_columns = edit_columns = show_columns = ["key", "value", "valid_from", "description"]
    label_columns = {"key": "Paramètre", "value": "Valeur", "valid_from": "En vigueur à partir du"}
    # Numeric(18, 4) would otherwise display as a rate: these are plain numbers.
    formatters_columns = {
        "value": format_quantity,
        "key": lambda key: SETTING_NAMES.get(key, key),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "key": SelectField(
            "Paramètre",
            choices=[(key, SETTING_NAMES[key]) for key, _value, _text in TAX_SETTINGS],
            validators=[DataRequired()],
        )
    }
    base_order = ("key", "asc")
