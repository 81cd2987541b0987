"""Text filters open on « Contient » and ignore case and accents, on both databases."""

from __future__ import annotations

import pytest

from console.text_match import fold

from .conftest import create_user, login
from .console_builders import make_cooperative


def test_folding_ignores_case_and_accents():
    assert fold("Coopérative GITÉGA") == "cooperative gitega"
    assert fold("Ngozi") == fold("NGOZI") == "ngozi"


@pytest.fixture(scope="module")
def client(app):
    from console.extensions import db

    with app.app_context():
        make_cooperative(db.session, "BI-GI", name="Twiyunge Abahinzi ba Gitéga")
        make_cooperative(db.session, "BI-GI", name="Dukorere hamwe Ngozi")
        db.session.commit()
    create_user(app, "texte.ministere", "Ministère")
    client = app.test_client()
    login(client, "texte.ministere")
    return client


def test_the_first_text_filter_is_contient(app):
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "CooperativeView")
    with app.test_request_context():
        assert str(view._filters.get_search_filters()["name"][0].name) == "Contient"


@pytest.mark.parametrize("typed", ["gitega", "GITÉGA", "abahinzi BA gitéga", "Gitéga"])
def test_a_word_finds_the_name_whatever_its_case_and_accents(client, typed):
    page = client.get("/cooperativeview/list/", query_string={"_flt_0_name": typed})
    text = page.get_data(as_text=True)
    assert "Twiyunge Abahinzi ba Gitéga" in text and "Dukorere hamwe Ngozi" not in text


def test_wildcards_are_letters_not_patterns(client):
    text = client.get("/cooperativeview/list/?_flt_0_name=%25").get_data(as_text=True)
    assert "Twiyunge Abahinzi ba Gitéga" not in text
