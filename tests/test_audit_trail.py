"""The audit trail: every console change recorded with who and when; filter; never edit."""

from __future__ import annotations

import datetime as dt
import html

import pytest
import sqlalchemy as sa

from console import models as m

from .conftest import create_user, login
from .console_builders import make_cooperative


@pytest.fixture(scope="module")
def people(app):
    create_user(app, "admin.audit", "Admin")
    create_user(app, "dir.audit", "Ministère")
    create_user(app, "obr.audit", "Auditeur fiscal")
    create_user(app, "pnud.audit", "PNUD")


@pytest.fixture(scope="module")
def edited(app, people):
    """A cooperative renamed by the directorate through the console."""
    from console.extensions import db

    with app.app_context():
        coop = make_cooperative(db.session, "BI-BR", name="Abakorerabushake Bururi")
        db.session.commit()
        coop_id, province_id, number = coop.id, coop.province_id, coop.registration_number
    client = app.test_client()
    login(client, "dir.audit")
    response = client.post(
        f"/cooperativeview/edit/{coop_id}",
        data={
            "registration_number": number,
            "name": "Abakorerabushake Bururi (renommée)",
            "seller_kind": "cooperative",
            "category": "production",
            "province": str(province_id),
            "members_total": "40",
            "members_women": "20",
            "members_youth": "3",
        },
    )
    assert response.status_code == 302
    return coop_id


def _page(client, url) -> str:
    return html.unescape(client.get(url).get_data(as_text=True))


def test_a_console_edit_is_recorded_with_user_source_time_and_old_and_new_values(app, edited):
    from console.extensions import db

    with app.app_context():
        event = db.session.scalars(
            sa.select(m.AuditEvent).where(
                m.AuditEvent.table_name == "cooperative",
                m.AuditEvent.row_id == edited,
                m.AuditEvent.action == "update",
            )
        ).one()
    assert (event.username, event.source) == ("dir.audit", "console")
    assert event.changes["name"] == [
        "Abakorerabushake Bururi",
        "Abakorerabushake Bururi (renommée)",
    ]
    assert event.changes["members_total"] == [25, 40]
    assert dt.datetime.now(dt.UTC) - event.at < dt.timedelta(minutes=5)


def _rows(client, filters: str) -> list[str]:
    """The trail's rows for these list filters (through the CSV export of the same list)."""
    text = client.get(f"/auditeventview/csv/?{filters}", buffered=True).get_data(as_text=True)
    return text.strip().splitlines()[1:]


def test_trail_filters_by_user_table_record_and_date_range(app, edited):
    client = app.test_client()
    login(client, "obr.audit")
    by_user = _rows(client, "_flt_3_username=dir.audit")
    assert by_user and all(";dir.audit;" in row for row in by_user)
    by_record = _rows(client, f"_flt_3_table_name=cooperative&_flt_0_row_id={edited}")
    assert [row.split(";")[-1] for row in by_record] == ["Modification", "Création"]
    # The date filters take Bujumbura days (UTC+2): from 22:00 UTC it is already tomorrow.
    from console.services.periods import today_local

    today = today_local().isoformat()
    assert len(
        _rows(client, f"_flt_3_username=dir.audit&_flt_1_at={today}&_flt_2_at={today}")
    ) == len(by_user)
    assert _rows(client, "_flt_3_username=dir.audit&_flt_2_at=2020-01-01") == []
    page = _page(client, f"/auditeventview/list/?_flt_3_username=dir.audit&_flt_1_at={today}")
    assert "Modification" in page


def _update_event(app, cooperative_id) -> int:
    from console.extensions import db

    with app.app_context():
        return db.session.scalar(
            sa.select(m.AuditEvent.id).where(
                m.AuditEvent.row_id == cooperative_id,
                m.AuditEvent.action == "update",
                m.AuditEvent.table_name == "cooperative",
            )
        )


def test_event_detail_shows_old_and_new_values(app, edited):
    event_id = _update_event(app, edited)
    client = app.test_client()
    login(client, "obr.audit")
    page = _page(client, f"/auditeventview/show/{event_id}")
    assert "Abakorerabushake Bururi → Abakorerabushake Bururi (renommée)" in page


@pytest.mark.parametrize(
    "method,url",
    [
        ("GET", "/auditeventview/edit/1"),
        ("POST", "/auditeventview/edit/1"),
        ("POST", "/auditeventview/delete/1"),
        ("GET", "/auditeventview/add"),
        ("POST", "/auditeventview/action_post"),
    ],
)
def test_no_route_edits_or_deletes_an_event_even_for_the_administrator(app, edited, method, url):
    from console.extensions import db

    client = app.test_client()
    login(client, "admin.audit")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(m.AuditEvent))
    assert client.open(url, method=method).status_code in (404, 405)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(m.AuditEvent)) >= before


def test_trail_is_read_by_ministry_and_obr_but_not_by_undp(app, people):
    for username, status in (("dir.audit", 200), ("obr.audit", 200), ("pnud.audit", 403)):
        client = app.test_client()
        login(client, username)
        assert client.get("/auditeventview/list/").status_code == status, username


def test_filtered_trail_exports_as_csv(app, edited):
    client = app.test_client()
    login(client, "obr.audit")
    text = client.get(
        f"/auditeventview/csv/?_flt_3_table_name=cooperative&_flt_0_row_id={edited}", buffered=True
    ).get_data(as_text=True)
    rows = text.strip().splitlines()
    assert rows[0].lstrip("\ufeff").startswith("Date;Utilisateur")
    assert len(rows) == 3  # header, creation, renaming
    assert rows[1].split(";")[-1] == "Modification"


def test_event_names_the_record_by_its_label_with_a_link_not_a_table_and_id(app, edited):
    event_id = _update_event(app, edited)
    client = app.test_client()
    login(client, "dir.audit")
    page = _page(client, f"/auditeventview/show/{event_id}")
    link = page.index(f'href="/cooperativeview/show/{edited}"')
    assert "Coopératives : Abakorerabushake Bururi (renommée)</a>" in page[link : link + 200]
    listing = _page(client, "/auditeventview/list/?_flt_3_username=dir.audit")
    assert f"/cooperativeview/show/{edited}" in listing and ">cooperative<" not in listing


def test_values_read_as_people_write_them():
    from console.formatting import format_value

    assert format_value(["Café", "Haricot"]) == "Café, Haricot"
    assert format_value(None) == "—" and format_value("") == "—"
    assert format_value(True) in {"Oui", "Yes"} and format_value(False) in {"Non", "No"}
    # UTC with microseconds, as the audit trail's JSON keeps it → Bujumbura, minutes.
    assert format_value("2026-12-03T08:15:42.123456+00:00") == "03/12/2026 10:15"
    assert format_value(dt.date(2026, 12, 3)) == "03/12/2026"
    assert format_value(1234567) == "1\u202f234\u202f567"
