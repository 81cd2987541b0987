"""Dates are typed and shown jj/mm/aaaa in every form and filter; ISO is accepted too."""

from __future__ import annotations

import datetime as dt
import html

import pytest
import sqlalchemy as sa

from console import models as m
from console.formatting import parse_date

from .conftest import create_user, login


def test_french_and_iso_dates_are_the_same_day_never_month_first():
    assert parse_date("03/12/2026") == parse_date("2026-12-03") == dt.date(2026, 12, 3)
    assert parse_date(" 3.12.2026 ") == dt.date(2026, 12, 3)
    for wrong in ("31/02/2026", "12/31/2026", "demain", ""):
        with pytest.raises(ValueError):
            parse_date(wrong)


@pytest.fixture(scope="module")
def client(app):
    create_user(app, "dates.pnud", "PNUD")
    client = app.test_client()
    login(client, "dates.pnud")
    return client


def _cohort(app, name):
    from console.extensions import db

    with app.app_context():
        return db.session.scalars(sa.select(m.Cohort).where(m.Cohort.name == name)).one_or_none()


@pytest.mark.parametrize("typed", ["03/12/2026", "2026-12-03"])
def test_a_date_typed_in_a_form_is_saved_and_shown_jj_mm_aaaa(app, client, typed):
    name = f"Cohorte {typed}"
    response = client.post(
        "/cohortview/add", data={"name": name, "year": "2026", "started_on": typed}
    )
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))[-2000:]
    cohort = _cohort(app, name)
    assert cohort.started_on == dt.date(2026, 12, 3)
    edit = html.unescape(client.get(f"/cohortview/edit/{cohort.id}").get_data(as_text=True))
    assert (
        'value="03/12/2026"' in edit and "isoko-date" in edit and "isoko/datepicker.fr.js" in edit
    )
    assert "03/12/2026" in client.get("/cohortview/list/").get_data(as_text=True)


def test_a_wrong_date_is_refused_in_french_and_keeps_what_was_typed(app, client):
    page = html.unescape(
        client.post(
            "/cohortview/add",
            data={"name": "Cohorte erronée", "year": "2026", "started_on": "31/02/2026"},
        ).get_data(as_text=True)
    )
    assert "Date invalide : écrivez-la jj/mm/aaaa" in page
    assert 'value="31/02/2026"' in page
    assert _cohort(app, "Cohorte erronée") is None


def test_a_list_filter_takes_the_date_as_typed(app, client):
    client.post(
        "/cohortview/add",
        data={"name": "Cohorte filtre", "year": "2025", "started_on": "05/01/2025"},
    )
    for typed in ("05/01/2025", "2025-01-05"):
        page = client.get(f"/cohortview/list/?_flt_0_started_on={typed}").get_data(as_text=True)
        assert "Cohorte filtre" in page, typed
    assert "Cohorte filtre" not in client.get(
        "/cohortview/list/?_flt_0_started_on=01/05/2025"
    ).get_data(as_text=True)
