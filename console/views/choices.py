"""Search filters on a large related table (sellers, buyers): options fetched on demand.

FAB renders every option of a relation filter into each list page, hidden until the
user adds that filter: the orders list carried its 600 sellers, about half of the
page's CPU, and could not offer a buyer filter at all. Here the filter holds only the
values already chosen; /<view>/choices/<column>/ answers what the user types, twenty
at a time, through the view's scoped related interface (a coordinator is offered only
their provinces' records). console/static/isoko/choices.js turns the field into a
select2 search box.
"""

from __future__ import annotations

import re

from flask import request, url_for
from markupsafe import Markup, escape
from sqlalchemy.orm import lazyload
from wtforms import Field

from console.security.scoped_datamodel import BIGGEST_ID
from console.security.scoping import apply_scope, current_scope

PAGE = 20
TERM_MAX = 60


def chosen_values(column: str) -> list[str]:
    """The values the list's active filters give ``column`` (``_flt_<op>_<column>``)."""
    pattern = re.compile(rf"^_flt_\d+_{re.escape(column)}$")
    return [
        value for key in request.args if pattern.match(key) for value in request.args.getlist(key)
    ]


class ChoiceSearchWidget:
    """A select holding only the chosen options; the script fetches the others."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        css = f"{kwargs.pop('class', '')} form-control isoko-choice-search".strip()
        options = [Markup('<option value=""></option>')]
        for pk, label in field.chosen_labels():
            options.append(Markup('<option value="{}" selected>{}</option>').format(pk, label))
        return Markup(
            '<select name="{}" id="{}" class="{}" data-choices-url="{}" '
            'data-placeholder="{}">{}</select>'
        ).format(
            field.name,
            kwargs["id"],
            css,
            field.choices_url(),
            field.placeholder,
            Markup("").join(options),
        )


class ChoiceSearchField(Field):
    """A relation filter whose options come from the view's choices route."""

    widget = ChoiceSearchWidget()

    def __init__(self, label, *, view, column: str, placeholder: str, **kwargs):
        super().__init__(label, **kwargs)
        self.view, self.column, self.placeholder = view, column, placeholder

    def choices_url(self) -> str:
        return url_for(f"{self.view.endpoint}.choices", column=self.column)

    def chosen_labels(self) -> list[tuple[str, str]]:
        """(pk, label) of the values already filtered on, that the user may see."""
        related = self.view.datamodel.get_related_interface(self.column)
        found = []
        for value in chosen_values(self.column):
            item = related.get(value) if value.isdigit() and int(value) <= BIGGEST_ID else None
            if item is not None:
                found.append((str(related.get_pk_value(item)), escape(str(item))))
        return found


def choices_page(view, column: str, text_column: str) -> dict:
    """One page of select2 results for ``?q=…&page=…`` (scoped, ordered by name)."""
    related = view.datamodel.get_related_interface(column)
    model = related.obj
    term = (request.args.get("q") or "").strip()[:TERM_MAX]
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1
    text = getattr(model, text_column)
    # Only names are shown: the rows' own relations (a cooperative's value chains) stay unloaded.
    query = apply_scope(related.session.query(model), model, current_scope()).options(lazyload("*"))
    if term:  # case-insensitive, with "%" and "_" matched as letters
        query = query.filter(text.icontains(term, autoescape=True))
    rows = query.order_by(text, related.get_pk()).offset((page - 1) * PAGE).limit(PAGE + 1).all()
    return {
        "results": [{"id": related.get_pk_value(r), "text": str(r)} for r in rows[:PAGE]],
        "pagination": {"more": len(rows) > PAGE},
    }
