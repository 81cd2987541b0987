"""Small constructed data for the console's tests: one province's worth of every record."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from console import models as m
from console.services.audit import Actor, acting_as

_serial = itertools.count(1)
UTC = dt.UTC


@dataclass
class ProvinceWorld:
    """Ids of one row of each scoped table, all in one province."""

    province_code: str
    province_id: int
    cooperative_id: int
    other_cooperative_id: int
    commune_id: int | None
    product_id: int
    listing_id: int
    buyer_id: int
    order_id: int
    order_line_id: int
    payment_id: int
    remittance_id: int
    cohort_id: int
    enrollment_id: int
    transition_id: int
    session_id: int
    attendance_id: int
    device_id: int
    spare_device_id: int
    assignment_id: int
    incident_id: int
    audit_id: int


def province(session, code: str) -> m.Province:
    return session.scalars(sa.select(m.Province).where(m.Province.code == code)).one()


def make_cooperative(
    session, province_code: str, name: str | None = None, **fields
) -> m.Cooperative:
    """A cooperative registered in a 2015 province (its 2025 province follows)."""
    n = next(_serial)
    prov = province(session, province_code)
    commune = session.scalars(
        sa.select(m.Commune).where(m.Commune.former_province_id == prov.id).order_by(m.Commune.id)
    ).first()
    values = dict(
        registration_number=f"ANACOOP-T{n:05d}",
        name=name or f"Coopérative test {n}",
        province_id=prov.id,
        province_2025_id=prov.successor_id or prov.id,
        commune_id=commune.id if commune else None,
        members_total=25,
        members_women=12,
    )
    values.update(fields)
    cooperative = m.Cooperative(**values)
    session.add(cooperative)
    session.flush()
    return cooperative


def make_device(
    session, province_code: str | None, kind=m.DeviceKind.TABLET, status=m.DeviceStatus.IN_STOCK
) -> m.Device:
    n = next(_serial)
    device = m.Device(
        asset_tag=f"TAB-T{n:05d}",
        serial=f"IMEI-T{n:08d}",
        kind=kind,
        status=status,
        province_id=province(session, province_code).id if province_code else None,
        model="Galaxy Tab A",
        funder="PNUD",
    )
    session.add(device)
    session.flush()
    return device


def assign(session, device: m.Device, cooperative: m.Cooperative, when: dt.datetime | None = None):
    assignment = m.DeviceAssignment(
        device=device,
        cooperative=cooperative,
        checked_out_at=when or dt.datetime(2023, 6, 30, 10, tzinfo=UTC),
        received_by="Présidente",
        condition_out=m.DeviceCondition.NEW,
    )
    device.status = m.DeviceStatus.ASSIGNED
    session.add(assignment)
    session.flush()
    return assignment


def make_sale(
    session,
    cooperative: m.Cooperative,
    placed_at: dt.datetime | None = None,
    tax_rule: m.TaxRule | None = None,
) -> m.OrderLine:
    """One order with one line (and its payment) sold by ``cooperative``."""
    n = next(_serial)
    category = session.scalars(sa.select(m.Category).order_by(m.Category.id)).first()
    unit = session.scalars(sa.select(m.Unit).order_by(m.Unit.id)).first()
    product = m.Product(
        cooperative=cooperative,
        category=category,
        unit=unit,
        sku=f"SKU-T{n:05d}",
        name=f"Haricot {n}",
    )
    buyer = m.Buyer(
        kind=m.BuyerKind.CONSUMER, name=f"Acheteur {n}", province_id=cooperative.province_id
    )
    order = m.Order(
        reference=f"CMD-T{n:06d}",
        buyer=buyer,
        seller=cooperative,
        placed_at=placed_at or dt.datetime(2023, 7, 3, 9, tzinfo=UTC),
    )
    line = m.OrderLine(
        order=order,
        line_no=1,
        product=product,
        quantity=Decimal("10"),
        unit_price=3000,
        net=30000,
        tax=0,
        gross=30000,
        tax_rate=Decimal("0"),
        tax_rule=tax_rule,
    )
    payment = m.Payment(
        order=order,
        paid_at=order.placed_at,
        amount=30000,
        method=m.PaymentMethod.CASH,
        reference=f"PAY-T{n:06d}",
    )
    session.add_all([product, buyer, order, line, payment])
    session.flush()
    return line


def build_province_world(app, province_code: str, label: str = "") -> ProvinceWorld:
    """Every kind of scoped record, once, in ``province_code`` (committed).

    ``label`` goes into the cooperatives' names, so a page can be searched for them.
    """
    from console.extensions import db

    with app.app_context(), acting_as(Actor(None, "tests", "cli")):
        session = db.session
        label = label or province_code
        coop = make_cooperative(session, province_code, name=f"Abahizi {label}", is_pioneer=True)
        other = make_cooperative(session, province_code, name=f"Dukorere {label}")
        line = make_sale(session, coop)
        order = line.order
        listing = m.Listing(
            product=line.product,
            cooperative=coop,
            quantity_offered=Decimal("100"),
            unit_price=3000,
            listed_at=dt.datetime(2023, 7, 1, tzinfo=UTC),
        )
        remittance = m.TaxRemittance(
            cooperative=coop,
            period_start=dt.date(2023, 7, 1),
            period_end=dt.date(2023, 9, 30),
            amount=5400,
            obr_receipt_ref=f"OBR-T{next(_serial):06d}",
            remitted_on=dt.date(2023, 10, 10),
        )
        n = next(_serial)
        cohort = m.Cohort(name=f"Cohorte test {n}", year=2023)
        enrollment = m.Enrollment(cohort=cohort, cooperative=coop, nominated_on=dt.date(2023, 6, 1))
        transition = m.EnrollmentTransition(
            enrollment=enrollment,
            to_status="nominated",
            at=dt.datetime(2023, 6, 1, tzinfo=UTC),
            by_username="tests",
        )
        training = m.TrainingSession(
            cohort=cohort,
            title=f"Atelier {n}",
            place="Gitega",
            starts_on=dt.date(2023, 6, 26),
            ends_on=dt.date(2023, 6, 30),
        )
        attendance = m.Attendance(
            session=training,
            cooperative=coop,
            participant_name="Aline N.",
            gender=m.Gender.FEMALE,
            days_attended=5,
        )
        session.add_all([listing, remittance, cohort, enrollment, transition, training, attendance])
        device = make_device(session, province_code)
        spare = make_device(session, province_code)
        assignment = assign(session, device, coop)
        incident = m.DeviceIncident(
            device=spare,
            kind=m.IncidentKind.DAMAGED,
            occurred_on=dt.date(2023, 8, 1),
            reported_by="Coordinateur",
        )
        audit = m.DeviceAudit(
            device=device,
            seen_on=dt.date(2023, 9, 1),
            seen_by="Coordinateur",
            location="Siège de la coopérative",
        )
        session.add_all([incident, audit])
        session.commit()
        return ProvinceWorld(
            province_code=province_code,
            province_id=coop.province_id,
            cooperative_id=coop.id,
            other_cooperative_id=other.id,
            commune_id=coop.commune_id,
            product_id=line.product_id,
            listing_id=listing.id,
            buyer_id=order.buyer_id,
            order_id=order.id,
            order_line_id=line.id,
            payment_id=order.payments[0].id,
            remittance_id=remittance.id,
            cohort_id=cohort.id,
            enrollment_id=enrollment.id,
            transition_id=transition.id,
            session_id=training.id,
            attendance_id=attendance.id,
            device_id=device.id,
            spare_device_id=spare.id,
            assignment_id=assignment.id,
            incident_id=incident.id,
            audit_id=audit.id,
        )
