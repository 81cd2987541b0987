"""What the workflow screens share: run a command in one transaction, show a form page."""

from __future__ import annotations

from flask import flash
from flask_appbuilder.widgets import FormWidget

from console.extensions import db
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
