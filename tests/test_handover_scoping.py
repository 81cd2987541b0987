"""A hand-over belongs to the cooperative that received the device, not to wherever the
device is now: list, detail, receipt and PDF agree."""

from __future__ import annotations

import datetime as dt

import pytest

from console import models as m
from console.security import policy

from .conftest import create_user, login
from .console_builders import assign, make_cooperative, make_device, province

LENT_TO = "Coopérative Twiyungunganye Rutana"


@pytest.fixture(scope="module")
def lent_and_returned(app):
    """A Gitega tablet lent to a Rutana cooperative, handed back and returned to Gitega."""
    from console.extensions import db

    with app.app_context():
        session = db.session
        device = make_device(session, "BI-GI")
        rutana = make_cooperative(session, "BI-RT", name=LENT_TO)
        lent = assign(session, device, rutana, dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC))
        lent.received_by = "Bigirimana Rutana"
        lent.checked_in_at = dt.datetime(2024, 5, 2, 9, tzinfo=dt.UTC)
        device.status = m.DeviceStatus.IN_STOCK
        device.province_id = province(session, "BI-GI").id  # back home
        gitega = make_cooperative(session, "BI-GI", name="Coopérative Abahizi Gitega")
        kept = assign(session, device, gitega, dt.datetime(2024, 6, 1, 9, tzinfo=dt.UTC))
        session.commit()
        ids = {"lent": lent.id, "kept": kept.id}
    create_user(app, "coord.gitega.remises", policy.COORDINATOR, ["BI-GI"])
    create_user(app, "coord.rutana.remises", policy.COORDINATOR, ["BI-RT"])
    return ids


def _signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def test_gitega_coordinator_no_longer_sees_the_rutana_cooperatives_hand_over(
    app, lent_and_returned
):
    client = _signed_in(app, "coord.gitega.remises")
    listing = client.get("/deviceassignmentview/list/?psize_DeviceAssignmentView=100").get_data(
        as_text=True
    )
    assert LENT_TO not in listing and "Bigirimana Rutana" not in listing
    assert "Coopérative Abahizi Gitega" in listing  # its own cooperative's hand-over stays
    lent = lent_and_returned["lent"]
    assert client.get(f"/deviceassignmentview/show/{lent}").status_code == 404
    assert client.get(f"/deviceassignmentview/receipt/{lent}").status_code == 404
    pdf = client.post(
        "/rapports/bon-de-remise/generer", data={"assignment": str(lent), "format": "pdf"}
    )
    assert pdf.status_code == 404
    csv_text = client.get("/deviceassignmentview/csv/", buffered=True).get_data(as_text=True)
    assert LENT_TO not in csv_text


def test_rutana_coordinator_sees_the_hand_over_to_their_cooperative(app, lent_and_returned):
    client = _signed_in(app, "coord.rutana.remises")
    listing = client.get("/deviceassignmentview/list/").get_data(as_text=True)
    assert LENT_TO in listing and "Coopérative Abahizi Gitega" not in listing
    lent = lent_and_returned["lent"]
    receipt = client.get(f"/deviceassignmentview/receipt/{lent}")
    assert receipt.status_code == 200 and "Bigirimana Rutana" in receipt.get_data(as_text=True)
    assert (
        client.get(f"/deviceassignmentview/receipt/{lent_and_returned['kept']}").status_code == 404
    )
    pdf = client.post(
        "/rapports/bon-de-remise/generer", data={"assignment": str(lent), "format": "pdf"}
    )
    assert pdf.status_code == 200


def test_checking_out_a_tablet_lent_elsewhere_does_not_name_the_other_provinces_cooperative(app):
    from console.extensions import db
    from console.security.scoping import ProvinceScope
    from console.services.inventory import CheckOutDevice

    with app.app_context():
        session = db.session
        device = make_device(session, "BI-GI")
        assign(session, device, make_cooperative(session, "BI-RT", name="Coopérative Prêt Rutana"))
        gitega = make_cooperative(session, "BI-GI")
        scope = ProvinceScope(False, frozenset({province(session, "BI-GI").id}))
        errors = CheckOutDevice(
            session,
            scope,
            device_id=device.id,
            cooperative_id=gitega.id,
            received_by="Secrétaire",
            condition="good",
        ).validate()
        session.rollback()
    assert any("une coopérative d'une autre province" in e for e in errors)
    assert not any("Prêt Rutana" in e for e in errors)
