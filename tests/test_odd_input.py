"""Odd input in URLs answers 400 or 404 with a French message, on every list view: ids of
30 digits, page arguments that are not page numbers, sorting by a relation, unknown
actions. Nothing answers 500."""

from __future__ import annotations

import html
import re

import pytest
from flask_appbuilder import ModelView

from .conftest import signed_in_client

HUGE = "9" * 30
FRENCH = ("introuvable", "invalide", "hors limites", "ne peut pas être triée", "n'existe pas")


@pytest.fixture(scope="module")
def admin(app):
    return signed_in_client(app, "admin.bizarre", "Admin")


def _list_views(app) -> list[ModelView]:
    return [
        v
        for v in app.appbuilder.baseviews
        if isinstance(v, ModelView) and f"{v.endpoint}.list" in app.view_functions
    ]


def _odd_requests(view) -> list[tuple[str, str, dict | None]]:
    name, base = type(view).__name__, view.route_base
    requests = [
        ("GET", f"{base}/list/?page_{name}={HUGE}", None),
        ("GET", f"{base}/list/?psize_{name}={HUGE}", None),
        ("GET", f"{base}/list/?page_{name}=abc", None),
        ("GET", f"{base}/list/?page_{name}=-3", None),
        ("GET", f"{base}/list/?_oc_{name}=colonne_inconnue&_od_{name}=asc", None),
        ("GET", f"{base}/list/?_oc_{name}=id&_od_{name}=de_travers", None),
        ("GET", f"{base}/show/{HUGE}", None),
        ("GET", f"{base}/edit/{HUGE}", None),
        ("POST", f"{base}/action_post", {"action": "action_inconnue", "rowid": ["1"]}),
        ("POST", f"{base}/action/action_inconnue/1", None),
    ]
    relations = [c for c in view.datamodel.get_columns_list() if view.datamodel.is_relation(c)]
    requests += [("GET", f"{base}/list/?_oc_{name}={c}&_od_{name}=asc", None) for c in relations]
    return requests


def _french_message(response) -> str:
    text = html.unescape(response.get_data(as_text=True))
    match = re.search(r"<p>(.*?)</p>", text) or re.search(r'"message": ?"(.*?)"', text)
    return match.group(1) if match else text[:200]


def test_every_list_view_answers_odd_input_with_400_or_404_in_french(app, admin):
    failures = []
    views = _list_views(app)
    assert len(views) > 30
    for view in views:
        for method, url, data in _odd_requests(view):
            response = admin.open(url, method=method, data=data)
            if response.status_code in (405,):  # a view without that route (read-only screens)
                continue
            if response.status_code not in (400, 404):
                failures.append(f"{method} {url}: {response.status_code}")
            elif not any(word in _french_message(response) for word in FRENCH):
                failures.append(f"{method} {url}: {_french_message(response)!r}")
    assert failures == []


def test_routes_with_an_id_answer_404_to_a_thirty_digit_id(app, admin):
    failures = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.arguments:
            continue
        url = re.sub(r"<(?:int:)?(\w*(?:pk|id))>", HUGE, rule.rule)
        if "<" in url or url.startswith("/dashboards/"):
            continue
        status = admin.get(url).status_code
        if status >= 500:
            failures.append(f"{url}: {status}")
    assert failures == []


def test_api_and_filter_values_out_of_range_answer_in_french(admin):
    api = admin.get(f"/api/v1/cooperative/{HUGE}")
    assert api.status_code == 404 and "n'existe pas" in api.get_json()["message"]
    page = admin.get(f"/cooperativeview/list/?page_CooperativeView={HUGE}")
    assert page.status_code == 400 and "Numéro de page invalide" in _french_message(page)
    relation = admin.get(
        "/cooperativeview/list/?_oc_CooperativeView=province&_od_CooperativeView=asc"
    )
    assert relation.status_code == 400
    assert "ne peut pas être triée par « province »" in _french_message(relation)


def test_ordinary_list_arguments_still_work(admin):
    assert (
        admin.get(
            "/cooperativeview/list/?_oc_CooperativeView=name&_od_CooperativeView=desc"
            "&page_CooperativeView=0&psize_CooperativeView=50"
        ).status_code
        == 200
    )
