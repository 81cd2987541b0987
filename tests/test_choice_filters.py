"""Relation filters on large tables: the orders list holds only the chosen seller or
buyer, and /orderview/choices/<column>/ answers what is typed, scoped, page by page."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from .conftest import create_user, login
from .console_builders import make_cooperative, make_sale

UTC = dt.UTC


@pytest.fixture(scope="module")
def market(app):
    """25 « Umuhuza » sellers in Gitega, one in Ngozi, each with one sale."""
    from console.extensions import db

    create_user(app, "ministere.choix", "Ministère")
    create_user(app, "coord.choix", "Coordinateur provincial", ["BI-GI"])
    with app.app_context():
        gitega = []
        for i in range(25):
            cooperative = make_cooperative(db.session, "BI-GI", name=f"Umuhuza {i:02d}")
            line = make_sale(db.session, cooperative, dt.datetime(2024, 5, 2, 8, i, tzinfo=UTC))
            gitega.append((cooperative.id, line.order.reference, line.order.buyer_id))
        ngozi = make_cooperative(db.session, "BI-NG", name="Umuhuza Ngozi")
        foreign = make_sale(db.session, ngozi, dt.datetime(2024, 5, 3, 8, tzinfo=UTC))
        db.session.commit()
        return {"gitega": gitega, "ngozi": (ngozi.id, foreign.order.reference)}


def filter_field(page: str, column: str) -> str:
    """The HTML of a column's search field, as the list hands it to FAB's filter script."""
    # The labels come first ("seller": "Vendeur"); the fields' HTML starts with an escaped "<".
    match = re.search(rf'"{column}": "(\\u003c(?:[^"\\]|\\.)*)"', page)
    assert match, column
    return json.loads(f'"{match.group(1)}"')


def choices(client, column: str, **params):
    response = client.get(f"/orderview/choices/{column}/", query_string=params)
    return response


def test_the_orders_list_no_longer_carries_every_seller(app, client, market):
    login(client, "ministere.choix")
    page = client.get("/orderview/list/").get_data(as_text=True)
    seller, buyer = filter_field(page, "seller"), filter_field(page, "buyer")
    assert 'data-choices-url="/orderview/choices/seller/"' in seller
    assert 'data-choices-url="/orderview/choices/buyer/"' in buyer
    for field in (seller, buyer):  # only the empty choice until one is made
        assert re.findall(r"<option[^>]*>", field) == ['<option value="">']
    assert filter_field(page, "status").count("<option") == 5  # small lists stay as they were


def test_typing_finds_sellers_twenty_at_a_time_in_name_order(client, market):
    login(client, "ministere.choix")
    first = choices(client, "seller", q="umuhuza").get_json()
    assert [r["text"] for r in first["results"]] == [f"Umuhuza {i:02d}" for i in range(20)]
    assert first["pagination"]["more"] is True
    second = choices(client, "seller", q="UMUHUZA", page=2).get_json()
    assert [r["text"] for r in second["results"]] == [
        *(f"Umuhuza {i:02d}" for i in range(20, 25)),
        "Umuhuza Ngozi",
    ]
    assert second["pagination"]["more"] is False
    # "%" and "_" are letters here, not wildcards: "Umuhuza_0" would otherwise match "Umuhuza 00".
    assert choices(client, "seller", q="Umuhuza_0").get_json()["results"] == []
    assert choices(client, "seller", q="Umu%za").get_json()["results"] == []


def test_a_coordinator_is_offered_only_their_provinces_sellers_and_buyers(client, market):
    login(client, "coord.choix")
    texts = [
        r["text"] for r in choices(client, "seller", q="Umuhuza", page=2).get_json()["results"]
    ]
    assert "Umuhuza Ngozi" not in texts and texts == [f"Umuhuza {i:02d}" for i in range(20, 25)]
    ngozi_id, _reference = market["ngozi"]
    page = client.get(f"/orderview/list/?_flt_0_seller={ngozi_id}").get_data(as_text=True)
    assert "Umuhuza Ngozi" not in page


def test_filtering_on_a_chosen_seller_or_buyer_lists_its_orders_and_shows_its_name(client, market):
    login(client, "ministere.choix")
    seller_id, reference, buyer_id = market["gitega"][3]
    page = client.get(f"/orderview/list/?_flt_0_seller={seller_id}").get_data(as_text=True)
    assert reference in page and market["gitega"][4][1] not in page
    chosen = re.findall(r"<option[^>]*>[^<]*", filter_field(page, "seller"))
    assert chosen == ['<option value="">', f'<option value="{seller_id}" selected>Umuhuza 03']
    page = client.get(f"/orderview/list/?_flt_0_buyer={buyer_id}").get_data(as_text=True)
    assert reference in page and market["gitega"][4][1] not in page


def test_choices_need_a_known_column_a_sign_in_and_the_list_permission(app, client, market):
    assert choices(client, "seller").status_code == 302  # signed out: to the login page
    login(client, "ministere.choix")
    assert choices(client, "status").status_code == 404
    assert choices(client, "seller", page="abc").status_code == 200
    assert client.get("/cooperativeview/choices/province/").status_code == 404
