"""User accounts created outside the web console (first run, command line)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass


def random_password(length: int = 16) -> str:
    """A random password that passes FAB's complexity rule (2 capitals, 2 digits, 1 special…)."""
    from flask_appbuilder.validators import (
        PasswordComplexityValidationError,
        default_password_complexity,
    )

    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(length - 1))
        candidate = body + secrets.choice("!#%+-=?@")
        try:
            default_password_complexity(candidate)
        except PasswordComplexityValidationError:
            continue
        return candidate


@dataclass(frozen=True)
class CreatedAdmin:
    username: str
    password: str
    generated: bool


def create_admin(
    appbuilder, username: str, email: str, password: str | None
) -> CreatedAdmin | None:
    """Create an Admin user; None when the username is taken. Generates a password if none."""
    sm = appbuilder.sm
    if sm.find_user(username=username):
        return None
    generated = password is None
    password = password or random_password()
    role = sm.find_role(appbuilder.sm.auth_role_admin)
    user = sm.add_user(username, "Administrateur", "Isoko", email, role, password=password)
    if not user:
        raise RuntimeError("La création de l'administrateur a échoué (voir le journal).")
    return CreatedAdmin(username, password, generated)


def any_admin_exists(appbuilder) -> bool:
    """Whether some user holds the Admin role."""
    sm = appbuilder.sm
    role = sm.find_role(sm.auth_role_admin)
    return bool(
        role and sm.session.query(sm.user_model).filter(sm.user_model.roles.contains(role)).first()
    )
