"""The base of every console view: French labels and formats, and province scoping.

Scoping lives in the data interface (console.security.scoped_datamodel): every list,
detail, edit, delete, action, search, dropdown and CSV export of an IsokoModelView
queries through it. Routes a view has no permission for are not even registered.
"""

from __future__ import annotations

import enum

from flask import abort, jsonify, request
from flask_appbuilder import ModelView, expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from sqlalchemy import Boolean, Date, Numeric
from wtforms import BooleanField, SelectField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Optional

from console.formatting import (
    format_date,
    format_datetime,
    format_quantity,
    format_value,
    format_yes_no,
)
from console.models.types import Money, Quantity, Rate, UTCDateTime
from console.security.scoped_datamodel import ScopedSQLAInterface
from console.security.scoping import current_scope, scope_clause
from console.services.money import format_francs, format_rate

from .choices import ChoiceSearchField, choices_page
from .dates import FrenchDateField, date_fields_for
from .export import csv_export_response
from .labels import COLUMN_LABELS

# FAB's CRUD routes and the permission each needs; a route whose permission the view
# does not declare is not registered at all (so /auditeventview/edit/1 is a 404).
ROUTE_PERMISSIONS = {
    "add": "can_add",
    "edit": "can_edit",
    "delete": "can_delete",
    "download": "can_download",
}


class ProvinceScopeFilter(BaseFilter):
    """FAB filter applying the current user's province scope (console.security.scoping).

    IsokoModelView scopes through its data interface already; this filter is for FAB
    views built elsewhere on a plain SQLAInterface.
    """

    name = "Périmètre provincial"
    arg_name = "scope"

    def apply(self, query, value):
        clause = scope_clause(self.model, current_scope())
        return query if clause is None else query.filter(clause)


def _formatter_for(column):
    """The display function for a column's type, or None for plain text."""
    column_type = column.type
    if isinstance(column_type, UTCDateTime):
        return format_datetime
    if isinstance(column_type, Date):
        return format_date
    if isinstance(column_type, Money):
        return format_francs
    if isinstance(column_type, Numeric) and column_type.scale == Rate.scale:
        return format_rate
    if isinstance(column_type, Numeric) and column_type.scale == Quantity.scale:
        return format_quantity
    return None


def _enum_formatter(enum_cls):
    """Show an enum column's label in the user's language (console/translations/model_labels.py).

    FAB hands list and show widgets the member's ``.value``, not the member itself.
    """

    def label(value):
        if value is None or value == "":
            return "—"
        try:
            member = value if isinstance(value, enum.Enum) else enum_cls(value)
        except ValueError:
            return value
        return gettext(member.label) if hasattr(member, "label") else member.value

    return label


def enum_select_field(enum_cls, label, nullable: bool) -> SelectField:
    """A French select for an enum column (FAB's EnumField expects member names, not values)."""

    def coerce(value):
        if value in (None, "", "None"):
            return None
        return value if isinstance(value, enum_cls) else enum_cls(value)

    choices = ([("", "—")] if nullable else []) + [(m.value, _(m.label)) for m in enum_cls]
    validators = [Optional()] if nullable else [DataRequired()]
    return SelectField(label, choices=choices, coerce=coerce, validators=validators)


def _dash_for_empty_choice(form) -> None:
    """FAB's relation selects offer an empty choice whose text WTForms shows as "__None"."""
    for name in dir(form):
        field = getattr(form, name, None)
        if isinstance(field, UnboundField) and field.field_class is QuerySelectField:
            field.kwargs["blank_text"] = "—"


def _has_actions(cls) -> bool:
    return any(hasattr(getattr(cls, name, None), "_action") for name in dir(cls))


class IsokoModelView(ModelView):
    """FAB ModelView with Isoko's labels, French formats, scoped data and French titles."""

    page_size = 25
    list_template = "isoko/list.html"
    # Relation filters on large tables, their options fetched as the user types
    # (console/views/choices.py): column → the related model's text column searched.
    search_choice_columns: dict[str, str] = {}
    # The menu label, set by console.views.register_views; titles derive from it.
    menu_label = None

    def __init__(self, **kwargs):
        if type(self.datamodel) is SQLAInterface:
            # Every console view reads through the scoped interface, whoever wrote it.
            self.datamodel = ScopedSQLAInterface(self.datamodel.obj)
        model = self.datamodel.obj
        labels = dict(COLUMN_LABELS)
        labels.update(self.label_columns or {})
        self.label_columns = labels
        formatters = {}
        for column in model.__table__.columns:
            formatter = _formatter_for(column)
            if formatter is not None:
                formatters[column.key] = formatter
            elif getattr(column.type, "enum_class", None) is not None:
                formatters[column.key] = _enum_formatter(column.type.enum_class)
            elif isinstance(column.type, Boolean):
                formatters[column.key] = format_yes_no
            elif column.nullable:
                formatters[column.key] = format_value
        # Relations read as their labels (« Café, Haricot »), an empty one as « — ».
        for relation in model.__mapper__.relationships:
            formatters.setdefault(relation.key, format_value)
        # The view's own formatters (labels, not francs or dates) also shape its CSV export.
        self.export_formatters = dict(self.formatters_columns or {})
        formatters.update(self.export_formatters)
        self.formatters_columns = formatters
        enum_columns = [
            (c.key, c.type.enum_class, c.nullable)
            for c in model.__table__.columns
            if getattr(c.type, "enum_class", None) is not None
        ]
        form_fields = {
            key: enum_select_field(cls, labels.get(key, key), nullable)
            for key, cls, nullable in enum_columns
        }
        # FAB makes a NOT NULL boolean "required", i.e. a box that must be ticked.
        form_fields |= {
            c.key: BooleanField(
                labels.get(c.key, c.key),
                description=(self.description_columns or {}).get(c.key, ""),
            )
            for c in model.__table__.columns
            if isinstance(c.type, Boolean) and not c.primary_key
        }
        search_fields = {
            key: enum_select_field(cls, labels.get(key, key), True) for key, cls, _n in enum_columns
        }
        search_fields |= {
            column: ChoiceSearchField(
                labels.get(column, column),
                view=self,
                column=column,
                placeholder=_("Tapez pour chercher"),
            )
            for column in self.search_choice_columns
        }
        dates = date_fields_for(
            model, labels, self.description_columns or {}, self.validators_columns or {}
        )
        form_fields = dates | form_fields
        search_fields = {
            key: FrenchDateField(field.args[0], validators=[Optional()])
            for key, field in dates.items()
        } | search_fields
        self.add_form_extra_fields = form_fields | (self.add_form_extra_fields or {})
        self.edit_form_extra_fields = form_fields | (self.edit_form_extra_fields or {})
        self.search_form_extra_fields = search_fields | (self.search_form_extra_fields or {})
        self.exclude_route_methods = set(self.exclude_route_methods) | self._routes_not_permitted()
        super().__init__(**kwargs)
        for form in (self.add_form, self.edit_form, self.search_form):
            _dash_for_empty_choice(form)

    def _routes_not_permitted(self) -> set[str]:
        """FAB's routes this view has no use for: no permission declared, or no action."""
        declared = set(self.base_permissions or [])
        excluded = {route for route, perm in ROUTE_PERMISSIONS.items() if perm not in declared}
        if not self.search_choice_columns:
            excluded.add("choices")
        if not _has_actions(type(self)):
            excluded |= {"action", "action_post"}
        return excluded

    def _init_titles(self):
        label = self.menu_label or self.list_title
        if label:
            self.list_title = self.list_title or label
            self.show_title = self.show_title or _("Détail — %(label)s", label=label)
            self.add_title = self.add_title or _("Ajouter — %(label)s", label=label)
            self.edit_title = self.edit_title or _("Modifier — %(label)s", label=label)
        super()._init_titles()

    # -- detail page ----------------------------------------------------------------

    def show_extra(self, item) -> dict:
        """More context for the detail template (override in a view)."""
        return {}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The row with its related records in tabs; ``item`` is passed to the template."""
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)
        item = self.datamodel.get(pk, self._base_filters)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            item=item,
            **self.show_extra(item),
        )

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        """Delete a row (POST only: a link cannot delete anything)."""
        self._delete(self._deserialize_pk_if_composite(pk))
        return self.post_delete_redirect()

    # -- scoped actions -------------------------------------------------------------
    # FAB's own action routes load rows with datamodel.get(pk) and no base filters, and
    # fail with a 500 on an unknown action name: these answer 404 in both cases.

    def _scoped_item(self, pk):
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    def _permitted_action(self, name):
        action = self.actions.get(name)
        if action is None:
            abort(404)
        if not self.appbuilder.sm.has_access(
            self.get_action_permission_name(name), self.class_permission_name
        ):
            abort(403)
        return action

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        """Run an action on one row (from its detail page)."""
        action = self._permitted_action(name)
        return action.func(self._scoped_item(pk))

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        """Run an action on the rows ticked in a list."""
        action = self._permitted_action(request.form.get("action", ""))
        items = [self._scoped_item(pk) for pk in request.form.getlist("rowid")]
        return action.func(items)

    # -- options of the relation filters on large tables ------------------------------

    @expose("/choices/<column>/")
    @has_access
    @permission_name("list")
    def choices(self, column):
        """Options matching ``?q=`` for a relation filter, as select2 reads them (JSON)."""
        text_column = self.search_choice_columns.get(column)
        if text_column is None:
            abort(404)
        return jsonify(choices_page(self, column, text_column))

    # -- CSV export -----------------------------------------------------------------

    @expose("/csv/")
    @has_access
    @permission_name("list")
    def csv(self):
        """The list as filtered on screen, as a CSV file for a spreadsheet."""
        return csv_export_response(self)
