"""Tablet inventory: hand-overs, incidents moving the status, audits, stock, receipt."""

from __future__ import annotations

import datetime as dt
import html

import pytest
import sqlalchemy as sa

from console import models as m
from console.models import DeviceStatus as DS
from console.security.scoping import NATIONAL, ProvinceScope
from console.services.commands import CommandError
from console.services.inventory import (
    CheckInDevice,
    CheckOutDevice,
    RecordAudit,
    ReportIncident,
    TransferDevice,
    handover_receipt,
    stock_by_province,
)

from .conftest import create_user, login
from .console_builders import assign, make_cooperative, make_device

TODAY = dt.date(2023, 7, 10)


def checkout(session, device, coop, scope=NATIONAL, **extra):
    values = dict(
        device_id=device.id,
        cooperative_id=coop.id,
        received_by="Présidente",
        condition="good",
        day=TODAY,
    )
    values.update(extra)
    return CheckOutDevice(session, scope, **values).run()


def incident(session, device, kind, scope=NATIONAL):
    return ReportIncident(
        session,
        scope,
        device_id=device.id,
        kind=kind,
        occurred_on=TODAY,
        reported_by="Coordinateur",
    ).run()


def refused(command) -> str:
    with pytest.raises(CommandError) as error:
        command.run()
    return " ".join(error.value.errors)


def test_checkout_hands_a_device_in_stock_to_the_cooperative(db_session):
    device = make_device(db_session, None)
    coop = make_cooperative(db_session, "BI-MY")
    assignment = checkout(db_session, device, coop)
    assert device.status == DS.ASSIGNED
    assert assignment.cooperative_id == coop.id and assignment.checked_in_at is None
    assert device.province_id == coop.province_id  # the coordinator of Muyinga now sees it


def test_a_device_cannot_be_assigned_twice_at_once(db_session):
    device = make_device(db_session, "BI-GI")
    first, second = make_cooperative(db_session, "BI-GI"), make_cooperative(db_session, "BI-GI")
    checkout(db_session, device, first)
    message = refused(
        CheckOutDevice(
            db_session,
            NATIONAL,
            device_id=device.id,
            cooperative_id=second.id,
            received_by="Trésorier",
            condition="good",
        )
    )
    assert f"déjà remis à « {first.name} »" in message
    assert (
        db_session.scalar(
            sa.select(sa.func.count())
            .select_from(m.DeviceAssignment)
            .where(m.DeviceAssignment.device_id == device.id)
        )
        == 1
    )


@pytest.mark.parametrize(
    "status,word",
    [
        (DS.LOST, "perdu"),
        (DS.STOLEN, "volé"),
        (DS.RETIRED, "réformé"),
        (DS.IN_REPAIR, "en réparation"),
    ],
)
def test_lost_stolen_retired_or_in_repair_devices_cannot_be_checked_out(db_session, status, word):
    device = make_device(db_session, "BI-GI", status=status)
    coop = make_cooperative(db_session, "BI-GI")
    message = refused(
        CheckOutDevice(
            db_session,
            NATIONAL,
            device_id=device.id,
            cooperative_id=coop.id,
            received_by="X",
            condition="good",
        )
    )
    assert word in message and "ne peut pas être remis" in message


def test_checkout_lists_every_missing_field_at_once(db_session):
    device = make_device(db_session, "BI-GI")
    errors = CheckOutDevice(
        db_session,
        NATIONAL,
        device_id=device.id,
        cooperative_id=None,
        received_by=" ",
        condition="",
        day=dt.date(2999, 1, 1),
    ).validate()
    assert len(errors) == 4
    assert any("Coopérative introuvable" in e for e in errors)
    assert any("Reçu par" in e for e in errors)
    assert any("futur" in e for e in errors)


def test_stolen_incident_closes_the_hand_over_and_blocks_checkout(db_session):
    device = make_device(db_session, "BI-GI")
    coop = make_cooperative(db_session, "BI-GI")
    assignment = checkout(db_session, device, coop)
    incident(db_session, device, "stolen")
    assert device.status == DS.STOLEN
    assert assignment.checked_in_at is not None and "vol déclaré" in assignment.note
    assert "volé" in refused(
        CheckOutDevice(
            db_session,
            NATIONAL,
            device_id=device.id,
            cooperative_id=coop.id,
            received_by="X",
            condition="good",
        )
    )


def test_lost_incident_keeps_the_hand_over_open_and_a_found_device_returns_to_stock(db_session):
    device = make_device(db_session, "BI-GI")
    assignment = checkout(db_session, device, make_cooperative(db_session, "BI-GI"))
    incident(db_session, device, "lost")
    assert device.status == DS.LOST and assignment.checked_in_at is None
    CheckInDevice(db_session, NATIONAL, assignment_id=assignment.id, condition="worn").run()
    assert device.status == DS.IN_STOCK


def test_damage_sends_to_repair_and_repair_returns_to_the_holder_or_to_stock(db_session):
    held = make_device(db_session, "BI-GI")
    checkout(db_session, held, make_cooperative(db_session, "BI-GI"))
    incident(db_session, held, "damaged")
    assert held.status == DS.IN_REPAIR
    incident(db_session, held, "repaired")
    assert held.status == DS.ASSIGNED
    spare = make_device(db_session, "BI-GI")
    incident(db_session, spare, "damaged")
    incident(db_session, spare, "repaired")
    assert spare.status == DS.IN_STOCK


def test_repaired_is_refused_for_a_device_not_in_repair(db_session):
    device = make_device(db_session, "BI-GI")
    message = refused(
        ReportIncident(
            db_session,
            NATIONAL,
            device_id=device.id,
            kind="repaired",
            occurred_on=TODAY,
            reported_by="X",
        )
    )
    assert "n'est pas en réparation" in message and device.status == DS.IN_STOCK


def test_no_incident_on_a_stolen_device(db_session):
    device = make_device(db_session, "BI-GI", status=DS.STOLEN)
    assert "déjà « Volé »" in refused(
        ReportIncident(
            db_session,
            NATIONAL,
            device_id=device.id,
            kind="damaged",
            occurred_on=TODAY,
            reported_by="X",
        )
    )


def test_checkin_closes_once(db_session):
    device = make_device(db_session, "BI-GI")
    assignment = checkout(db_session, device, make_cooperative(db_session, "BI-GI"))
    CheckInDevice(
        db_session, NATIONAL, assignment_id=assignment.id, condition="good", day=TODAY
    ).run()
    assert device.status == DS.IN_STOCK and assignment.condition_in == m.DeviceCondition.GOOD
    assert "déjà clôturée" in refused(
        CheckInDevice(db_session, NATIONAL, assignment_id=assignment.id, condition="good")
    )


def test_transfer_closes_one_hand_over_and_opens_the_next(db_session):
    device = make_device(db_session, "BI-GI")
    first = make_cooperative(db_session, "BI-GI")
    second = make_cooperative(db_session, "BI-KR")
    old = checkout(db_session, device, first)
    new = TransferDevice(
        db_session,
        NATIONAL,
        assignment_id=old.id,
        cooperative_id=second.id,
        received_by="Secrétaire",
        condition="good",
        day=TODAY,
    ).run()
    assert old.checked_in_at == new.checked_out_at
    assert new.cooperative_id == second.id and new.checked_in_at is None
    assert device.status == DS.ASSIGNED and device.province_id == second.province_id
    assert "autre coopérative" in refused(
        TransferDevice(
            db_session,
            NATIONAL,
            assignment_id=new.id,
            cooperative_id=second.id,
            received_by="X",
            condition="good",
        )
    )


def test_nothing_is_handed_to_a_suspended_cooperative(db_session):
    device = make_device(db_session, "BI-GI")
    coop = make_cooperative(db_session, "BI-GI", status=m.CooperativeStatus.SUSPENDED)
    assert "suspendue" in refused(
        CheckOutDevice(
            db_session,
            NATIONAL,
            device_id=device.id,
            cooperative_id=coop.id,
            received_by="X",
            condition="good",
        )
    )


def test_audit_records_who_saw_the_device_where_and_when(db_session):
    device = make_device(db_session, "BI-GI")
    audit = RecordAudit(
        db_session,
        NATIONAL,
        device_id=device.id,
        seen_on=TODAY,
        seen_by="Coordinateur Gitega",
        location="Bureau communal",
    ).run()
    assert (audit.seen_on, audit.seen_by, audit.location) == (
        TODAY,
        "Coordinateur Gitega",
        "Bureau communal",
    )
    errors = RecordAudit(
        db_session, NATIONAL, device_id=device.id, seen_on=None, seen_by=""
    ).validate()
    assert len(errors) == 2


def test_commands_do_not_see_another_provinces_device(db_session):
    device = make_device(db_session, "BI-NG")
    gitega = db_session.scalar(sa.select(m.Province.id).where(m.Province.code == "BI-GI"))
    scope = ProvinceScope(False, frozenset({gitega}))
    errors = ReportIncident(
        db_session, scope, device_id=device.id, kind="stolen", occurred_on=TODAY, reported_by="X"
    ).validate()
    assert errors == ["Équipement introuvable."]
    assert device.status == DS.IN_STOCK


def test_stock_table_matches_the_devices_table(db_session):
    make_device(db_session, "BI-RT", status=DS.LOST)
    table = stock_by_province(db_session, NATIONAL)
    counts = dict(
        db_session.execute(
            sa.select(m.Device.status, sa.func.count()).group_by(m.Device.status)
        ).all()
    )
    assert table.total == sum(counts.values())
    assert {status: table.totals.get(status, 0) for status in counts} == counts
    rutana = dict((name, row) for name, row, _total in table.rows)["Rutana"]
    assert rutana.get(DS.LOST) >= 1
    only_tablets = stock_by_province(db_session, NATIONAL, kind="tablet")
    assert only_tablets.total == db_session.scalar(
        sa.select(sa.func.count()).select_from(m.Device).where(m.Device.kind == m.DeviceKind.TABLET)
    )


def test_handover_receipt_gives_what_the_paper_prints(db_session):
    coop = make_cooperative(db_session, "BI-GI", name="Twiyungunganye Gitega")
    when = dt.datetime(2023, 6, 30, 8, tzinfo=dt.UTC)
    tablet = assign(db_session, make_device(db_session, "BI-GI"), coop, when)
    assign(
        db_session,
        make_device(db_session, "BI-GI", kind=m.DeviceKind.CHARGER),
        coop,
        when + dt.timedelta(minutes=5),
    )
    receipt = handover_receipt(db_session, tablet.id, NATIONAL)
    assert receipt.reference == f"REM-{tablet.id:06d}"
    assert receipt.cooperative_name == "Twiyungunganye Gitega"
    assert receipt.asset_tag == tablet.device.asset_tag and receipt.device_kind == "Tablette"
    assert [kind for kind, _tag, _serial in receipt.companions] == ["Chargeur"]
    assert handover_receipt(db_session, tablet.id, ProvinceScope(False, frozenset())) is None


# -- through the console, as the provincial coordinator --------------------------------


def test_coordinator_records_a_stolen_tablet_which_then_cannot_be_checked_out(app):
    from console.extensions import db

    create_user(app, "coord.vol", "Coordinateur provincial", ["BI-GI"])
    with app.app_context():
        device = make_device(db.session, "BI-GI")
        coop = make_cooperative(db.session, "BI-GI", name="Abakundakazi Gitega")
        db.session.commit()
        device_id, coop_id, tag = device.id, coop.id, device.asset_tag
    client = app.test_client()
    login(client, "coord.vol")
    client.post(
        "/deviceincidentview/add",
        data={
            "device": str(device_id),
            "kind": "stolen",
            "occurred_on": "2023-07-10",
            "reported_by": "Coordinateur Gitega",
            "description": "Vol au marché",
        },
    )
    with app.app_context():
        assert db.session.get(m.Device, device_id).status == DS.STOLEN
    page = html.unescape(
        client.post(
            "/deviceassignmentview/add",
            data={
                "device": str(device_id),
                "cooperative": str(coop_id),
                "received_by": "Présidente",
                "condition": "good",
            },
            follow_redirects=True,
        ).get_data(as_text=True)
    )
    assert f"L'équipement {tag} est déclaré volé : il ne peut pas être remis." in page
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(m.DeviceAssignment)
                .where(m.DeviceAssignment.device_id == device_id)
            )
            == 0
        )


def test_officer_checks_out_then_prints_the_receipt(app):
    from console.extensions import db

    create_user(app, "pnud.stock", "PNUD")
    with app.app_context():
        device = make_device(db.session, None)
        coop = make_cooperative(db.session, "BI-RY", name="Dusangire Ruyigi")
        db.session.commit()
        device_id, coop_id = device.id, coop.id
    client = app.test_client()
    login(client, "pnud.stock")
    response = client.post(
        "/deviceassignmentview/add",
        data={
            "device": str(device_id),
            "cooperative": str(coop_id),
            "received_by": "Gérante",
            "condition": "new",
            "day": "2023-06-30",
        },
    )
    assert response.status_code == 302
    assignment_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    page = client.get(f"/deviceassignmentview/receipt/{assignment_id}").get_data(as_text=True)
    assert "Dusangire Ruyigi" in page and "Gérante" in page and "30/06/2023" in page
    stock = client.get("/devicestockview/list/").get_data(as_text=True)
    assert "Ruyigi" in stock
