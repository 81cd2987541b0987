"""The navbar's search box finds records by any identifier, only within the user's provinces."""

from __future__ import annotations

import pytest

from .conftest import create_user, login
from .console_builders import make_cooperative


@pytest.fixture(scope="module")
def records(app):
    from console.extensions import db

    with app.app_context():
        gitega = make_cooperative(db.session, "BI-GI", name="Umucyo wa Gitéga")
        ngozi = make_cooperative(db.session, "BI-NG", name="Umucyo wa Ngozi")
        db.session.commit()
        numbers = gitega.registration_number, ngozi.registration_number
    create_user(app, "cherche.ministere", "Ministère")
    create_user(app, "cherche.coord", "Coordinateur provincial", ["BI-GI"])
    return numbers


def _search(app, username, text) -> str:
    client = app.test_client()
    login(client, username)
    response = client.get("/recherche/", query_string={"q": text})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_search_box_is_on_every_page(app, records):
    client = app.test_client()
    login(client, "cherche.ministere")
    assert 'action="/recherche/"' in client.get("/cooperativeview/list/").get_data(as_text=True)


def test_a_word_finds_cooperatives_of_every_province_for_the_ministry(app, records):
    page = _search(app, "cherche.ministere", "UMUCYO")
    assert "Umucyo wa Gitéga" in page and "Umucyo wa Ngozi" in page


def test_a_coordinator_never_sees_another_province_in_the_results(app, records):
    page = _search(app, "cherche.coord", "umucyo")
    assert "Umucyo wa Gitéga" in page and "Umucyo wa Ngozi" not in page
    assert "Umucyo wa Ngozi" not in _search(app, "cherche.coord", records[1])


def test_a_registration_number_finds_its_cooperative_with_a_link(app, records):
    page = _search(app, "cherche.ministere", records[0])
    assert "Umucyo wa Gitéga" in page and "/cooperativeview/show/" in page
    assert "Aucun résultat" in _search(app, "cherche.ministere", "zzzz-introuvable")
