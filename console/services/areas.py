"""Which provinces a user may pick, and which province a parameter means.

One module for the dashboards' filters, the reports' parameters, the reconciliation
filters and the importers' references. A province is named by its **code** (BI-GI,
BI25-GI) in URLs and forms, so a shared link means the same on another database; an old
numeric id is still understood and turned into its code.

Two sets, on purpose:
- the provinces *in* a scope (scoping's rule: the user's provinces and, for a 2025
  province, the 2015 provinces that became part of it): a report may be generated for
  one of them, an import may write into them;
- the provinces a user may *pick* as a filter: those, plus the 2025 successors of their
  2015 provinces, so that a coordinator can look at their data on either map. A filter
  only narrows: the scope still applies to every row behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope

MAPS = ("2015", "2025")
# The map of current periods: dashboards and reports open on it.
DEFAULT_MAP = "2025"
_CODE = re.compile(r"^[A-Za-z0-9]{2,5}-[A-Za-z0-9]{1,5}$")


@dataclass(frozen=True)
class Area:
    """A province as people and URLs name it."""

    id: int
    code: str
    name: str
    map_version: str

    @property
    def label(self) -> str:
        """``Gitega (carte de 2025)``."""
        return f"{self.name} (carte de {self.map_version})"


def _area(row: m.Province) -> Area:
    return Area(row.id, row.code, row.name, row.map_version)


def _ordered(stmt):
    return stmt.order_by(m.Province.map_version.desc(), m.Province.name)


def provinces_in_scope(
    session: Session, scope: ProvinceScope, map_version: str | None = None
) -> list[Area]:
    """Provinces whose every row the scope may see, 2025 map first, by name."""
    stmt = apply_scope(select(m.Province), m.Province, scope)
    if map_version:
        stmt = stmt.where(m.Province.map_version == map_version)
    return [_area(p) for p in session.scalars(_ordered(stmt))]


def province_ids_in_scope(session: Session, scope: ProvinceScope) -> frozenset[int] | None:
    """Ids of :func:`provinces_in_scope` (both maps); None for a national scope."""
    if scope.national:
        return None
    return frozenset(session.scalars(apply_scope(select(m.Province.id), m.Province, scope)))


def pickable_province_ids(session: Session, scope: ProvinceScope) -> frozenset[int] | None:
    """Provinces a user may filter on (None: all): theirs and the 2025 successors of theirs."""
    own = province_ids_in_scope(session, scope)
    if own is None:
        return None
    successors = session.scalars(
        select(m.Province.successor_id).where(
            m.Province.id.in_(own), m.Province.successor_id.is_not(None)
        )
    )
    return own | frozenset(successors)


def pickable_provinces(
    session: Session, scope: ProvinceScope, map_version: str | None = None
) -> list[Area]:
    """The provinces of :func:`pickable_province_ids`, 2025 map first, by name."""
    stmt = select(m.Province)
    allowed = pickable_province_ids(session, scope)
    if allowed is not None:
        stmt = stmt.where(m.Province.id.in_(allowed or {-1}))
    if map_version:
        stmt = stmt.where(m.Province.map_version == map_version)
    return [_area(p) for p in session.scalars(_ordered(stmt))]


def _request_user():
    """The signed-in user of the current request, or None (CLI, worker, anonymous)."""
    from flask import g, has_request_context

    user = getattr(g, "user", None) if has_request_context() else None
    return user if getattr(user, "is_authenticated", False) else None


def chosen_map(user=None) -> str | None:
    """The map ``user`` (default: the request's) last chose on a dashboard or report, if any."""
    user = user if user is not None else _request_user()
    value = getattr(user, "preferred_map", None)
    return value if value in MAPS else None


def remember_map(user, map_version) -> bool:
    """Keep ``map_version`` as the user's choice (the caller commits); True when it changed."""
    if user is None or map_version not in MAPS or chosen_map(user) == map_version:
        return False
    user.preferred_map = map_version
    return True


def default_map(session: Session, scope: ProvinceScope, user=None) -> str:
    """The map a page opens on: the one the user last chose; else DEFAULT_MAP, or 2015 for a
    user whose provinces are all of 2015.

    Each fact is counted under one map only; a coordinator of a 2015 province may not see a
    2025 province's figures (they cover other provinces too), so their pages stay on 2015.
    """
    chosen = chosen_map(user)
    if chosen is not None:
        return chosen
    if scope.national or not scope.province_ids:
        return DEFAULT_MAP
    maps = set(
        session.scalars(select(m.Province.map_version).where(m.Province.id.in_(scope.province_ids)))
    )
    return DEFAULT_MAP if DEFAULT_MAP in maps or not maps else "2015"


def is_province_code(raw) -> bool:
    """Whether a parameter looks like a province code (``BI-GI``, ``BI25-GI``)."""
    return isinstance(raw, str) and bool(_CODE.match(raw.strip()))


def province_named(session: Session, raw) -> Area | None:
    """The province a parameter names, by code or, for an old link, by numeric id; else None."""
    if raw is None or isinstance(raw, bool):
        return None
    text = str(raw).strip()
    if text.isdigit():
        row = session.get(m.Province, int(text)) if int(text) < 2**31 else None
    elif is_province_code(text):
        row = session.scalar(select(m.Province).where(m.Province.code == text.upper()))
    else:
        return None
    return _area(row) if row is not None else None


def province_in_scope(session: Session, scope: ProvinceScope, raw) -> Area | None:
    """The province a parameter names when it is one of the scope's own (reports, imports)."""
    area = province_named(session, raw)
    if area is None:
        return None
    allowed = province_ids_in_scope(session, scope)
    return area if allowed is None or area.id in allowed else None
