"""Rapport du programme pilote: enrollment funnel, training by gender, equipment, pioneers' activity."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import apply_scope
from console.services.money import round_franc
from console.services.sales import order_count

from ..charts import bar_chart
from ..excel import Column, Section
from ..parameters import ReportParameters
from ..queries import sales_select
from ..registry import ReportSpec

# Stages in order, with the date column recording when an enrollment reached each.
STAGES = [
    ("Nominées", None),
    ("Sélectionnées", m.Enrollment.selected_on),
    ("Formées", m.Enrollment.trained_on),
    ("Équipées", m.Enrollment.equipped_on),
    ("Actives", m.Enrollment.activated_on),
]


def _enrollments(params: ReportParameters, *columns):
    stmt = select(*columns).select_from(m.Enrollment)
    if params.cohort_id is not None:
        stmt = stmt.where(m.Enrollment.cohort_id == params.cohort_id)
    return apply_scope(stmt, m.Enrollment, params.data_scope)


def funnel(session: Session, params: ReportParameters) -> dict:
    """How many enrollments reached each stage, and how many withdrew."""
    counts = [func.count()] + [func.count(column) for _label, column in STAGES[1:]]
    withdrawn = func.coalesce(
        func.sum(case((m.Enrollment.status == m.EnrollmentStatus.WITHDRAWN, 1), else_=0)), 0
    )
    row = session.execute(_enrollments(params, *counts, withdrawn)).one()
    stages = []
    for index, (label, _column) in enumerate(STAGES):
        reached = int(row[index])
        stages.append(
            {
                "stage": label,
                "count": reached,
                "rate": Decimal(reached) / int(row[0]) if row[0] else None,
            }
        )
    by_status = dict(
        session.execute(
            _enrollments(params, m.Enrollment.status, func.count()).group_by(m.Enrollment.status)
        ).all()
    )
    return {
        "stages": stages,
        "withdrawn": int(row[-1]),
        "by_status": [(s.label, int(by_status.get(s, 0))) for s in m.EnrollmentStatus],
        "chart": bar_chart([(s["stage"], s["count"]) for s in stages], value_format=str),
    }


def training(session: Session, params: ReportParameters) -> dict:
    """Sessions with participants by gender (participants of cooperatives in scope)."""
    women = func.sum(case((m.Attendance.gender == m.Gender.FEMALE, 1), else_=0))
    men = func.sum(case((m.Attendance.gender == m.Gender.MALE, 1), else_=0))
    stmt = apply_scope(
        select(
            m.TrainingSession.id,
            m.TrainingSession.title,
            m.TrainingSession.place,
            m.TrainingSession.starts_on,
            m.TrainingSession.ends_on,
            women,
            men,
            func.coalesce(func.sum(m.Attendance.days_attended), 0),
            func.count(func.distinct(m.Attendance.cooperative_id)),
        )
        .join(m.TrainingSession, m.TrainingSession.id == m.Attendance.session_id)
        .group_by(
            m.TrainingSession.id,
            m.TrainingSession.title,
            m.TrainingSession.place,
            m.TrainingSession.starts_on,
            m.TrainingSession.ends_on,
        )
        .order_by(m.TrainingSession.starts_on),
        m.Attendance,
        params.data_scope,
    )
    if params.cohort_id is not None:
        stmt = stmt.where(m.TrainingSession.cohort_id == params.cohort_id)
    sessions = [
        {
            "title": t,
            "place": p,
            "starts_on": s,
            "ends_on": e,
            "women": int(w or 0),
            "men": int(mn or 0),
            "days": int(d or 0),
            "cooperatives": int(c),
        }
        for _id, t, p, s, e, w, mn, d, c in session.execute(stmt)
    ]
    women_total = sum(s["women"] for s in sessions)
    men_total = sum(s["men"] for s in sessions)
    people = women_total + men_total
    return {
        "sessions": sessions,
        "women": women_total,
        "men": men_total,
        "people": people,
        "women_share": Decimal(women_total) / people if people else None,
        "days": sum(s["days"] for s in sessions),
    }


def equipment(session: Session, params: ReportParameters) -> list[dict]:
    """Devices currently with enrolled cooperatives, per kind."""
    enrolled = _enrollments(params, m.Enrollment.cooperative_id)
    stmt = apply_scope(
        select(
            m.Device.kind,
            func.count(),
            func.count(func.distinct(m.DeviceAssignment.cooperative_id)),
        )
        .select_from(m.DeviceAssignment)
        .join(m.Device, m.Device.id == m.DeviceAssignment.device_id)
        .where(
            m.DeviceAssignment.checked_in_at.is_(None),
            m.DeviceAssignment.cooperative_id.in_(enrolled),
        )
        .group_by(m.Device.kind),
        m.DeviceAssignment,
        params.data_scope,
    )
    return [
        {"kind": kind.label, "devices": int(n), "cooperatives": int(c)}
        for kind, n, c in session.execute(stmt)
    ]


def activity(session: Session, params: ReportParameters) -> list[dict]:
    """Pioneers against other sellers over the period: how many sold, and how much each."""
    sellers = dict(
        session.execute(
            apply_scope(
                select(m.Cooperative.is_pioneer, func.count()).group_by(m.Cooperative.is_pioneer),
                m.Cooperative,
                params.data_scope,
            )
        ).all()
    )
    sales = {
        pioneer: (int(active), int(gross or 0), int(orders))
        for pioneer, active, gross, orders in session.execute(
            sales_select(
                params.data_scope,
                params.period,
                m.Cooperative.is_pioneer,
                func.count(func.distinct(m.Order.seller_id)),
                func.sum(m.OrderLine.gross),
                order_count(),
            ).group_by(m.Cooperative.is_pioneer)
        )
    }
    rows = []
    for pioneer, label in ((True, "Pionnières"), (False, "Autres vendeurs")):
        total = int(sellers.get(pioneer, 0))
        active, gross, orders = sales.get(pioneer, (0, 0, 0))
        rows.append(
            {
                "group": label,
                "sellers": total,
                "active": active,
                "active_rate": Decimal(active) / total if total else None,
                "gross": gross,
                "orders": orders,
                "per_active": round_franc(Decimal(gross) / active) if active else 0,
            }
        )
    return rows


def collect(session: Session, params: ReportParameters) -> dict:
    """Funnel, training, equipment and activity."""
    return {
        "funnel": funnel(session, params),
        "training": training(session, params),
        "equipment": equipment(session, params),
        "activity": activity(session, params),
    }


def excel(session: Session, data: dict, params: ReportParameters) -> list[Section]:
    """One sheet per section."""
    t = data["training"]
    return [
        Section(
            "Entonnoir",
            [
                Column("Étape", width=20),
                Column("Inscriptions", "int"),
                Column("Part des nominées", "percent", 16),
            ],
            [(s["stage"], s["count"], s["rate"]) for s in data["funnel"]["stages"]]
            + [("Retirées", data["funnel"]["withdrawn"], None)],
        ),
        Section(
            "Statut actuel",
            [Column("Statut", width=20), Column("Inscriptions", "int")],
            data["funnel"]["by_status"],
        ),
        Section(
            "Formations",
            [
                Column("Session", width=40),
                Column("Lieu", width=16),
                Column("Début", "date"),
                Column("Fin", "date"),
                Column("Femmes", "int"),
                Column("Hommes", "int"),
                Column("Jours-personnes", "int"),
                Column("Coopératives", "int"),
            ],
            [
                (
                    s["title"],
                    s["place"],
                    s["starts_on"],
                    s["ends_on"],
                    s["women"],
                    s["men"],
                    s["days"],
                    s["cooperatives"],
                )
                for s in t["sessions"]
            ]
            + [("Total", None, None, None, t["women"], t["men"], t["days"], None)],
        ),
        Section(
            "Équipement",
            [
                Column("Type", width=20),
                Column("Équipements remis", "int"),
                Column("Coopératives équipées", "int"),
            ],
            [(e["kind"], e["devices"], e["cooperatives"]) for e in data["equipment"]],
        ),
        Section(
            "Activité",
            [
                Column("Groupe", width=20),
                Column("Vendeurs", "int"),
                Column("Actifs sur la période", "int"),
                Column("Part active", "percent"),
                Column("Ventes TTC", "francs"),
                Column("Commandes", "int"),
                Column("Ventes par vendeur actif", "francs", 20),
            ],
            [
                (
                    a["group"],
                    a["sellers"],
                    a["active"],
                    a["active_rate"],
                    a["gross"],
                    a["orders"],
                    a["per_active"],
                )
                for a in data["activity"]
            ],
        ),
    ]


SPEC = ReportSpec(
    key="programme-pilote",
    title="Rapport du programme pilote",
    resource="PilotReportView",
    parameters=("period", "province", "cohort"),
    collect=collect,
    template="reports/pdf/pilot.html",
    excel=excel,
    description="Entonnoir des inscriptions, participation aux formations par genre, équipement et "
    "activité des pionnières comparée aux autres vendeurs.",
)
