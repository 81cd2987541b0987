"""Bon de remise: the one-page hand-over receipt of a device check-out, with signature lines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import models as m
from console.formatting import to_local
from console.services.inventory import receipt_reference

from ..parameters import ReportParameters
from ..registry import ReportSpec


def collect(session: Session, params: ReportParameters) -> dict:
    """The assignment, its device, and what else the cooperative received that day."""
    assignment = session.get(m.DeviceAssignment, params.assignment_id)
    day = to_local(assignment.checked_out_at).date()
    same_day = [
        a
        for a in session.scalars(
            select(m.DeviceAssignment)
            .where(
                m.DeviceAssignment.cooperative_id == assignment.cooperative_id,
                m.DeviceAssignment.id != assignment.id,
                m.DeviceAssignment.checked_out_at
                >= assignment.checked_out_at - dt.timedelta(hours=12),
                m.DeviceAssignment.checked_out_at
                <= assignment.checked_out_at + dt.timedelta(hours=12),
            )
            .order_by(m.DeviceAssignment.id)
        )
        if to_local(a.checked_out_at).date() == day
    ]
    return {
        "assignment": assignment,
        "device": assignment.device,
        "coop": assignment.cooperative,
        "same_day": same_day,
        "reference": receipt_reference,
    }


SPEC = ReportSpec(
    key="bon-de-remise",
    title="Bon de remise d'équipement",
    resource="HandoverReceiptReportView",
    parameters=("assignment",),
    collect=collect,
    template="reports/pdf/handover.html",
    excel=None,
    formats=("pdf",),
    description="Reçu d'une remise d'équipement à une coopérative, à faire signer par les deux parties.",
)
