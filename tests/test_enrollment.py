"""The pilot enrollment workflow: steps, guards with their French reasons, history."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from console import models as m
from console.models import EnrollmentStatus as S
from console.services.audit import Actor, acting_as
from console.services.commands import CommandError
from console.services.enrollment import TransitionEnrollments

from .conftest import create_user, login
from .console_builders import assign, make_cooperative, make_device, make_sale

_n = itertools.count(1)


@pytest.fixture(scope="module")
def pnud(app):
    create_user(app, "pnud.officer", "PNUD")
    return "pnud.officer"


def enroll(session, status=S.NOMINATED, *, province="BI-GI", coop=None, cohort=None):
    """An enrollment at ``status`` (flushed), with a fresh cooperative unless given."""
    coop = coop or make_cooperative(session, province)
    cohort = cohort or m.Cohort(name=f"Cohorte {next(_n)}", year=2023)
    enrollment = m.Enrollment(
        cohort=cohort, cooperative=coop, status=status, nominated_on=dt.date(2023, 6, 1)
    )
    session.add(enrollment)
    session.flush()
    return enrollment


def attend(session, coop):
    training = m.TrainingSession(
        title=f"Atelier {next(_n)}",
        place="Gitega",
        starts_on=dt.date(2023, 6, 26),
        ends_on=dt.date(2023, 6, 30),
    )
    session.add(
        m.Attendance(
            session=training,
            cooperative=coop,
            participant_name="Jeanine",
            gender=m.Gender.FEMALE,
            days_attended=5,
        )
    )
    session.flush()


def move(session, enrollments, target, note=None):
    enrollments = enrollments if isinstance(enrollments, list) else [enrollments]
    with acting_as(Actor(None, "agent.pnud", "console")):
        return TransitionEnrollments(session, enrollments, target, note=note).run()


def refusal(session, enrollment, target, note=None) -> str:
    with pytest.raises(CommandError) as refused:
        move(session, enrollment, target, note)
    return " ".join(refused.value.errors)


def test_full_path_records_each_step_with_who_when_and_dates(db_session):
    e = enroll(db_session)
    coop = e.cooperative
    attend(db_session, coop)
    assign(db_session, make_device(db_session, "BI-GI"), coop)
    make_sale(db_session, coop)
    for target in (S.SELECTED, S.TRAINED, S.EQUIPPED, S.ACTIVE):
        move(db_session, e, target)
    assert e.status == S.ACTIVE
    assert all([e.selected_on, e.trained_on, e.equipped_on, e.activated_on])
    steps = [(t.from_status, t.to_status, t.by_username, t.by_user_id) for t in e.transitions]
    assert steps == [
        ("nominated", "selected", "agent.pnud", None),
        ("selected", "trained", "agent.pnud", None),
        ("trained", "equipped", "agent.pnud", None),
        ("equipped", "active", "agent.pnud", None),
    ]
    assert all(t.at is not None for t in e.transitions)


def test_trained_is_refused_without_attendance_at_a_training_session(db_session):
    e = enroll(db_session, S.SELECTED)
    message = refusal(db_session, e, S.TRAINED)
    assert "aucune présence à une session de formation" in message
    assert e.status == S.SELECTED and e.transitions == []


def test_equipped_is_refused_without_a_tablet_and_says_why(db_session):
    e = enroll(db_session, S.TRAINED)
    message = refusal(db_session, e, S.EQUIPPED)
    assert "aucune tablette ne lui est remise" in message
    assert e.cooperative.name in message


def test_equipped_is_refused_with_only_an_accessory_or_a_returned_tablet(db_session):
    e = enroll(db_session, S.TRAINED)
    assign(db_session, make_device(db_session, "BI-GI", kind=m.DeviceKind.CHARGER), e.cooperative)
    returned = assign(db_session, make_device(db_session, "BI-GI"), e.cooperative)
    returned.checked_in_at = dt.datetime(2023, 7, 1, tzinfo=dt.UTC)
    db_session.flush()
    assert "aucune tablette" in refusal(db_session, e, S.EQUIPPED)


def test_active_is_refused_without_listing_or_sale(db_session):
    e = enroll(db_session, S.EQUIPPED)
    assert "aucune offre ni réalisé aucune vente" in refusal(db_session, e, S.ACTIVE)


def test_active_is_accepted_with_a_listing_only(db_session):
    e = enroll(db_session, S.EQUIPPED)
    line = make_sale(db_session, make_cooperative(db_session, "BI-GI"))
    db_session.add(
        m.Listing(
            product=line.product,
            cooperative=e.cooperative,
            quantity_offered=5,
            unit_price=1000,
            listed_at=dt.datetime(2023, 7, 1, tzinfo=dt.UTC),
        )
    )
    db_session.flush()
    move(db_session, e, S.ACTIVE)
    assert e.status == S.ACTIVE


def test_steps_cannot_be_skipped(db_session):
    e = enroll(db_session)
    attend(db_session, e.cooperative)
    message = refusal(db_session, e, S.TRAINED)
    assert "qu'après l'étape « Sélectionnée »" in message


def test_withdrawal_needs_a_reason_and_is_final(db_session):
    e = enroll(db_session, S.SELECTED)
    assert "motif du retrait" in refusal(db_session, e, S.WITHDRAWN, note="  ")
    move(db_session, e, S.WITHDRAWN, note="La coopérative a renoncé (AG du 12/08/2023).")
    assert e.status == S.WITHDRAWN and e.withdrawn_on is not None
    assert e.transitions[-1].note.startswith("La coopérative a renoncé")
    assert "ne peut plus changer" in refusal(db_session, e, S.SELECTED)


def test_a_suspended_cooperative_does_not_move_forward(db_session):
    e = enroll(db_session)
    e.cooperative.status = m.CooperativeStatus.SUSPENDED
    db_session.flush()
    assert "suspendue" in refusal(db_session, e, S.SELECTED)


def test_bulk_move_is_all_or_nothing_and_lists_every_refusal(db_session):
    cohort = m.Cohort(name=f"Cohorte {next(_n)}", year=2024)
    ready = enroll(db_session, S.TRAINED, cohort=cohort)
    assign(db_session, make_device(db_session, "BI-GI"), ready.cooperative)
    missing_a = enroll(db_session, S.TRAINED, cohort=cohort)
    missing_b = enroll(db_session, S.TRAINED, cohort=cohort)
    with pytest.raises(CommandError) as refused:
        move(db_session, [ready, missing_a, missing_b], S.EQUIPPED)
    assert len(refused.value.errors) == 2
    assert {ready.status, missing_a.status, missing_b.status} == {S.TRAINED}
    assert ready.transitions == []


# -- through the console, as the UNDP programme officer --------------------------------


def _flashes(client):
    with client.session_transaction() as session:
        return [message for _category, message in session.pop("_flashes", [])]


def test_officer_is_refused_equipped_before_a_tablet_is_checked_out(app, pnud):
    from console.extensions import db

    with app.app_context():
        e = enroll(db.session, S.TRAINED)
        db.session.commit()
        enrollment_id, name = e.id, e.cooperative.name
    client = app.test_client()
    login(client, pnud)
    client.post(
        "/enrollmentview/action_post", data={"action": "equip", "rowid": [str(enrollment_id)]}
    )
    messages = " ".join(_flashes(client))
    assert f"« {name} » ne peut pas être marquée « Équipée » : aucune tablette" in messages
    with app.app_context():
        assert db.session.get(m.Enrollment, enrollment_id).status == S.TRAINED


def test_officer_moves_a_cohort_forward_in_bulk_and_history_shows_on_the_enrollment(app, pnud):
    from console.extensions import db

    with app.app_context():
        cohort = m.Cohort(name=f"Cohorte {next(_n)}", year=2024)
        ids = [enroll(db.session, cohort=cohort).id for _ in range(3)]
        db.session.commit()
    client = app.test_client()
    login(client, pnud)
    client.post(
        "/enrollmentview/action_post", data={"action": "select", "rowid": [str(i) for i in ids]}
    )
    assert any("3 inscription(s) passée(s) à « Sélectionnée »" in f for f in _flashes(client))
    with app.app_context():
        statuses = db.session.scalars(
            sa.select(m.Enrollment.status).where(m.Enrollment.id.in_(ids))
        )
        assert set(statuses) == {S.SELECTED}
        by = db.session.scalars(
            sa.select(m.EnrollmentTransition.by_username).where(
                m.EnrollmentTransition.enrollment_id == ids[0]
            )
        ).all()
    assert by == [pnud]
    page = client.get(f"/enrollmentview/show/{ids[0]}").get_data(as_text=True)
    assert "Historique" in page and "Sélectionnée" in page and pnud in page


def test_withdrawal_form_requires_a_reason(app, pnud):
    from console.extensions import db

    with app.app_context():
        enrollment_id = enroll(db.session).id
        db.session.commit()
    client = app.test_client()
    login(client, pnud)
    page = client.post(
        f"/enrollmentview/withdraw/?ids={enrollment_id}", data={"reason": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Indiquez le motif du retrait" in page
    client.post(
        f"/enrollmentview/withdraw/?ids={enrollment_id}",
        data={"reason": "Dissoute par son assemblée générale."},
    )
    with app.app_context():
        assert db.session.get(m.Enrollment, enrollment_id).status == S.WITHDRAWN


def test_nominating_through_the_form_starts_the_history(app, pnud):
    from console.extensions import db

    with app.app_context():
        coop = make_cooperative(db.session, "BI-KI")
        cohort = m.Cohort(name=f"Cohorte {next(_n)}", year=2025)
        db.session.add(cohort)
        db.session.commit()
        coop_id, cohort_id = coop.id, cohort.id
    client = app.test_client()
    login(client, pnud)
    client.post("/enrollmentview/add", data={"cohort": str(cohort_id), "cooperative": str(coop_id)})
    with app.app_context():
        enrollment = db.session.scalars(
            sa.select(m.Enrollment).where(m.Enrollment.cooperative_id == coop_id)
        ).one()
        assert enrollment.status == S.NOMINATED and enrollment.nominated_on is not None
        assert [(t.from_status, t.to_status, t.by_username) for t in enrollment.transitions] == [
            (None, "nominated", pnud)
        ]
    # a second nomination into the same cohort is refused with a French message
    client.post("/enrollmentview/add", data={"cohort": str(cohort_id), "cooperative": str(coop_id)})
    assert any("déjà inscrite" in f for f in _flashes(client))


def test_training_session_page_counts_participants_by_gender(app, pnud):
    from console.extensions import db

    with app.app_context():
        coop = make_cooperative(db.session, "BI-GI")
        training = m.TrainingSession(
            title="Atelier de Gitega",
            place="Gitega",
            starts_on=dt.date(2023, 6, 26),
            ends_on=dt.date(2023, 6, 30),
        )
        db.session.add_all(
            [
                m.Attendance(
                    session=training,
                    cooperative=coop,
                    participant_name=name,
                    gender=gender,
                    days_attended=5,
                )
                for name, gender in (
                    ("Aline", m.Gender.FEMALE),
                    ("Béatrice", m.Gender.FEMALE),
                    ("Claude", m.Gender.MALE),
                )
            ]
        )
        db.session.commit()
        session_id = training.id
    client = app.test_client()
    login(client, pnud)
    page = client.get(f"/trainingsessionview/show/{session_id}").get_data(as_text=True)
    compact = " ".join(page.split())
    assert 'Femmes</th><td class="text-right">2' in compact
    assert 'Hommes</th><td class="text-right">1' in compact
