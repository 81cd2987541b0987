"""A user's choice of map is remembered server-side: picked on a dashboard (or a report),
it is the map their dashboards and report forms open on next time; everyone else still
opens on the 2025 map, the map of current periods."""

from __future__ import annotations

from sqlalchemy import select

from console.services.areas import DEFAULT_MAP

from . import dashboards_support as support
from .conftest import create_user, login
from .dash_requests import page_body

# No test here holds an app context across requests: Flask would reuse it, and its ``g``
# (the signed-in user) would leak from one client's request into another's.
seeded = support.seeded

FILTER_IDS = ("f-du", "f-au", "f-carte", "f-province", "f-filiere", "f-cooperative")


def _component(node, ident):
    """The props of the component with id ``ident`` in a Dash layout (JSON)."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == ident:
            return node["props"]
        for value in node.values():
            found = _component(value, ident)
            if found is not None:
                return found
    elif isinstance(node, list):
        for item in node:
            found = _component(item, ident)
            if found is not None:
                return found
    return None


def _opening_map(client, path: str = "/dashboards/ventes") -> str:
    response = client.post("/dashboards/_dash-update-component", json=page_body(path, ""))
    assert response.status_code == 200
    return _component(response.get_json()["response"], "f-carte")["value"]


def _pick_map(client, map_version: str):
    """What the browser posts when the user clicks a map on the filter bar."""
    values = {"f-du": "2024-07", "f-au": "2025-06", "f-carte": map_version}
    body = {
        "output": "..url.search...filtres-message.children..",
        "outputs": [
            {"id": "url", "property": "search"},
            {"id": "filtres-message", "property": "children"},
        ],
        "inputs": [
            *[{"id": fid, "property": "value", "value": values.get(fid)} for fid in FILTER_IDS],
            [],
        ],
        "changedPropIds": ["f-carte.value"],
        "state": [[]],
    }
    response = client.post("/dashboards/_dash-update-component", json=body)
    assert response.status_code == 200
    return response.get_json()["response"]["url"]["search"]


def _stored(app, username: str):
    from flask_appbuilder.security.sqla.models import User

    from console.extensions import db

    with app.app_context():
        return db.session.scalar(select(User.preferred_map).where(User.username == username))


def _signed_in(app, username: str):
    create_user(app, username, "Ministère")
    client = app.test_client()
    login(client, username)
    return client


def test_a_map_picked_on_a_dashboard_is_the_default_next_time(seeded):
    chooser, other = _signed_in(seeded, "carte.choix"), _signed_in(seeded, "carte.autre")
    assert _opening_map(chooser) == DEFAULT_MAP == "2025"
    assert "carte=2015" in _pick_map(chooser, "2015")
    assert _stored(seeded, "carte.choix") == "2015"
    # Next visit (another dashboard too), and the report forms: on 2015.
    assert _opening_map(chooser) == "2015"
    assert _opening_map(chooser, "/dashboards/mevente") == "2015"
    form = chooser.get("/rapports/ventes-mensuel/").get_data(as_text=True)
    assert '<option value="2015" selected>' in form
    # Everyone else keeps the map of current periods.
    assert _opening_map(other) == "2025" and _stored(seeded, "carte.autre") is None
    assert '<option value="2025" selected>' in other.get("/rapports/ventes-mensuel/").get_data(
        as_text=True
    )
    # Back to 2025: remembered as well.
    _pick_map(chooser, "2025")
    assert _stored(seeded, "carte.choix") == "2025" and _opening_map(chooser) == "2025"


def test_a_map_chosen_for_a_report_is_remembered(seeded):
    client = _signed_in(seeded, "carte.rapport")
    response = client.post(
        "/rapports/ventes-mensuel/generer",
        data={"period": "2025-05", "province": "", "map": "2015", "format": "xlsx"},
    )
    assert response.status_code in (200, 302)
    assert _stored(seeded, "carte.rapport") == "2015"
    assert _opening_map(client) == "2015"


def test_an_odd_map_is_not_remembered(seeded):
    client = _signed_in(seeded, "carte.bizarre")
    _pick_map(client, "1990")
    assert _stored(seeded, "carte.bizarre") is None
    assert _opening_map(client) == "2025"
