"""Dates as people type and read them: ``jj/mm/aaaa``, ISO ``aaaa-mm-jj`` accepted too.

Every console form's date field is a ``FrenchDateField`` (IsokoModelView puts one on
each Date column; console/views/forms.py uses it too). Its widget carries the French
date picker (FAB's bundled bootstrap-datepicker with console/static/isoko/datepicker.fr.js:
no CDN, the CSP allows only 'self').
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from markupsafe import Markup
from wtforms import DateField
from wtforms.validators import ValidationError
from wtforms.widgets import html_params

from console.formatting import DATE_SHOWN, DATES_TYPED, parse_date


class FrenchDatePickerWidget:
    """A text input with the French date picker (initialised by console/static/isoko/dates.js)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("name", field.name)
        kwargs.setdefault("placeholder", "jj/mm/aaaa")
        kwargs.setdefault("autocomplete", "off")
        params = html_params(type="text", value=field._value(), **kwargs)
        return Markup(
            '<div class="input-group isoko-date">'
            '<span class="input-group-addon"><i class="fa fa-calendar"></i></span>'
            f'<input class="form-control" {params}></div>'
        )


class FrenchDateField(DateField):
    """A date typed ``jj/mm/aaaa`` (or ISO), shown ``jj/mm/aaaa``; a wrong date keeps its text."""

    widget = FrenchDatePickerWidget()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("format", None)
        super().__init__(label, validators, format=list(DATES_TYPED), **kwargs)

    def _value(self):
        if self.raw_data:  # what the person typed, even if refused: never emptied
            return " ".join(self.raw_data)
        return self.data.strftime(DATE_SHOWN) if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist or not " ".join(valuelist).strip():
            self.data = None
            return
        try:
            self.data = parse_date(" ".join(valuelist))
        except ValueError:
            self.data = None
            raise ValidationError(
                _("Date invalide : écrivez-la jj/mm/aaaa, par exemple 03/12/2026.")
            ) from None


def date_fields_for(
    model, labels: dict, descriptions: dict, validators: dict | None = None
) -> dict:
    """A FrenchDateField for each Date column of ``model`` (FAB would make an ISO-only one).

    ``validators`` is the view's ``validators_columns``: FAB applies them only to the fields
    it builds, so a replaced field must carry them itself (a tax rule's overlap check).
    """
    validators = validators or {}
    from sqlalchemy import Date
    from wtforms.validators import DataRequired, Optional

    return {
        column.key: FrenchDateField(
            labels.get(column.key, column.key),
            validators=([Optional()] if column.nullable else [DataRequired()])
            + list(validators.get(column.key, ())),
            description=descriptions.get(column.key, ""),
        )
        for column in model.__table__.columns
        if isinstance(column.type, Date) and not column.primary_key
    }
