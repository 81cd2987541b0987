"""Who may generate and download which report: roles policy, province scope, archived files."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from console import models as m
from console.security.policy import ROLES, allows, is_declared
from reports.registry import reports

from .reports_fixtures import (
    COORDINATOR_PROVINCE,
    OTHER_PROVINCE,
    PERIOD,
    generate,
    latest_archive,
    login_as,
    seeded_app_fixture,
)

REPORT_VIEWS = [spec.resource for spec in reports().values()] + [
    "MyReportsView",
    "MySubscriptionsView",
    "ReportVerificationView",
]
# Report routes only read, but for one's own subscriptions (created, paused, deleted).
WRITABLE = {"MySubscriptionsView": {"can_read", "can_write"}}
USERS = {
    "Ministère": "ministere",
    "PNUD": "pnud",
    "Coordinateur provincial": "coord",
    "Auditeur fiscal": "auditeur",
}


# This module's app: its own copy of the seeded reports database (replaces conftest's).
app = seeded_app_fixture(order_lines=1500)


def _archives(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(m.ReportArchive))


def _in_province(db_session, model, code: str, inside: bool):
    """The first row of ``model`` whose cooperative is (or is not) in the 2025 province ``code``."""
    province = db_session.scalar(select(m.Province.id).where(m.Province.code == code))
    coop = m.Cooperative.province_2025_id == province
    stmt = select(model.id)
    if model is m.DeviceAssignment:
        stmt = (
            stmt.join(m.Device, m.Device.id == m.DeviceAssignment.device_id)
            .join(m.Province, m.Province.id == m.Device.province_id)
            .where(
                (m.Province.id == province) | (m.Province.successor_id == province)
                if inside
                else (m.Province.id != province) & (m.Province.successor_id != province)
            )
        )
    else:
        stmt = stmt.where(
            coop
            if inside
            else ~coop
            & (
                m.Cooperative.province_id.not_in(
                    select(m.Province.id).where(m.Province.successor_id == province)
                )
            )
        )
    return db_session.scalar(stmt.order_by(model.id).limit(1))


def test_every_report_route_resolves_to_a_declared_policy_resource(app):
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/rapports/")
    }
    assert endpoints
    views = {view.__class__.__name__: view for view in app.appbuilder.baseviews}
    for endpoint in endpoints:
        view = views[endpoint.split(".")[0]]
        assert is_declared(view.class_permission_name), endpoint
        expected = WRITABLE.get(view.__class__.__name__, {"can_read"})
        assert set(view.base_permissions) == expected, endpoint


@pytest.mark.parametrize("role", ROLES[1:])
@pytest.mark.parametrize("resource", REPORT_VIEWS)
def test_report_pages_answer_as_the_policy_says(app, client, role, resource):
    login_as(client, USERS[role])
    view = next(v for v in app.appbuilder.baseviews if v.__class__.__name__ == resource)
    response = client.get(view.route_base + "/")
    if allows(role, "can_read", resource):
        assert response.status_code == 200, (role, resource)
    else:
        assert response.status_code in (403, 404), (role, resource)


def test_coordinator_gets_a_report_for_their_province(client):
    login_as(client, "coord")
    response = generate(
        client, "ventes-mensuel", period=PERIOD, province=COORDINATOR_PROVINCE, format="pdf"
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"


def test_coordinator_gets_a_report_for_a_former_province_inside_theirs(client):
    login_as(client, "coord")
    response = generate(client, "ventes-mensuel", period=PERIOD, province="BI-KR", format="pdf")
    assert response.status_code == 200


def test_coordinator_gets_404_on_another_province_report_and_nothing_is_archived(
    client, db_session
):
    before = _archives(db_session)
    login_as(client, "coord")
    for province in (OTHER_PROVINCE, "BI-KI"):
        response = generate(
            client, "ventes-mensuel", period=PERIOD, province=province, format="pdf"
        )
        assert response.status_code == 404
    assert _archives(db_session) == before


def test_coordinator_gets_404_on_a_national_report(client, db_session):
    before = _archives(db_session)
    login_as(client, "coord")
    assert (
        generate(client, "ventes-mensuel", period=PERIOD, province="", format="pdf").status_code
        == 404
    )
    assert (
        generate(client, "programme-pilote", period=PERIOD, province="", format="pdf").status_code
        == 404
    )
    assert _archives(db_session) == before


def test_coordinator_form_offers_only_their_provinces(client):
    login_as(client, "coord")
    page = client.get("/rapports/ventes-mensuel/").get_data(as_text=True)
    assert COORDINATOR_PROVINCE in page and "BI-GI" in page
    assert OTHER_PROVINCE not in page
    assert "National (toutes les provinces)</option>" not in page


def test_coordinator_gets_404_on_another_province_cooperative_sheet(client, db_session):
    login_as(client, "coord")
    outside = _in_province(db_session, m.Cooperative, COORDINATOR_PROVINCE, inside=False)
    inside = _in_province(db_session, m.Cooperative, COORDINATOR_PROVINCE, inside=True)
    assert (
        generate(
            client, "fiche-cooperative", cooperative=str(outside), period=PERIOD, format="pdf"
        ).status_code
        == 404
    )
    assert (
        generate(
            client, "fiche-cooperative", cooperative=str(inside), period=PERIOD, format="pdf"
        ).status_code
        == 200
    )


def test_coordinator_gets_404_on_another_province_handover_receipt(client, db_session):
    login_as(client, "coord")
    outside = _in_province(db_session, m.DeviceAssignment, COORDINATOR_PROVINCE, inside=False)
    assert (
        generate(client, "bon-de-remise", assignment=str(outside), format="pdf").status_code == 404
    )


def test_auditor_downloads_the_tax_statement_but_not_the_inventory(client):
    login_as(client, "auditeur")
    response = generate(
        client, "recettes-fiscales", period=PERIOD, province=COORDINATOR_PROVINCE, format="pdf"
    )
    assert response.status_code == 200
    assert generate(client, "inventaire-tablettes", province="", format="pdf").status_code == 403


def test_coordinator_and_undp_may_not_generate_the_tax_statement(client):
    for user in ("coord", "pnud"):
        login_as(client, user)
        response = generate(
            client, "recettes-fiscales", period=PERIOD, province=COORDINATOR_PROVINCE, format="pdf"
        )
        assert response.status_code == 403, user


def test_archived_national_report_is_not_served_to_a_coordinator(app, client):
    login_as(client, "ministere")
    assert (
        generate(client, "ventes-mensuel", period=PERIOD, province="", format="pdf").status_code
        == 302
    )
    national = latest_archive(app, "ministere")
    assert client.get(f"/rapports/mes-rapports/{national.id}/telecharger").status_code == 200
    login_as(client, "coord")
    assert client.get(f"/rapports/mes-rapports/{national.id}/telecharger").status_code == 404
    assert client.get(f"/rapports/mes-rapports/{national.id}/etat").status_code == 404


def test_archived_province_report_is_served_to_whoever_sees_that_province(app, client):
    login_as(client, "coord")
    assert (
        generate(
            client, "ventes-mensuel", period=PERIOD, province=COORDINATOR_PROVINCE, format="pdf"
        ).status_code
        == 200
    )
    mine = latest_archive(app, "coord")
    url = f"/rapports/mes-rapports/{mine.id}/telecharger"
    assert client.get(url).status_code == 200
    login_as(client, "coord.autre")
    assert client.get(url).status_code == 404
    login_as(client, "ministere")
    assert client.get(url).status_code == 200
    login_as(client, "auditeur")  # may read sales reports, nationally
    assert client.get(url).status_code == 200


def test_archived_tax_statement_is_not_served_to_a_role_without_the_report(app, client):
    login_as(client, "auditeur")
    assert (
        generate(
            client, "recettes-fiscales", period=PERIOD, province=COORDINATOR_PROVINCE, format="pdf"
        ).status_code
        == 200
    )
    statement = latest_archive(app, "auditeur")
    login_as(client, "pnud")
    assert client.get(f"/rapports/mes-rapports/{statement.id}/telecharger").status_code == 404


def test_my_reports_lists_only_my_own_reports(app, client):
    login_as(client, "coord")
    generate(client, "ventes-mensuel", period=PERIOD, province=COORDINATOR_PROVINCE, format="pdf")
    mine = latest_archive(app, "coord")
    login_as(client, "ministere")
    generate(client, "ventes-mensuel", period=PERIOD, province="", format="pdf")
    theirs = latest_archive(app, "ministere")
    login_as(client, "coord")
    page = client.get("/rapports/mes-rapports/").get_data(as_text=True)
    assert mine.title in page
    assert f"/rapports/mes-rapports/{theirs.id}/" not in page


def test_anonymous_visitor_is_sent_to_login_from_every_report_page(client):
    client.get("/logout/")
    for url in (
        "/rapports/ventes-mensuel/",
        "/rapports/mes-rapports/",
        "/rapports/verifier/",
        "/rapports/mes-rapports/1/telecharger",
    ):
        response = client.get(url)
        assert response.status_code in (302, 401), url
        assert "/login/" in response.headers.get("Location", ""), url
