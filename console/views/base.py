"""The base of every console view: French labels and formats, and province scoping."""

from __future__ import annotations

import enum

from flask_appbuilder import ModelView
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import Date, Numeric
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from console.formatting import format_date, format_datetime, format_quantity
from console.models.types import Money, Quantity, Rate, UTCDateTime
from console.security.scoping import current_scope, is_scoped, scope_clause
from console.services.money import format_francs, format_rate

from .labels import COLUMN_LABELS


class ProvinceScopeFilter(BaseFilter):
    """FAB base filter applying the current user's province scope (console.security.scoping).

    As a base filter it also limits show, edit, delete and the REST API, so a guessed
    id from another province is "not found".
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


def _enum_label(value):
    return getattr(value, "label", value) if isinstance(value, enum.Enum) else value


def enum_select_field(enum_cls, label, nullable: bool) -> SelectField:
    """A French select for an enum column (FAB's EnumField expects member names, not values)."""

    def coerce(value):
        if value in (None, "", "None"):
            return None
        return value if isinstance(value, enum_cls) else enum_cls(value)

    choices = ([("", "—")] if nullable else []) + [(m.value, m.label) for m in enum_cls]
    validators = [Optional()] if nullable else [DataRequired()]
    return SelectField(label, choices=choices, coerce=coerce, validators=validators)


class IsokoModelView(ModelView):
    """FAB ModelView with Isoko's labels, French formats and province scoping."""

    page_size = 25
    list_template = "appbuilder/general/model/list.html"

    def __init__(self, **kwargs):
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
                formatters[column.key] = _enum_label
        formatters.update(self.formatters_columns or {})
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
        search_fields = {
            key: enum_select_field(cls, labels.get(key, key), True) for key, cls, _ in enum_columns
        }
        self.add_form_extra_fields = form_fields | (self.add_form_extra_fields or {})
        self.edit_form_extra_fields = form_fields | (self.edit_form_extra_fields or {})
        self.search_form_extra_fields = search_fields | (self.search_form_extra_fields or {})
        if is_scoped(model):
            self.base_filters = [["id", ProvinceScopeFilter, lambda: None], *(self.base_filters or [])]
        super().__init__(**kwargs)
