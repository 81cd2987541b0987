"""Password forms in French: the user's own change (asks for the current password) and
the Admin's reset. Both keep FAB's class names, which its menus and actions link to.

A new password ends every other session of the account (console.security.sessions);
the user who changed their own keeps the session they did it from.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, request
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security import views as fab_views
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from .passwords import RULES_TEXT, PasswordRules
from .sessions import keep_this_session


def _current_password_matches(form, field) -> None:
    if not check_password_hash(g.user.password or "", field.data or ""):
        raise ValidationError(_("Mot de passe actuel incorrect."))


def new_password_field() -> PasswordField:
    return PasswordField(
        _("Nouveau mot de passe"),
        description=RULES_TEXT,
        validators=[DataRequired(), PasswordRules()],
        widget=BS3PasswordFieldWidget(),
    )


def confirmation_field() -> PasswordField:
    return PasswordField(
        _("Confirmez le mot de passe"),
        description=_("Retapez le nouveau mot de passe."),
        validators=[
            DataRequired(),
            EqualTo("password", message=_("Les deux mots de passe doivent être identiques.")),
        ],
        widget=BS3PasswordFieldWidget(),
    )


class OwnPasswordForm(DynamicForm):
    current_password = PasswordField(
        _("Mot de passe actuel"),
        validators=[DataRequired(), _current_password_matches],
        widget=BS3PasswordFieldWidget(),
    )
    password = new_password_field()
    conf_password = confirmation_field()


class NewPasswordForm(DynamicForm):
    password = new_password_field()
    conf_password = confirmation_field()


class ResetMyPasswordView(fab_views.ResetMyPasswordView):
    """The signed-in user changes their own password, proving they know the current one."""

    form = OwnPasswordForm
    form_title = _("Changer mon mot de passe")

    def form_post(self, form) -> None:
        sm = current_app.appbuilder.sm
        sm.reset_password(g.user.id, form.password.data)
        keep_this_session(sm.get_user_by_id(g.user.id))
        flash(gettext("Mot de passe modifié. Vos autres sessions ont été fermées."), "info")


class ResetPasswordView(fab_views.ResetPasswordView):
    """The Admin sets a user's new password; the user's sessions end."""

    form = NewPasswordForm
    form_title = _("Nouveau mot de passe")

    def _account(self):
        user = current_app.appbuilder.sm.get_user_by_id(request.args.get("pk"))
        if user is None:
            abort(404)
        return user

    def form_get(self, form) -> None:
        self._account()

    def form_post(self, form) -> None:
        current_app.appbuilder.sm.reset_password(self._account().id, form.password.data)
        flash(gettext("Mot de passe modifié. Les sessions de ce compte ont été fermées."), "info")
