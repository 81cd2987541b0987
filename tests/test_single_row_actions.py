"""Single-row list actions (a cooperative's status, its OBR transmission, closing a tax
rule): one row opens its form page; several ticked rows go back to the list, warned,
with nothing changed (console.views.workflow.open_row_form)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from console import models as m

from . import tax_data
from .conftest import signed_in_client


@pytest.fixture(scope="module")
def rows(app):
    from console.extensions import db

    with app.app_context():
        sellers = [tax_data.make_seller(db.session, key, "BI-GI", vat=True) for key in ("V", "W")]
        rules = db.session.scalars(select(m.TaxRule.id).order_by(m.TaxRule.id).limit(2)).all()
        db.session.commit()
        return [s.id for s in sellers], rules


@pytest.mark.parametrize(
    ("view", "action", "form", "kind"),
    [
        ("cooperativeview", "change_status", "status", "sellers"),
        ("cooperativeview", "ebms_transmit", "obr", "sellers"),
        ("taxruleview", "close", "close", "rules"),
    ],
)
def test_one_row_opens_its_form_and_several_go_back_to_the_list(
    app, rows, view, action, form, kind
):
    from console.extensions import db

    client = signed_in_client(app, "admin.actions", "Admin")
    ids = rows[0] if kind == "sellers" else rows[1]
    one = client.post(f"/{view}/action/{action}/{ids[0]}")
    assert one.status_code == 302
    assert urlsplit(one.location).path == f"/{view}/{form}/{ids[0]}"
    assert client.get(one.location).status_code == 200

    with app.app_context():
        audited = db.session.scalar(select(func.count()).select_from(m.AuditEvent))
    several = client.post(
        f"/{view}/action_post", data={"action": action, "rowid": [str(i) for i in ids]}
    )
    assert several.status_code == 302
    assert urlsplit(several.location).path == f"/{view}/list/"
    page = client.get(several.location).get_data(as_text=True)
    assert "Choisissez une seule" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(m.AuditEvent)) == audited
