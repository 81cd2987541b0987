"""Province scoping through every entry point, as a coordinator signed in by the real form.

Two provinces hold one record of each kind; the coordinator of Gitega must see Gitega's
rows only — lists, details, edits, deletes, actions, workflow forms, dropdowns, search,
CSV export and the REST API — and get 404 for Ngozi's ids.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from console import models as m
from console.security import policy
from console.security.scoping import is_scoped
from console.views.base import IsokoModelView

from .conftest import create_user, login
from .console_builders import build_province_world

OWN, OTHER = "BI-GI", "BI-NG"
# Which ProvinceWorld attribute holds the row of each scoped model.
WORLD_ATTRIBUTE = {
    m.Cooperative: "cooperative_id",
    m.Product: "product_id",
    m.Listing: "listing_id",
    m.Buyer: "buyer_id",
    m.Order: "order_id",
    m.OrderLine: "order_line_id",
    m.Payment: "payment_id",
    m.TaxRemittance: "remittance_id",
    m.Enrollment: "enrollment_id",
    m.EnrollmentTransition: "transition_id",
    m.TrainingSession: "session_id",
    m.Attendance: "attendance_id",
    m.Device: "device_id",
    m.DeviceAssignment: "assignment_id",
    m.DeviceIncident: "incident_id",
    m.DeviceAudit: "audit_id",
    m.Province: "province_id",
    m.Commune: "commune_id",
}


@pytest.fixture(scope="module")
def worlds(app):
    own = build_province_world(app, OWN, "Gitega")
    other = build_province_world(app, OTHER, "Ngozi")
    create_user(app, "coord.gitega", policy.COORDINATOR, [OWN])
    create_user(app, "coord.gitega2025", policy.COORDINATOR, ["BI25-GI"])
    create_user(app, "coord.sans.province", policy.COORDINATOR)
    create_user(app, "ministere.scope", policy.MINISTRY)
    return own, other


@pytest.fixture
def coordinator(app, worlds):
    client = app.test_client()
    assert "/logout/" in login(client, "coord.gitega").get_data(as_text=True)
    return client


def scoped_views(app, known_only: bool = True):
    """The console's views over province-scoped tables that a coordinator may list.

    ``known_only``: those whose table the two worlds fill (other features' scoped tables
    are checked by row counts only).
    """
    return [
        view
        for view in app.appbuilder.baseviews
        if isinstance(view, IsokoModelView)
        and is_scoped(view.datamodel.obj)
        and policy.allows(policy.COORDINATOR, "can_list", view.class_permission_name)
        and (view.datamodel.obj in WORLD_ATTRIBUTE or not known_only)
    ]


def _ids(worlds, model):
    attribute = WORLD_ATTRIBUTE[model]
    own, other = worlds
    return getattr(own, attribute), getattr(other, attribute)


def test_every_scoped_export_holds_at_most_the_scoped_rows(app, worlds, coordinator):
    from console.extensions import db
    from console.security.scoping import ProvinceScope, scope_clause

    with app.app_context():
        gitega = db.session.scalar(sa.select(m.Province.id).where(m.Province.code == OWN))
        scope = ProvinceScope(False, frozenset({gitega}))
        for view in scoped_views(app, known_only=False):
            model = view.datamodel.obj
            allowed = db.session.scalar(
                sa.select(sa.func.count()).select_from(model).where(scope_clause(model, scope))
            )
            response = coordinator.get(f"{view.route_base}/csv/", buffered=True)
            assert response.status_code == 200, view.route_base
            rows = len(response.get_data(as_text=True).strip().splitlines()) - 1
            assert rows <= allowed, (
                f"{view.route_base}: {rows} lignes exportées, {allowed} permises"
            )


def _links_to(page: str, endpoint_base: str, pk: int) -> bool:
    return re.search(rf"{endpoint_base}/show/{pk}(?![0-9])", page) is not None


def test_every_scoped_list_shows_only_own_province_rows(app, worlds, coordinator):
    checked = []
    for view in scoped_views(app):
        own_id, other_id = _ids(worlds, view.datamodel.obj)
        page = coordinator.get(f"{view.route_base}/list/?psize_{view.__class__.__name__}=100")
        assert page.status_code == 200, view.route_base
        html = page.get_data(as_text=True)
        assert _links_to(html, view.route_base, own_id), f"{view.route_base}: own row missing"
        assert not _links_to(html, view.route_base, other_id), (
            f"{view.route_base}: other province shown"
        )
        assert "Ngozi" not in html or view.datamodel.obj in (m.Province, m.Commune), view.route_base
        checked.append(view.route_base)
    assert len(checked) >= 15, checked


def test_coordinator_gets_404_on_other_province_details(app, worlds, coordinator):
    for view in scoped_views(app):
        own_id, other_id = _ids(worlds, view.datamodel.obj)
        assert coordinator.get(f"{view.route_base}/show/{own_id}").status_code == 200, (
            view.route_base
        )
        assert coordinator.get(f"{view.route_base}/show/{other_id}").status_code == 404, (
            view.route_base
        )


def test_coordinator_gets_404_on_other_province_edit_and_delete(app, worlds, coordinator):
    tried = 0
    for view in scoped_views(app):
        _own, other_id = _ids(worlds, view.datamodel.obj)
        resource = view.class_permission_name
        if "can_edit" in view.base_permissions and policy.allows(
            policy.COORDINATOR, "can_edit", resource
        ):
            assert coordinator.get(f"{view.route_base}/edit/{other_id}").status_code == 404
            assert (
                coordinator.post(f"{view.route_base}/edit/{other_id}", data={}).status_code == 404
            )
            tried += 1
        if "can_delete" in view.base_permissions and policy.allows(
            policy.COORDINATOR, "can_delete", resource
        ):
            assert coordinator.post(f"{view.route_base}/delete/{other_id}").status_code == 404
            tried += 1
    assert tried >= 4


def test_coordinator_cannot_edit_other_province_cooperative_even_by_posting(
    app, worlds, coordinator
):
    from console.extensions import db

    _own, other = worlds
    coordinator.post(
        f"/cooperativeview/edit/{other.cooperative_id}",
        data={"name": "Piratée", "registration_number": "X-1"},
    )
    with app.app_context():
        assert db.session.get(m.Cooperative, other.cooperative_id).name == "Abahizi Ngozi"


def test_workflow_routes_answer_404_for_other_province_ids(app, worlds, coordinator):
    _own, other = worlds
    for url in (
        f"/deviceassignmentview/checkin/{other.assignment_id}",
        f"/deviceassignmentview/transfer/{other.assignment_id}",
        f"/deviceassignmentview/receipt/{other.assignment_id}",
        f"/enrollmentview/withdraw/?ids={other.enrollment_id}",
    ):
        assert coordinator.get(url).status_code == 404, url
    assert (
        coordinator.post(f"/enrollmentview/action/select/{other.enrollment_id}").status_code == 404
    )
    response = coordinator.post(
        "/enrollmentview/action_post",
        data={"action": "select", "rowid": [str(other.enrollment_id)]},
    )
    assert response.status_code == 404


def test_service_refuses_other_province_ids_posted_to_a_form(app, worlds, coordinator):
    from console.extensions import db

    own, other = worlds
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(m.DeviceAssignment))
    page = coordinator.post(
        "/deviceassignmentview/add",
        data={
            "device": str(other.spare_device_id),
            "cooperative": str(other.other_cooperative_id),
            "received_by": "Intrus",
            "condition": "good",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Équipement introuvable" in page and "Coopérative introuvable" in page
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(m.DeviceAssignment)) == before
        )


def test_dropdowns_offer_only_own_province_rows(worlds, coordinator):
    own, _other = worlds
    checkout = coordinator.get("/deviceassignmentview/add").get_data(as_text=True)
    assert "Dukorere Gitega" in checkout
    assert "Ngozi" not in checkout
    edit = coordinator.get(f"/cooperativeview/edit/{own.cooperative_id}").get_data(as_text=True)
    assert "Gitega" in edit and "Ngozi" not in edit and "Kirundo" not in edit
    incident = coordinator.get("/deviceincidentview/add").get_data(as_text=True)
    assert "TAB-" in incident and "Ngozi" not in incident


def test_search_finds_nothing_of_other_provinces(worlds, coordinator):
    page = coordinator.get("/cooperativeview/list/?_flt_0_name=ngozi").get_data(as_text=True)
    assert "Abahizi Ngozi" not in page
    page = coordinator.get("/cooperativeview/list/?_flt_0_name=GITÉGA").get_data(as_text=True)
    assert "Abahizi Gitega" in page


def test_csv_export_is_limited_to_own_province(worlds, coordinator):
    response = coordinator.get("/cooperativeview/csv/", buffered=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Abahizi Gitega" in text and "Dukorere Gitega" in text
    assert "Ngozi" not in text
    lines = (
        coordinator.get("/orderlineview/csv/", buffered=True)
        .get_data(as_text=True)
        .strip()
        .splitlines()
    )
    assert len(lines) == 2  # header + Gitega's one line


def test_rest_api_is_limited_to_own_province(worlds, coordinator):
    own, other = worlds
    listing = coordinator.get("/api/v1/cooperative/").get_json()
    names = {row["name"] for row in listing["result"]}
    assert names == {"Abahizi Gitega", "Dukorere Gitega"}
    assert listing["count"] == 2
    assert coordinator.get(f"/api/v1/cooperative/{own.cooperative_id}").status_code == 200
    assert coordinator.get(f"/api/v1/cooperative/{other.cooperative_id}").status_code == 404
    assert coordinator.get(f"/api/v1/enrollment/{other.enrollment_id}").status_code == 404
    assert coordinator.get(f"/api/v1/device/{other.device_id}").status_code == 404


def test_master_detail_tabs_show_only_own_rows(worlds, coordinator):
    own, _other = worlds
    page = coordinator.get(f"/cooperativeview/show/{own.cooperative_id}").get_data(as_text=True)
    assert "Ngozi" not in page
    assert "TAB-" in page  # the device handed to it, in the hand-overs tab


def test_coordinator_of_a_2025_province_sees_its_2015_predecessors(app, worlds):
    client = app.test_client()
    login(client, "coord.gitega2025")
    text = client.get("/cooperativeview/csv/", buffered=True).get_data(as_text=True)
    assert "Abahizi Gitega" in text and "Ngozi" not in text


def test_coordinator_without_province_sees_nothing(app, worlds):
    client = app.test_client()
    login(client, "coord.sans.province")
    lines = (
        client.get("/cooperativeview/csv/", buffered=True)
        .get_data(as_text=True)
        .strip()
        .splitlines()
    )
    assert len(lines) == 1
    own, _other = worlds
    assert client.get(f"/cooperativeview/show/{own.cooperative_id}").status_code == 404


def test_national_roles_see_both_provinces(app, worlds):
    client = app.test_client()
    login(client, "ministere.scope")
    text = client.get("/cooperativeview/csv/", buffered=True).get_data(as_text=True)
    assert "Abahizi Gitega" in text and "Abahizi Ngozi" in text


def test_stock_table_counts_only_own_province(app, worlds, coordinator):
    page = coordinator.get("/devicestockview/list/").get_data(as_text=True)
    assert "Gitega" in page and "Ngozi" not in page


def test_coordinator_sees_their_provinces_on_their_own_account(coordinator):
    page = coordinator.get("/users/userinfo/").get_data(as_text=True)
    assert "Gitega" in page
