"""Which provinces a user may pick, and which province a parameter means: one module (console.services.areas).

URLs carry province codes; an old numeric id still works and is rewritten as the code.
A coordinator may filter on the 2025 successor of their province (the scope still applies
to the rows) but a report, which runs under the chosen province alone, only for their own.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from console import models as m
from console.security.scoping import NATIONAL, ProvinceScope
from console.services import areas


def _id(session, code: str) -> int:
    return session.scalar(select(m.Province.id).where(m.Province.code == code))


@pytest.fixture
def gitega_coordinator(db_session):
    return ProvinceScope(False, frozenset({_id(db_session, "BI-GI")}))


def test_a_province_is_named_by_code_or_by_an_old_id(db_session):
    gitega = _id(db_session, "BI-GI")
    assert areas.province_named(db_session, "bi-gi").id == gitega
    assert areas.province_named(db_session, str(gitega)).code == "BI-GI"
    assert areas.province_named(db_session, gitega).code == "BI-GI"
    for bad in ("abc", "-3", "", None, True, "BI-GI'; --", "99999999999"):
        assert areas.province_named(db_session, bad) is None


def test_a_coordinator_picks_their_province_and_its_successor_but_reports_only_on_their_own(
    db_session, gitega_coordinator
):
    successor = db_session.scalar(select(m.Province.successor_id).where(m.Province.code == "BI-GI"))
    successor_code = db_session.get(m.Province, successor).code
    assert {a.code for a in areas.pickable_provinces(db_session, gitega_coordinator)} == {
        "BI-GI",
        successor_code,
    }
    assert [a.code for a in areas.pickable_provinces(db_session, gitega_coordinator, "2025")] == [
        successor_code
    ]
    assert [a.code for a in areas.provinces_in_scope(db_session, gitega_coordinator)] == ["BI-GI"]
    assert areas.province_in_scope(db_session, gitega_coordinator, successor_code) is None
    assert areas.province_in_scope(db_session, gitega_coordinator, "BI-NG") is None
    assert areas.province_in_scope(db_session, gitega_coordinator, "BI-GI").code == "BI-GI"


def test_national_users_pick_every_province_of_both_maps(db_session):
    every = db_session.scalar(select(m.Province.id).order_by(m.Province.id.desc()).limit(1))
    picked = areas.pickable_provinces(db_session, NATIONAL)
    assert len(picked) == db_session.query(m.Province).count() and every in {a.id for a in picked}
    assert picked[0].map_version == "2025"  # the default map comes first
    assert areas.pickable_province_ids(db_session, NATIONAL) is None


def test_dashboard_links_carry_the_code_and_an_old_id_link_is_rewritten(
    db_session, gitega_coordinator
):
    from dashboards.filters import DataBounds, Filters, read_filters

    month = DataBounds(dt.date(2025, 1, 1), dt.date(2025, 6, 1))
    gitega = _id(db_session, "BI-GI")
    filters, messages, refusal = read_filters(
        db_session, gitega_coordinator, {"province": str(gitega), "carte": "2015"}, month
    )
    assert (filters.province_id, filters.province_code, messages, refusal) == (
        gitega,
        "BI-GI",
        [],
        None,
    )
    assert "province=BI-GI" in filters.query_string()
    again, _, refusal = read_filters(
        db_session, gitega_coordinator, {"province": "BI-GI", "carte": "2015"}, month
    )
    assert again == filters and refusal is None
    _, _, refusal = read_filters(
        db_session, gitega_coordinator, {"province": "BI-NG", "carte": "2015"}, month
    )
    assert refusal == "Cette province ne fait pas partie de votre périmètre."
    assert Filters(start=month.first, end=month.last).map_version == areas.DEFAULT_MAP == "2025"
    # No map chosen: 2025 nationally, 2015 for a coordinator of a 2015 province (one map, never both).
    assert read_filters(db_session, NATIONAL, {}, month)[0].map_version == "2025"
    assert read_filters(db_session, gitega_coordinator, {}, month)[0].map_version == "2015"
    gitega_2025 = ProvinceScope(False, frozenset({_id(db_session, "BI25-GI")}))
    assert read_filters(db_session, gitega_2025, {}, month)[0].map_version == "2025"


def test_the_reconciliation_filter_takes_a_code_and_refuses_another_province(
    db_session, gitega_coordinator
):
    from console.views.reconciliation.filters import parse_filters

    own = parse_filters({"province": "BI-GI"}, db_session, gitega_coordinator)
    assert (own.province_id, own.query()["province"], own.errors) == (
        _id(db_session, "BI-GI"),
        "BI-GI",
        [],
    )
    other = parse_filters({"province": "BI-NG"}, db_session, gitega_coordinator)
    assert other.province_id is None and other.errors
