"""The cooperative registry: duplicates on create, audited status changes, master-detail."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from console import models as m
from console.security.scoping import NATIONAL, ProvinceScope
from console.services.commands import CommandError
from console.services.registry import (
    ChangeCooperativeStatus,
    CooperativeCandidate,
    find_duplicates,
    names_look_alike,
)

from .conftest import create_user, login
from .console_builders import build_province_world, make_cooperative


@pytest.fixture(scope="module")
def officer(app):
    create_user(app, "dir.registre", "Ministère")
    create_user(app, "coord.registre", "Coordinateur provincial", ["BI-GI"])
    return "dir.registre"


def _form(**values):
    form = {
        "registration_number": "ANACOOP-NEW-1",
        "name": "Coopérative Tuzamurane",
        "seller_kind": "cooperative",
        "category": "production",
        "province": "",
        "commune": "",
        "members_total": "30",
        "members_women": "18",
        "members_youth": "5",
    }
    form.update(values)
    return form


def _province_id(app, code):
    from console.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(m.Province.id).where(m.Province.code == code))


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_names_that_differ_only_by_accents_case_or_the_word_cooperative_look_alike():
    assert names_look_alike("Coopérative DUKORERE Hamwe", "COOP Dukorere-Hamwe")
    assert names_look_alike("Twiyungunganye", "Twiyunganye")  # a typo
    assert not names_look_alike("Dukorere Hamwe", "Abahizi")


def test_duplicates_are_found_by_number_nif_and_look_alike_name_in_the_commune(db_session):
    existing = make_cooperative(
        db_session, "BI-GI", name="Coopérative Dukorere Hamwe", nif="4000123456"
    )
    candidate = CooperativeCandidate(
        name="COOP DUKORERE-HAMWE",
        nif="4000123456",
        registration_number=existing.registration_number.lower(),
        commune_id=existing.commune_id,
    )
    found = {d.reason: d for d in find_duplicates(db_session, candidate)}
    assert set(found) == {"registration_number", "nif", "name"}
    assert found["registration_number"].blocking and not found["nif"].blocking
    elsewhere = CooperativeCandidate(name="Dukorere Hamwe", commune_id=None)
    assert find_duplicates(db_session, elsewhere) == []


def test_a_coordinator_learns_of_a_duplicate_elsewhere_without_seeing_it(db_session):
    make_cooperative(db_session, "BI-NG", name="Abanyamwete Ngozi", nif="4000999999")
    gitega = db_session.scalar(sa.select(m.Province.id).where(m.Province.code == "BI-GI"))
    found = find_duplicates(
        db_session,
        CooperativeCandidate(name="X", nif="4000999999"),
        ProvinceScope(False, frozenset({gitega})),
    )
    assert [d.message for d in found] == [
        "Ce NIF est déjà celui de une coopérative d'une autre province."
    ]


def test_exact_registration_number_duplicate_is_refused_on_create(app, officer):
    from console.extensions import db

    with app.app_context():
        existing = make_cooperative(db.session, "BI-GI", name="Abahuza Gitega")
        db.session.commit()
        number = existing.registration_number
    client = app.test_client()
    login(client, officer)
    page = _page(
        client.post(
            "/cooperativeview/add",
            data=_form(registration_number=number, province=str(_province_id(app, "BI-GI"))),
        )
    )
    assert f"Ce numéro d'enregistrement est déjà celui de « Abahuza Gitega » (n° {number}" in page
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(m.Cooperative)
                .where(m.Cooperative.registration_number == number)
            )
            == 1
        )


def test_same_nif_is_warned_and_saved_only_once_confirmed(app, officer):
    from console.extensions import db

    with app.app_context():
        make_cooperative(db.session, "BI-KY", name="Abasangiye Kayanza", nif="4000555555")
        db.session.commit()
    client = app.test_client()
    login(client, officer)
    form = _form(
        registration_number="ANACOOP-NEW-NIF",
        name="Tugwizimbuto",
        nif="4000555555",
        province=str(_province_id(app, "BI-KY")),
    )
    page = _page(client.post("/cooperativeview/add", data=form))
    assert "Ce NIF est déjà celui de « Abasangiye Kayanza »" in page
    assert "Doublon probable" in page
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(m.Cooperative.id).where(
                    m.Cooperative.registration_number == "ANACOOP-NEW-NIF"
                )
            )
            is None
        )
    client.post("/cooperativeview/add", data={**form, "confirm_duplicates": "y"})
    with app.app_context():
        created = db.session.scalars(
            sa.select(m.Cooperative).where(m.Cooperative.registration_number == "ANACOOP-NEW-NIF")
        ).one()
        # the 2025 province follows from the 2015 one (Kayanza → Butanyerera)
        assert created.province_2025.code == "BI25-BT"


def test_look_alike_name_in_the_same_commune_is_warned(app, officer):
    from console.extensions import db

    with app.app_context():
        existing = make_cooperative(db.session, "BI-MU", name="Coopérative Terimbere Muramvya")
        db.session.commit()
        commune_id, province_id = existing.commune_id, existing.province_id
    client = app.test_client()
    login(client, officer)
    page = _page(
        client.post(
            "/cooperativeview/add",
            data=_form(
                registration_number="ANACOOP-NEW-NAME",
                name="TERIMBERE MURAMVYA",
                province=str(province_id),
                commune=str(commune_id),
            ),
        )
    )
    assert "Un nom presque identique existe dans la même commune" in page


def test_directorate_suspends_with_a_reason_and_the_audit_trail_shows_who_and_when(app, officer):
    from console.extensions import db

    with app.app_context():
        coop_id = make_cooperative(db.session, "BI-GI", name="Abishizehamwe Gitega").id
        db.session.commit()
    client = app.test_client()
    login(client, officer)
    refused = _page(
        client.post(
            f"/cooperativeview/status/{coop_id}", data={"status": "suspended", "reason": "AG"}
        )
    )
    assert "Indiquez le motif du changement de statut" in refused
    reason = "Dissolution votée par l'assemblée générale du 14/05/2024."
    client.post(
        f"/cooperativeview/status/{coop_id}", data={"status": "suspended", "reason": reason}
    )
    with app.app_context():
        coop = db.session.get(m.Cooperative, coop_id)
        assert (coop.status, coop.status_reason) == (m.CooperativeStatus.SUSPENDED, reason)
        event = db.session.scalars(
            sa.select(m.AuditEvent).where(
                m.AuditEvent.table_name == "cooperative",
                m.AuditEvent.row_id == coop_id,
                m.AuditEvent.action == "update",
            )
        ).one()
        assert event.username == officer and event.at is not None
        assert event.changes["status"] == ["active", "suspended"]
    page = _page(client.get(f"/cooperativeview/show/{coop_id}"))
    assert "Historique du statut" in page and reason in page and officer in page
    trail = _page(
        client.get(f"/auditeventview/list/?_flt_0_table_name=cooperative&_flt_0_row_id={coop_id}")
    )
    assert officer in trail


def test_a_dissolved_cooperative_cannot_be_reactivated(db_session):
    coop = make_cooperative(db_session, "BI-GI", status=m.CooperativeStatus.DISSOLVED)
    with pytest.raises(CommandError) as refused:
        ChangeCooperativeStatus(
            db_session,
            NATIONAL,
            cooperative_id=coop.id,
            status="active",
            reason="Erreur de saisie constatée.",
        ).run()
    assert "dissolution est définitive" in refused.value.errors[0]
    assert coop.status == m.CooperativeStatus.DISSOLVED


def test_a_coordinator_may_edit_but_not_suspend(app, officer):
    from console.extensions import db

    with app.app_context():
        coop_id = make_cooperative(db.session, "BI-GI").id
        db.session.commit()
    client = app.test_client()
    login(client, "coord.registre")
    assert client.get(f"/cooperativeview/edit/{coop_id}").status_code == 200
    assert client.get(f"/cooperativeview/status/{coop_id}").status_code == 403


def test_cooperative_page_has_its_products_listings_orders_devices_enrollment_remittances(
    app, officer
):
    world = build_province_world(app, "BI-CA", "Cankuzo")
    client = app.test_client()
    login(client, officer)
    page = _page(client.get(f"/cooperativeview/show/{world.cooperative_id}"))
    for tab in (
        "Inscriptions",
        "Produits",
        "Offres",
        "Commandes",
        "Remises d'équipements",
        "Versements OBR",
    ):
        assert f">{tab}</a>" in page, tab
    assert "TAB-" in page and "CMD-" in page and "OBR-" in page
