"""Server-side end of sessions: a per-user session version checked on every request.

Flask's session is a signed cookie: without this, a cookie copied before sign-out or
before a password change kept working until it expired (8 hours). Each user row holds
``session_epoch``; signing in copies it into the session, every request compares the two
(``IsokoSecurityManager.load_user``), and these raise it, ending every earlier session:

- signing out (``IsokoSecurityManager.on_user_logout``);
- a new password, a deactivation or a change of roles, by whatever path (the Admin's
  screens, the user's own form, the command line): attribute events on the user row.
"""

from __future__ import annotations

from flask import Flask, session
from flask_appbuilder.security.sqla.models import User
from flask_login import user_logged_in
from sqlalchemy import event, inspect
from sqlalchemy.orm.attributes import NO_VALUE

SESSION_EPOCH_KEY = "_isoko_epoch"


def end_sessions(user) -> None:
    """End every session the user opened so far (the caller commits)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def session_is_current(user) -> bool:
    """Whether the request's session was opened under the user's current version."""
    return session.get(SESSION_EPOCH_KEY) == (user.session_epoch or 0)


def keep_this_session(user) -> None:
    """Carry the current session over a change that ended the others (own password)."""
    session[SESSION_EPOCH_KEY] = user.session_epoch or 0


def _remember_epoch(_app, user, **_extra) -> None:
    keep_this_session(user)


def _persisted(user) -> bool:
    return inspect(user).has_identity


def _on_password(user, value, oldvalue, _initiator):
    if _persisted(user) and oldvalue is not NO_VALUE and value != oldvalue:
        end_sessions(user)


def _on_active(user, value, oldvalue, _initiator):
    if _persisted(user) and oldvalue is not NO_VALUE and oldvalue and not value:
        end_sessions(user)


def _on_roles(user, _role, _initiator):
    if _persisted(user):
        end_sessions(user)


def install_session_versions(app: Flask) -> None:
    """Copy the version into the session at sign-in; raise it on account changes (once)."""
    user_logged_in.connect(_remember_epoch, app, weak=False)
    if not event.contains(User.password, "set", _on_password):
        event.listen(User.password, "set", _on_password, active_history=True)
        event.listen(User.active, "set", _on_active, active_history=True)
        event.listen(User.roles, "append", _on_roles)
        event.listen(User.roles, "remove", _on_roles)
