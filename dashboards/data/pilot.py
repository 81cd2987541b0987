"""Pilot programme figures: enrollment funnel, training by gender, tablets, pioneers.

Enrollments, attendance and devices are small tables (hundreds of rows), read directly
through the scoping layer; pioneers' activity and sales come from the sales aggregates.
The period filter applies to sales only; the programme's records are shown to date.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope
from console.services.inventory import DEPLOYED_STATUSES, TROUBLED_STATUSES
from console.services.pioneers import pioneers

from ..filters import Filters
from .common import dates, frame, ints, names, province_column
from .sources import AGGREGATES, FactSource

STAGES = (
    ("nominated_on", "Nominées"),
    ("selected_on", "Sélectionnées"),
    ("trained_on", "Formées"),
    ("equipped_on", "Équipées"),
    ("activated_on", "Actives"),
)

# The data domains these figures read (dashboards.cache: a write to one refreshes them).
READS = ("programme", "equipements", "ventes", "referentiel")


def _cooperative_filters(stmt, scope: ProvinceScope, filters: Filters, seller_column):
    """Join the cooperative; scope, province and cooperative filters."""
    stmt = apply_scope(
        stmt.join(m.Cooperative, m.Cooperative.id == seller_column), m.Cooperative, scope
    )
    if filters.province_id is not None:
        stmt = stmt.where(province_column(filters) == filters.province_id)
    if filters.cooperative_id is not None:
        stmt = stmt.where(seller_column == filters.cooperative_id)
    return stmt


def funnel(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """How many enrollments reached each stage (by the date recorded for it)."""
    E = m.Enrollment
    counts = [func.count(getattr(E, column)) for column, _ in STAGES]
    stmt = _cooperative_filters(
        select(*counts, func.count()).select_from(E), scope, filters, E.cooperative_id
    )
    row = session.execute(stmt).one()
    withdrawn = session.scalar(
        _cooperative_filters(
            select(func.count()).select_from(E), scope, filters, E.cooperative_id
        ).where(E.withdrawn_on.is_not(None))
    )
    result = pd.DataFrame(
        {"stage": [label for _, label in STAGES], "count": [int(v or 0) for v in row[:-1]]}
    )
    result.attrs["withdrawn"] = int(withdrawn or 0)
    return result


def attendance(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Participants per training session and gender."""
    A, S = m.Attendance, m.TrainingSession
    stmt = _cooperative_filters(
        select(S.id, S.title, S.starts_on, A.gender, func.count(), func.sum(A.days_attended))
        .select_from(A)
        .join(S, S.id == A.session_id),
        scope,
        filters,
        A.cooperative_id,
    ).group_by(S.id, S.title, S.starts_on, A.gender)
    result = frame(
        session, stmt, ["session_id", "title", "starts_on", "gender", "participants", "days"]
    )
    result = ints(result, "participants", "days")
    result["starts_on"] = dates(result["starts_on"])
    result["gender"] = result["gender"].map(lambda g: getattr(g, "label", str(g)))
    return result.sort_values(["starts_on", "session_id", "gender"]).reset_index(drop=True)


def tablets(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Tablets deployed, lost or stolen, in repair and in stock, per province of the chosen map."""
    Dv = m.Device
    stmt = apply_scope(
        select(Dv.province_id, Dv.status, func.count()).where(Dv.kind == m.DeviceKind.TABLET),
        Dv,
        scope,
    ).group_by(Dv.province_id, Dv.status)
    raw = frame(session, stmt, ["province_id", "status", "count"])
    provinces = {p.id: p for p in session.scalars(select(m.Province))}

    def on_map(pid):
        province = provinces.get(int(pid)) if pid == pid and pid is not None else None
        if province is None:
            return None
        if (
            filters.map_version == "2025"
            and province.map_version == "2015"
            and province.successor_id
        ):
            return province.successor_id
        return province.id

    raw["province_id"] = raw["province_id"].map(on_map)
    if filters.province_id is not None:
        raw = raw[raw["province_id"] == filters.province_id]
    # Deployed and « perdues, volées ou en réparation » as the home page counts them.
    group_of = {status: "deployed" for status in DEPLOYED_STATUSES}
    group_of.update({status: "lost" for status in TROUBLED_STATUSES})
    group_of.update({m.DeviceStatus.IN_REPAIR: "repair", m.DeviceStatus.IN_STOCK: "stock"})
    raw["group"] = raw["status"].map(lambda status: group_of.get(status, "other"))
    groups = ["deployed", "lost", "repair", "stock"]
    table = (
        raw.pivot_table(
            index="province_id",
            columns="group",
            values="count",
            aggfunc="sum",
            fill_value=0,
            dropna=False,
        )
        .reindex(columns=groups, fill_value=0)
        .reset_index()
    )
    table = ints(table, *groups)
    table["province"] = table["province_id"].map(
        lambda pid: provinces[int(pid)].name if pid == pid and pid else "Sans province"
    )
    return (
        table[["province_id", "province", *groups]]
        .sort_values(["deployed", "province"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )


def active_pioneers(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """Per province: pioneers, and those active on the reference day (console.services.pioneers,
    the home page's definition: read from the orders, not the aggregates)."""
    ref = filters.reference_day
    column = province_column(filters)

    def counted(active_on=None):
        stmt = pioneers(scope, column, func.count(), active_on=active_on)
        if filters.province_id is not None:
            stmt = stmt.where(column == filters.province_id)
        if filters.cooperative_id is not None:
            stmt = stmt.where(m.Cooperative.id == filters.cooperative_id)
        return stmt.group_by(column)

    total = frame(session, counted(), ["province_id", "pioneers"])
    active = frame(session, counted(ref), ["province_id", "active"])
    result = total.merge(active, on="province_id", how="left")
    result = ints(result, "pioneers", "active")
    result["province"] = result["province_id"].map(names(session).province)
    result.attrs["reference_day"] = ref
    return result.sort_values(
        ["pioneers", "province"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def totals(
    session: Session, scope: ProvinceScope, filters: Filters, facts: FactSource = AGGREGATES
) -> pd.DataFrame:
    """One row of key figures for the programme."""
    steps = funnel(session, scope, filters)
    devices = tablets(session, scope, filters)
    pioneers = active_pioneers(session, scope, filters, facts)
    return pd.DataFrame(
        [
            {
                "nominated": int(steps["count"].iloc[0]),
                "active_enrollments": int(steps["count"].iloc[-1]),
                "deployed": int(devices["deployed"].sum()),
                "lost_or_repair": int(devices["lost"].sum() + devices["repair"].sum()),
                "pioneers": int(pioneers["pioneers"].sum()),
                "active_pioneers": int(pioneers["active"].sum()),
                "reference_day": filters.reference_day,
            }
        ]
    )
