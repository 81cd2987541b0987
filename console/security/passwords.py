"""Password rules, in French: FAB's complexity, and never the account's username.

One owner for what a password must be: the Admin's new-user form, the Admin's reset
form and the user's own change form all call :class:`PasswordRules`; FAB's own
complexity check (``FAB_PASSWORD_COMPLEXITY_VALIDATOR``) calls :func:`check_complexity`.
"""

from __future__ import annotations

from flask import g, has_request_context, request
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.validators import password_complexity_regex
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from wtforms.validators import ValidationError

RULES_TEXT = _(
    "Au moins 10 caractères, dont 2 majuscules, 3 minuscules, 2 chiffres et un caractère "
    "spécial ; sans votre identifiant."
)


def password_problems(password: str, username: str | None) -> list[str]:
    """What is wrong with ``password`` for the account ``username`` (empty when it is fine)."""
    problems = []
    if not password_complexity_regex.search(password or ""):
        problems.append(
            gettext(
                "Mot de passe trop faible : au moins 10 caractères, dont 2 majuscules, "
                "3 minuscules, 2 chiffres et un caractère spécial."
            )
        )
    if username and username.strip().casefold() in (password or "").casefold():
        problems.append(gettext("Le mot de passe ne doit pas contenir l'identifiant du compte."))
    return problems


def check_complexity(password: str) -> None:
    """FAB's complexity hook, with the message in French."""
    problems = password_problems(password, None)
    if problems:
        raise PasswordComplexityValidationError(problems[0])


def _account_username(form) -> str | None:
    """The account a password form is for: the form's own username (a new user), the
    ``?pk=`` of the Admin's reset form, else the signed-in user (their own form)."""
    field = getattr(form, "username", None)
    if field is not None:
        return field.data
    if not has_request_context():
        return None
    from flask import current_app

    pk = request.args.get("pk")
    if pk is not None:
        user = current_app.appbuilder.sm.get_user_by_id(pk)
        return user.username if user is not None else None
    user = getattr(g, "user", None)
    return user.username if user is not None and user.is_authenticated else None


class PasswordRules:
    """WTForms validator: complexity, and no username inside the password."""

    def __call__(self, form, field) -> None:
        problems = password_problems(field.data or "", _account_username(form))
        if problems:
            raise ValidationError(" ".join(problems))
