"""Inventaire des tablettes: devices by status and province, assignments, incidents, overdue audits."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import apply_scope
from console.services.periods import to_local_naive, today_local

from ..excel import Column, Section
from ..parameters import ReportParameters
from ..registry import ReportSpec, national

# A device in the field should be seen at least twice a year (programme practice).
AUDIT_OVERDUE_DAYS = 180
INCIDENT_WINDOW_DAYS = 365
# The PDF is a summary: long lists stop here and the workbook carries every row.
PDF_LIST_LIMIT = 40
STATUSES = list(m.DeviceStatus)


def status_matrix(session: Session, params: ReportParameters) -> dict:
    """Device counts per province (rows) and status (columns), with totals."""
    stmt = apply_scope(
        select(m.Province.name, m.Device.status, func.count())
        .select_from(m.Device)
        .outerjoin(m.Province, m.Province.id == m.Device.province_id)
        .group_by(m.Province.name, m.Device.status),
        m.Device,
        params.data_scope,
    )
    cells: dict[str, dict] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for province, status, count in session.execute(stmt):
        cells[province or "Sans province"][status] += count
    rows = [
        {"province": p, "counts": [c[s] for s in STATUSES], "total": sum(c.values())}
        for p, c in sorted(cells.items())
    ]
    totals = [sum(r["counts"][i] for r in rows) for i in range(len(STATUSES))]
    return {
        "statuses": [s.label for s in STATUSES],
        "rows": rows,
        "totals": totals,
        "total": sum(totals),
    }


def kind_matrix(session: Session, params: ReportParameters) -> list[dict]:
    """Device counts per kind and status."""
    stmt = apply_scope(
        select(m.Device.kind, m.Device.status, func.count()).group_by(
            m.Device.kind, m.Device.status
        ),
        m.Device,
        params.data_scope,
    )
    cells: dict = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for kind, status, count in session.execute(stmt):
        cells[kind][status] += count
    return [
        {"kind": k.label, "counts": [c[s] for s in STATUSES], "total": sum(c.values())}
        for k, c in sorted(cells.items(), key=lambda item: item[0].label)
    ]


def open_assignments(session: Session, params: ReportParameters, today: dt.date) -> list[dict]:
    """Devices currently checked out, oldest first."""
    stmt = apply_scope(
        select(m.DeviceAssignment)
        .where(m.DeviceAssignment.checked_in_at.is_(None))
        .order_by(m.DeviceAssignment.checked_out_at),
        m.DeviceAssignment,
        params.data_scope,
    )
    return [
        {
            "id": a.id,
            "tag": a.device.asset_tag,
            "kind": a.device.kind.label,
            "cooperative": a.cooperative.name,
            "province": a.device.province.name if a.device.province else "—",
            "since": a.checked_out_at,
            "received_by": a.received_by,
            "condition": a.condition_out.label,
            "days": (today - a.checked_out_at.date()).days,
        }
        for a in session.scalars(stmt)
    ]


def incidents(session: Session, params: ReportParameters, today: dt.date) -> list[m.DeviceIncident]:
    """Incidents of the last twelve months, newest first."""
    since = today - dt.timedelta(days=INCIDENT_WINDOW_DAYS)
    stmt = apply_scope(
        select(m.DeviceIncident)
        .where(m.DeviceIncident.occurred_on >= since)
        .order_by(m.DeviceIncident.occurred_on.desc()),
        m.DeviceIncident,
        params.data_scope,
    )
    return list(session.scalars(stmt))


def overdue_audits(session: Session, params: ReportParameters, today: dt.date) -> list[dict]:
    """Deployed devices not seen for AUDIT_OVERDUE_DAYS days (or never)."""
    last_seen = (
        select(m.DeviceAudit.device_id, func.max(m.DeviceAudit.seen_on).label("seen"))
        .group_by(m.DeviceAudit.device_id)
        .subquery()
    )
    limit = today - dt.timedelta(days=AUDIT_OVERDUE_DAYS)
    stmt = apply_scope(
        select(m.Device, last_seen.c.seen)
        .outerjoin(last_seen, last_seen.c.device_id == m.Device.id)
        .where(
            m.Device.status == m.DeviceStatus.ASSIGNED,
            (last_seen.c.seen.is_(None)) | (last_seen.c.seen < limit),
        )
        .order_by(last_seen.c.seen.is_not(None), last_seen.c.seen, m.Device.asset_tag),
        m.Device,
        params.data_scope,
    )
    holders = dict(
        session.execute(
            apply_scope(
                select(m.DeviceAssignment.device_id, m.Cooperative.name)
                .join(m.Cooperative, m.Cooperative.id == m.DeviceAssignment.cooperative_id)
                .where(m.DeviceAssignment.checked_in_at.is_(None)),
                m.DeviceAssignment,
                params.data_scope,
            )
        ).all()
    )
    return [
        {
            "tag": d.asset_tag,
            "kind": d.kind.label,
            "province": d.province.name if d.province else "—",
            "holder": holders.get(d.id, "—"),
            "seen": seen,
            "days": (today - seen).days if seen else None,
        }
        for d, seen in session.execute(stmt)
    ]


def collect(session: Session, params: ReportParameters) -> dict:
    """The inventory as of today (Bujumbura)."""
    today = today_local()
    return {
        "today": today,
        "matrix": status_matrix(session, params),
        "kinds": kind_matrix(session, params),
        "assignments": open_assignments(session, params, today),
        "incidents": incidents(session, params, today),
        "overdue": overdue_audits(session, params, today),
        "overdue_days": AUDIT_OVERDUE_DAYS,
        "pdf_limit": PDF_LIST_LIMIT,
    }


def excel(session: Session, data: dict, params: ReportParameters) -> list[Section]:
    """Status matrix, kinds, assignments, incidents, overdue audits."""
    statuses = data["matrix"]["statuses"]
    status_columns = [Column(s, "int") for s in statuses] + [Column("Total", "int")]
    return [
        Section(
            "Par province",
            [Column("Province"), *status_columns],
            [(r["province"], *r["counts"], r["total"]) for r in data["matrix"]["rows"]]
            + [("Total", *data["matrix"]["totals"], data["matrix"]["total"])],
        ),
        Section(
            "Par type",
            [Column("Type"), *status_columns],
            [(r["kind"], *r["counts"], r["total"]) for r in data["kinds"]],
        ),
        Section(
            "Remises en cours",
            [
                Column("Remise n°", "int"),
                Column("N° d'inventaire", width=16),
                Column("Type", width=14),
                Column("Coopérative", width=34),
                Column("Province", width=16),
                Column("Remis le", "datetime"),
                Column("Reçu par", width=26),
                Column("État à la remise", width=14),
                Column("Jours", "int"),
            ],
            [
                (
                    a["id"],
                    a["tag"],
                    a["kind"],
                    a["cooperative"],
                    a["province"],
                    to_local_naive(a["since"]),
                    a["received_by"],
                    a["condition"],
                    a["days"],
                )
                for a in data["assignments"]
            ],
        ),
        Section(
            "Incidents",
            [
                Column("Date", "date"),
                Column("N° d'inventaire", width=16),
                Column("Type d'incident", width=18),
                Column("Signalé par", width=26),
                Column("Description", width=60),
            ],
            [
                (i.occurred_on, i.device.asset_tag, i.kind.label, i.reported_by, i.description)
                for i in data["incidents"]
            ],
        ),
        Section(
            "Contrôles en retard",
            [
                Column("N° d'inventaire", width=16),
                Column("Type", width=14),
                Column("Province", width=16),
                Column("Détenteur", width=34),
                Column("Dernier contrôle", "date"),
                Column("Jours", "int"),
            ],
            [
                (o["tag"], o["kind"], o["province"], o["holder"], o["seen"], o["days"])
                for o in data["overdue"]
            ],
            notes=[f"Équipements remis non contrôlés depuis plus de {AUDIT_OVERDUE_DAYS} jours."],
        ),
    ]


SPEC = ReportSpec(
    key="inventaire-tablettes",
    title="Inventaire des tablettes et équipements",
    resource="DeviceInventoryReportView",
    parameters=("province",),
    collect=collect,
    template="reports/pdf/devices.html",
    excel=excel,
    is_large=national,
    description="Équipements par statut et par province, remises en cours, incidents des douze derniers "
    "mois et contrôles en retard.",
)
