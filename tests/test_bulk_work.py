"""Bulk work: nominate several cooperatives, check several tablets out to one cooperative,
record a whole session's attendance from one table. Same guards as the single action,
one audit event per row, all or nothing, province-scoped."""

from __future__ import annotations

import datetime as dt
import html
import itertools

import pytest
import sqlalchemy as sa

from console import models as m
from console.models import DeviceStatus as DS
from console.security.scoping import NATIONAL, ProvinceScope
from console.services.attendance import RecordAttendance
from console.services.audit import Actor, acting_as
from console.services.commands import CommandError
from console.services.enrollment import NominateCooperatives
from console.services.inventory import CheckOutDevices

from .conftest import signed_in_client
from .console_builders import make_cooperative, make_device, province

_n = itertools.count(1)
DAY = dt.date(2023, 7, 10)


def audit_count(session, table: str, ids) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(m.AuditEvent)
        .where(
            m.AuditEvent.table_name == table,
            m.AuditEvent.action == "insert",
            m.AuditEvent.row_id.in_(list(ids)),
        )
    )


def count(session, model, *where) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def cohort(session) -> m.Cohort:
    found = m.Cohort(name=f"Cohorte bulk {next(_n)}", year=2024)
    session.add(found)
    session.flush()
    return found


def training(session) -> m.TrainingSession:
    found = m.TrainingSession(
        title=f"Atelier bulk {next(_n)}",
        place="Gitega",
        starts_on=dt.date(2023, 6, 26),
        ends_on=dt.date(2023, 6, 28),
    )
    session.add(found)
    session.flush()
    return found


def flashes(client) -> str:
    with client.session_transaction() as session:
        return html.unescape(" ".join(message for _c, message in session.pop("_flashes", [])))


# -- the services ------------------------------------------------------------------------


def test_nominating_several_writes_one_enrollment_and_one_audit_event_each(db_session):
    group = cohort(db_session)
    coops = [make_cooperative(db_session, "BI-GI") for _ in range(3)]
    with acting_as(Actor(None, "agent.pnud", "console")):
        enrollments = NominateCooperatives(db_session, group, coops, on=DAY).run()
    assert [e.cooperative_id for e in enrollments] == [c.id for c in coops]
    assert count(db_session, m.Enrollment, m.Enrollment.cohort_id == group.id) == 3
    assert {e.status for e in enrollments} == {m.EnrollmentStatus.NOMINATED}
    assert audit_count(db_session, "enrollment", [e.id for e in enrollments]) == 3
    assert all([t.to_status for t in e.transitions] == ["nominated"] for e in enrollments)


def test_one_refused_nomination_writes_nothing_and_names_each_refusal(db_session):
    group = cohort(db_session)
    good = make_cooperative(db_session, "BI-GI")
    suspended = make_cooperative(db_session, "BI-GI", status=m.CooperativeStatus.SUSPENDED)
    already = make_cooperative(db_session, "BI-GI")
    NominateCooperatives(db_session, group, [already], on=DAY).run()
    with pytest.raises(CommandError) as refused:
        NominateCooperatives(db_session, group, [good, suspended, already], on=DAY).run()
    text = " ".join(refused.value.errors)
    assert f"« {suspended.name} » est suspendue : elle ne peut pas être nominée." in text
    assert f"« {already.name} » est déjà inscrite dans la cohorte" in text
    assert good.name not in text
    assert count(db_session, m.Enrollment, m.Enrollment.cohort_id == group.id) == 1


def test_checking_out_several_devices_writes_one_hand_over_and_audit_event_each(db_session):
    coop = make_cooperative(db_session, "BI-GI")
    devices = [make_device(db_session, "BI-GI") for _ in range(3)]
    values = dict(cooperative_id=coop.id, received_by="Présidente", condition="new", day=DAY)
    command = CheckOutDevices(db_session, NATIONAL, device_ids=[d.id for d in devices], **values)
    assignments = command.run()
    assert [a.device_id for a in assignments] == [d.id for d in devices]
    assert {d.status for d in devices} == {DS.ASSIGNED}
    assert audit_count(db_session, "device_assignment", [a.id for a in assignments]) == 3


def test_one_unavailable_device_refuses_the_whole_hand_over(db_session):
    coop = make_cooperative(db_session, "BI-GI")
    good = make_device(db_session, "BI-GI")
    stolen = make_device(db_session, "BI-GI", status=DS.STOLEN)
    values = dict(cooperative_id=coop.id, received_by="", condition="new", day=DAY)
    with pytest.raises(CommandError) as refused:
        CheckOutDevices(db_session, NATIONAL, device_ids=[good.id, stolen.id], **values).run()
    errors = refused.value.errors
    assert (
        f"L'équipement {stolen.asset_tag} est déclaré volé : il ne peut pas être remis." in errors
    )
    # a refusal every device shares is said once
    assert errors.count("Le champ « Reçu par » est obligatoire.") == 1
    assert good.status == DS.IN_STOCK
    ids = [good.id, stolen.id]
    assert count(db_session, m.DeviceAssignment, m.DeviceAssignment.device_id.in_(ids)) == 0


def test_a_coordinator_cannot_check_out_another_provinces_device(db_session):
    coop = make_cooperative(db_session, "BI-GI")
    elsewhere = make_device(db_session, "BI-KI")
    gitega = ProvinceScope(False, frozenset({province(db_session, "BI-GI").id}))
    values = dict(cooperative_id=coop.id, received_by="Présidente", condition="new", day=DAY)
    with pytest.raises(CommandError) as refused:
        CheckOutDevices(db_session, gitega, device_ids=[elsewhere.id], **values).run()
    assert refused.value.errors == ["Équipement introuvable."]
    assert elsewhere.status == DS.IN_STOCK


def row(name, gender="F", coop=None, days=""):
    return {
        "participant_name": name,
        "gender": gender,
        "role": "Membre",
        "cooperative_id": coop.id if coop else None,
        "days_attended": days,
    }


def test_attendance_table_records_every_participant_with_one_audit_event_each(db_session):
    session = training(db_session)
    coop = make_cooperative(db_session, "BI-GI")
    rows = [row("Aline", coop=coop), row("Claude", "M", coop, "2"), row(""), row("Diane")]
    rows[2] = dict.fromkeys(rows[2], "")  # an empty line of the table is skipped
    recorded = RecordAttendance(
        db_session, NATIONAL, training_session_id=session.id, rows=rows
    ).run()
    assert [(a.participant_name, a.days_attended) for a in recorded] == [
        ("Aline", 3),  # empty: the whole session
        ("Claude", 2),
        ("Diane", 3),
    ]
    assert count(db_session, m.Attendance, m.Attendance.session_id == session.id) == 3
    assert audit_count(db_session, "attendance", [a.id for a in recorded]) == 3


def test_one_bad_line_of_the_attendance_table_writes_nothing(db_session):
    session = training(db_session)
    coop = make_cooperative(db_session, "BI-GI")
    rows = [row("Aline", coop=coop), row("Béatrice", "", coop, "9"), row("aline ", coop=coop)]
    with pytest.raises(CommandError) as refused:
        RecordAttendance(db_session, NATIONAL, training_session_id=session.id, rows=rows).run()
    assert refused.value.errors == [
        "Ligne 2 : indiquez le sexe (Femme ou Homme).",
        "Ligne 2 : La session ne dure que 3 jour(s).",
        "Ligne 3 : « aline » est déjà enregistré(e) pour cette session.",
    ]
    assert count(db_session, m.Attendance, m.Attendance.session_id == session.id) == 0


def test_a_coordinator_records_attendance_only_for_cooperatives_they_see(db_session):
    session = training(db_session)
    mine = make_cooperative(db_session, "BI-GI")
    other = make_cooperative(db_session, "BI-KI")
    make_cooperative(db_session, "BI-GI")
    db_session.add(
        m.Attendance(session=session, cooperative=mine, participant_name="X", gender=m.Gender.MALE)
    )
    db_session.flush()
    gitega = ProvinceScope(False, frozenset({province(db_session, "BI-GI").id}))
    rows = [row("Aline", coop=other), row("Béatrice")]
    with pytest.raises(CommandError) as refused:
        RecordAttendance(db_session, gitega, training_session_id=session.id, rows=rows).run()
    assert refused.value.errors[0] == "Ligne 1 : coopérative introuvable."
    assert refused.value.errors[1].startswith("Ligne 2 : indiquez la coopérative")
    assert count(db_session, m.Attendance, m.Attendance.session_id == session.id) == 1


# -- through the console -----------------------------------------------------------------


def test_officer_nominates_ticked_cooperatives_into_a_cohort(app):
    from console.extensions import db

    client = signed_in_client(app, "pnud.bulk", "PNUD")
    with app.app_context():
        group = cohort(db.session)
        ids = [make_cooperative(db.session, "BI-GI").id for _ in range(2)]
        db.session.commit()
        cohort_id = group.id
    response = client.post(
        "/cooperativeview/action_post", data={"action": "nominate", "rowid": [str(i) for i in ids]}
    )
    assert response.status_code == 302
    form_url = response.headers["Location"]
    assert "/enrollmentview/nominate/" in form_url
    response = client.post(form_url, data={"cohort": str(cohort_id), "day": "10/07/2023"})
    assert response.status_code == 302
    assert "2 coopérative(s) nominée(s)." in flashes(client)
    with app.app_context():
        nominated = db.session.scalars(
            sa.select(m.Enrollment.cooperative_id).where(m.Enrollment.cohort_id == cohort_id)
        ).all()
        assert sorted(nominated) == sorted(ids)


def test_coordinator_gets_404_on_another_provinces_rows_in_bulk(app):
    from console.extensions import db

    client = signed_in_client(app, "coord.bulk", "Coordinateur provincial", ["BI-GI"])
    with app.app_context():
        mine, theirs = make_device(db.session, "BI-GI"), make_device(db.session, "BI-KI")
        group = cohort(db.session)
        enrollment = m.Enrollment(
            cohort=group,
            cooperative=make_cooperative(db.session, "BI-KI"),
            status=m.EnrollmentStatus.NOMINATED,
            nominated_on=DAY,
        )
        db.session.add(enrollment)
        db.session.commit()
        mine_id, theirs_id, enrollment_id = mine.id, theirs.id, enrollment.id
    response = client.post(
        "/deviceview/action_post",
        data={"action": "checkout", "rowid": [str(mine_id), str(theirs_id)]},
    )
    assert response.status_code == 404
    assert (
        client.get(f"/deviceassignmentview/add_several/?devices={mine_id},{theirs_id}").status_code
        == 404
    )
    response = client.post(
        "/enrollmentview/action_post", data={"action": "select", "rowid": [str(enrollment_id)]}
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(m.Device, theirs_id).status == DS.IN_STOCK
        assert db.session.get(m.Enrollment, enrollment_id).status == m.EnrollmentStatus.NOMINATED


def test_coordinator_checks_out_two_tablets_to_one_cooperative(app):
    from console.extensions import db

    client = signed_in_client(app, "coord.bulk2", "Coordinateur provincial", ["BI-GI"])
    with app.app_context():
        ids = [make_device(db.session, "BI-GI").id for _ in range(2)]
        coop_id = make_cooperative(db.session, "BI-GI").id
        db.session.commit()
    response = client.post(
        "/deviceview/action_post", data={"action": "checkout", "rowid": [str(i) for i in ids]}
    )
    form_url = response.headers["Location"]
    values = {"cooperative": str(coop_id), "received_by": "Gérante", "condition": "new"}
    assert client.post(form_url, data=values).status_code == 302
    assert "2 équipement(s) remis." in flashes(client)
    with app.app_context():
        holders = db.session.scalars(
            sa.select(m.DeviceAssignment.cooperative_id).where(
                m.DeviceAssignment.device_id.in_(ids)
            )
        ).all()
        assert holders == [coop_id, coop_id]


def test_officer_records_a_session_from_the_attendance_table(app):
    from console.extensions import db

    client = signed_in_client(app, "pnud.bulk3", "PNUD")
    with app.app_context():
        session = training(db.session)
        coop_id = make_cooperative(db.session, "BI-GI").id
        db.session.commit()
        session_id = session.id
    url = f"/trainingsessionview/presences/{session_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Enregistrer les présences" in page
    data = {
        "rows-0-participant_name": "Aline",
        "rows-0-gender": "F",
        "rows-0-cooperative": str(coop_id),
        "rows-1-participant_name": "Claude",
        "rows-1-gender": "M",
        "rows-1-days_attended": "deux",
    }
    page = html.unescape(client.post(url, data=data).get_data(as_text=True))
    assert "Ligne 2 : jours de présence : « deux » n'est pas un nombre entier." in page
    data["rows-1-days_attended"] = "2"
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        names = db.session.scalars(
            sa.select(m.Attendance.participant_name).where(m.Attendance.session_id == session_id)
        ).all()
        assert sorted(names) == ["Aline", "Claude"]
    coordinator = signed_in_client(app, "coord.bulk3", "Coordinateur provincial", ["BI-GI"])
    assert coordinator.get(url).status_code in (302, 403, 404)


def test_the_single_attendance_form_applies_the_same_days_rule(app):
    from console.extensions import db

    client = signed_in_client(app, "pnud.bulk4", "PNUD")
    with app.app_context():
        session_id = training(db.session).id
        db.session.commit()
    data = {"session": str(session_id), "participant_name": "Eric", "gender": "M"}
    client.post("/attendanceview/add", data=data | {"days_attended": "9"})
    assert "La session ne dure que 3 jour(s)." in flashes(client)
    client.post("/attendanceview/add", data=data | {"days_attended": "3"})
    with app.app_context():
        assert count(db.session, m.Attendance, m.Attendance.session_id == session_id) == 1
