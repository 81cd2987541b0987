"""The administrator's security screens: FAB's, narrowed to what Isoko uses.

Roles and their permissions come from the policy table (console.security.policy) and are
rewritten by `isoko init-roles`, so the role, group and permission screens are read-only;
users are deactivated rather than deleted, to keep the audit trail's names meaningful.
"""

from __future__ import annotations

from flask import flash, redirect
from flask_appbuilder.actions import action
from flask_appbuilder.security.views import (
    PermissionModelView,
    PermissionViewModelView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
    ViewMenuModelView,
)
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import lazy_gettext as _
from markupsafe import Markup
from wtforms.validators import ValidationError

from console.formatting import format_datetime, format_value, format_yes_no

from .login_throttle import login_throttle
from .password_views import confirmation_field, new_password_field
from .policy import COORDINATOR


def at_least_one_role(form, field) -> None:
    """Every account needs a role: without one it can do nothing."""
    if not field.data:
        raise ValidationError(_("Choisissez au moins un rôle."))


def coordinator_needs_a_province(form, field) -> None:
    """A coordinator without a province would see nothing: refuse the form."""
    roles = getattr(form, "roles", None)
    role_names = {role.name for role in (roles.data or [])} if roles is not None else set()
    if COORDINATOR in role_names and not field.data:
        raise ValidationError(_("Un coordinateur provincial doit avoir au moins une province."))


class IsokoUserDBModelView(UserDBModelView):
    """FAB's user screen, plus each user's provinces and failed sign-ins; no deletion."""

    exclude_route_methods = {"delete", "download"}
    # FAB's password fields, with the Isoko rules and French labels.
    add_form_extra_fields = {
        "password": new_password_field(),
        "conf_password": confirmation_field(),
    }
    list_columns = [
        "first_name",
        "last_name",
        "username",
        "email",
        "active",
        "roles",
        "provinces",
        "last_login",
        "fail_login_count",
    ]
    search_columns = [
        "first_name",
        "last_name",
        "username",
        "email",
        "active",
        "roles",
        "provinces",
        "last_login",
        "fail_login_count",
    ]
    add_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "roles",
        "provinces",
        "password",
        "conf_password",
    ]
    edit_columns = ["first_name", "last_name", "username", "active", "email", "roles", "provinces"]
    show_fieldsets = [
        (_("Compte"), {"fields": ["username", "active", "roles", "provinces"]}),
        (_("Identité"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
        (
            _("Connexions"),
            {
                "fields": [
                    "last_login",
                    "login_count",
                    "fail_login_count",
                    "created_on",
                    "changed_on",
                ],
                "expanded": True,
            },
        ),
    ]
    # What every user sees of their own account, provinces included.
    user_show_fieldsets = [
        (_("Compte"), {"fields": ["username", "active", "roles", "provinces"]}),
        (_("Identité"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
    ]
    label_columns = {
        **UserDBModelView.label_columns,
        "provinces": _("Provinces"),
        "last_login": _("Dernière connexion"),
        "fail_login_count": _("Échecs de connexion"),
    }
    description_columns = {
        **UserDBModelView.description_columns,
        "roles": _("Ce que l'utilisateur peut faire dans la console."),
        "provinces": _(
            "Pour un coordinateur provincial : les provinces qu'il peut voir. "
            "Les autres rôles voient tout le pays."
        ),
    }
    # People read « Oui », « Admin, PNUD » and Bujumbura time, not True, [Admin] or UTC.
    formatters_columns = {
        "active": format_yes_no,
        "roles": format_value,
        "groups": format_value,
        "provinces": format_value,
        "last_login": format_datetime,
        "fail_login_count": format_value,
        "login_count": format_value,
        "created_on": format_datetime,
        "changed_on": format_datetime,
    }
    # Groups are not used (roles come from the policy): FAB's roles-or-groups check
    # becomes "at least one role".
    validators_columns = {
        "roles": [at_least_one_role],
        "provinces": [coordinator_needs_a_province],
    }

    @action(
        "unlocklogin",
        _("Débloquer la connexion"),
        _("Effacer les échecs de connexion de ces comptes ?"),
        "fa-unlock",
    )
    def unlocklogin(self, items):
        """Forget the accounts' failed sign-ins: they may sign in again at once."""
        items = items if isinstance(items, list) else [items]
        throttle = login_throttle()
        for user in items:
            if throttle is not None:
                throttle.unlock(username=user.username)
            user.fail_login_count = 0
            self.appbuilder.sm.update_user(user)
        flash(
            _("Connexion débloquée : %(names)s.", names=", ".join(u.username for u in items)),
            "info",
        )
        return redirect(self.get_redirect())


class ReadOnlyRoleModelView(RoleModelView):
    """Roles as init-roles made them, to read; change them in the policy table."""

    include_route_methods = {"list", "show"}
    base_permissions = ["can_list", "can_show"]
    copy_role = None
    label_columns = {
        **RoleModelView.label_columns,
        "user": _("Utilisateurs"),
        "groups": _("Groupes"),
    }
    # FAB's role list prints the permissions as a Python list; the detail page lists them.
    list_widget = ListWidget
    show_widget = ShowWidget
    list_columns = ["name", "user"]
    formatters_columns = {
        "user": format_value,
        # One permission a line, named as in the policy table (console/security/policy.py).
        "permissions": lambda permissions: Markup("<br>").join(str(p) for p in permissions),
    }


class ReadOnlyGroupModelView(UserGroupModelView):
    include_route_methods = {"list", "show"}
    base_permissions = ["can_list", "can_show"]
    # FAB derives these headers from the column names, in English.
    label_columns = {
        "name": _("Nom"),
        "label": _("Libellé"),
        "description": _("Description"),
        "roles": _("Rôles"),
        "users": _("Utilisateurs"),
    }


class ReadOnlyPermissionModelView(PermissionModelView):
    include_route_methods = {"list"}


class ReadOnlyViewMenuModelView(ViewMenuModelView):
    include_route_methods = {"list"}


class ReadOnlyPermissionViewModelView(PermissionViewModelView):
    include_route_methods = {"list"}
    label_columns = {**PermissionViewModelView.label_columns, "role": _("Rôle")}
