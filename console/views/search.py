"""The navbar's search box: one word finds cooperatives, devices, orders and buyers by any
of their identifiers, within the user's provinces (console/security/scoping.py)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _

from console import models as m
from console.extensions import db
from console.security.scoping import current_scope, scope_clause
from console.text_match import contains_folded

PER_KIND = 20  # hits shown per kind of record; the list page has the rest


@dataclass(frozen=True)
class Searched:
    """A kind of record the box searches: its identifiers and the page that shows one."""

    label: object
    model: type
    columns: tuple[str, ...]
    view: str  # the console view (its show page and its permission)


SEARCHED = [
    Searched(
        _("Coopératives"),
        m.Cooperative,
        ("name", "acronym", "registration_number", "nif", "trade_register_number", "contact_name"),
        "CooperativeView",
    ),
    Searched(_("Équipements"), m.Device, ("asset_tag", "serial", "imei", "model"), "DeviceView"),
    Searched(_("Commandes"), m.Order, ("reference",), "OrderView"),
    Searched(_("Acheteurs"), m.Buyer, ("name",), "BuyerView"),
]


def search(text: str, allowed_views: set[str]) -> list[tuple[Searched, list]]:
    """The records matching ``text`` (case and accents ignored) that the user may see."""
    dialect = db.session.get_bind().dialect.name
    scope = current_scope()
    found = []
    for kind in SEARCHED:
        if kind.view not in allowed_views:
            continue
        query = sa.select(kind.model).where(
            sa.or_(*(contains_folded(getattr(kind.model, c), text, dialect) for c in kind.columns))
        )
        clause = scope_clause(kind.model, scope)
        if clause is not None:
            query = query.where(clause)
        rows = list(db.session.scalars(query.order_by(kind.model.id).limit(PER_KIND)))
        found.append((kind, rows))
    return found


class GlobalSearchView(BaseView):
    route_base = "/recherche"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        text = (request.args.get("q") or "").strip()[:100]
        sm = self.appbuilder.sm
        allowed = {k.view for k in SEARCHED if sm.has_access("can_show", k.view)}
        results = search(text, allowed) if len(text) >= 2 else []
        links = {
            kind.view: lambda row, kind=kind: url_for(f"{kind.view}.show", pk=row.id)
            for kind, _rows in results
        }
        return self.render_template(
            "isoko/search.html",
            text=text,
            results=results,
            links=links,
            title=_("Recherche"),
        )
