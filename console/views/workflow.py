"""What the workflow screens share: run a command in one transaction, show a form page."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder.widgets import FormWidget

from console.extensions import db
from console.security.scoping import current_scope, get_in_scope
from console.services.commands import Command, CommandError

FORM_TEMPLATE = "isoko/form.html"


def run_command(command: Command, success: str | None = None):
    """Run ``command`` and commit; on refusal flash every error and write nothing.

    Returns the command's result, or None when it was refused.
    """
    try:
        result = command.run()
        db.session.commit()
    except CommandError as refused:
        db.session.rollback()
        for message in refused.errors:
            flash(str(message), "danger")
        return None
    except Exception:
        db.session.rollback()
        raise
    if success:
        flash(str(success), "success")
    return result


def render_form_page(
    view,
    form,
    title,
    columns: list[str],
    intro: list[str] | None = None,
    links: list[tuple[str, str]] | None = None,
):
    """A console page with an introduction and one form (FAB's look)."""
    widget = FormWidget(form=form, include_cols=columns, exclude_cols=[], fieldsets=[])
    return view.render_template(
        FORM_TEMPLATE,
        title=title,
        intro=intro or [],
        links=links or [],
        widgets={"edit": widget},
        appbuilder=view.appbuilder,
    )


def ticked_ids(items) -> str:
    """The ids of the rows ticked in a list (an action's items), for a form page's URL."""
    return ",".join(str(item.id) for item in (items if isinstance(items, list) else [items]))


def ticked_rows(model, arg: str) -> list:
    """The rows named by the form page's ``?<arg>=1,2,3``, read through the user's scope:
    one the user may not see answers 404 (as its detail page would)."""
    ids = [part for part in request.args.get(arg, "").split(",") if part.strip()]
    rows = [get_in_scope(db.session, model, pk, current_scope()) for pk in ids]
    if any(row is None for row in rows):
        abort(404)
    return rows


def one_row(item):
    """The row a single-row action acts on: FAB passes the row from its page, or the list
    of rows ticked on the list page; None when several were ticked."""
    if isinstance(item, list):
        return item[0] if len(item) == 1 else None
    return item


def back_to_list(view, message):
    """Warn and go back to the view's list: an action refused before any change."""
    flash(str(message), "warning")
    return redirect(url_for(f"{view.endpoint}.list"))


def open_row_form(view, item, form_endpoint: str, refusal):
    """A single-row action opening the row's form page (``form_endpoint`` of the view), or
    back to the list with ``refusal`` when several rows were ticked."""
    row = one_row(item)
    if row is None:
        return back_to_list(view, refusal)
    return redirect(url_for(f"{view.endpoint}.{form_endpoint}", pk=row.id))
