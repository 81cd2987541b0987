"""Reports take a cooperative by its ANACOOP number or name and a hand-over by its receipt
number or its device's asset tag, within the user's scope; the typeahead is scoped too."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from console.security import policy
from console.security.scoping import NATIONAL, ProvinceScope
from reports.parameters import OutOfScope, ParameterError, resolve

from .conftest import create_user, login
from .console_builders import assign, make_cooperative, make_device, province
from .reports_fixtures import latest_archive, pdf_text


@pytest.fixture(scope="module")
def world(app):
    from console.extensions import db

    with app.app_context():
        s = db.session
        gitega = make_cooperative(s, "BI-GI", name="Twiyunge Abahinzi ba Gitéga")
        twin_a = make_cooperative(s, "BI-GI", name="Dukorere Hamwe Kibuye")
        twin_b = make_cooperative(s, "BI-GI", name="Dukorere Hamwe Bugendana")
        ngozi = make_cooperative(s, "BI-NG", name="Umucyo wa Ngozi")
        tablet = make_device(s, "BI-GI")
        first = assign(s, tablet, twin_a, dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC))
        first.checked_in_at = dt.datetime(2024, 4, 1, 9, tzinfo=dt.UTC)
        latest = assign(s, tablet, gitega, dt.datetime(2024, 6, 1, 9, tzinfo=dt.UTC))
        elsewhere = assign(s, make_device(s, "BI-NG"), ngozi)
        s.commit()
        ids = dict(
            gitega=gitega.id,
            gitega_number=gitega.registration_number,
            ngozi=ngozi.id,
            ngozi_number=ngozi.registration_number,
            twins=(twin_a.name, twin_b.name),
            tag=tablet.asset_tag,
            first=first.id,
            latest=latest.id,
            elsewhere=elsewhere.id,
            gitega_province=province(s, "BI-GI").id,
        )
    create_user(app, "lookup.coord", policy.COORDINATOR, ["BI-GI"])
    create_user(app, "lookup.obr", policy.AUDITOR)
    return ids


def _resolve(app, wanted, raw, scope=NATIONAL):
    from console.extensions import db

    with app.app_context():
        return resolve(db.session, wanted, raw, scope)


def _refusal(app, wanted, raw, scope=NATIONAL) -> str:
    with pytest.raises(ParameterError) as refused:
        _resolve(app, wanted, raw, scope)
    return " ".join(refused.value.messages)


COOP = ("cooperative", "period")


@pytest.mark.parametrize("typed", ["number", "  twiyunge abahinzi BA GITEGA ", "abahinzi"])
def test_a_cooperative_is_found_by_its_number_its_name_or_a_part_only_it_has(app, world, typed):
    text = world["gitega_number"] if typed == "number" else typed
    params = _resolve(app, COOP, {"cooperative": text, "period": "2024-05"})
    assert params.cooperative_id == world["gitega"]
    assert params.cooperative_name == "Twiyunge Abahinzi ba Gitéga"
    assert params.raw["cooperative"] == str(world["gitega"])  # archived: resolves again


def test_an_ambiguous_or_unknown_name_says_so_in_french(app, world):
    message = _refusal(app, COOP, {"cooperative": "dukorere hamwe", "period": "2024-05"})
    assert "en désigne plusieurs" in message and all(n in message for n in world["twins"])
    message = _refusal(app, COOP, {"cooperative": "Inexistante", "period": "2024-05"})
    assert "aucune coopérative de votre périmètre" in message


def test_another_provinces_cooperative_is_not_found_by_name_nor_by_id(app, world):
    gitega = ProvinceScope(False, frozenset({world["gitega_province"]}))
    raw = {"cooperative": world["ngozi_number"], "period": "2024-05"}
    assert "aucune coopérative de votre périmètre" in _refusal(app, COOP, raw, gitega)
    with pytest.raises(OutOfScope):
        _resolve(app, COOP, {"cooperative": str(world["ngozi"]), "period": "2024-05"}, gitega)


def test_a_hand_over_is_found_by_its_receipt_number_or_its_devices_asset_tag(app, world):
    wanted = ("assignment",)
    for typed in (f"REM-{world['first']:06d}", f"rem {world['first']}"):
        assert _resolve(app, wanted, {"assignment": typed}).assignment_id == world["first"]
    # the asset tag names the device's latest hand-over
    by_tag = _resolve(app, wanted, {"assignment": world["tag"].lower()})
    assert by_tag.assignment_id == world["latest"]
    assert ("Bon de remise", f"REM-{world['latest']:06d}") in by_tag.describe()
    gitega = ProvinceScope(False, frozenset({world["gitega_province"]}))
    message = _refusal(app, wanted, {"assignment": f"REM-{world['elsewhere']:06d}"}, gitega)
    assert f"aucun bon REM-{world['elsewhere']:06d} dans votre périmètre" in message


def test_the_typeahead_suggests_only_what_the_user_may_see(app, world):
    client = app.test_client()
    login(client, "lookup.coord")
    rows = client.get("/rapports/suggestions/cooperatives/?q=ANACOOP").get_json()
    values = {row["value"] for row in rows}
    assert world["gitega_number"] in values and world["ngozi_number"] not in values
    rows = client.get("/rapports/suggestions/remises/", query_string={"q": world["tag"]})
    assert [row["value"] for row in rows.get_json()] == [
        f"REM-{world['latest']:06d}",
        f"REM-{world['first']:06d}",
    ]
    assert client.get("/rapports/suggestions/remises/?q=REM").status_code == 200
    auditor = app.test_client()
    login(auditor, "lookup.obr")
    assert auditor.get("/rapports/suggestions/cooperatives/?q=ANACOOP").status_code in (302, 403)


def test_the_pages_link_to_their_pdf_which_carries_its_verification_code(app, world):
    from reports.verification import display_code

    client = app.test_client()
    login(client, "lookup.coord")
    page = html.unescape(
        client.get(f"/cooperativeview/show/{world['gitega']}").get_data(as_text=True)
    )
    assert f"/rapports/fiche-cooperative/?cooperative={world['gitega_number']}" in page.replace(
        "%2F", "/"
    )
    page = client.get(f"/deviceassignmentview/show/{world['latest']}").get_data(as_text=True)
    receipt = f"REM-{world['latest']:06d}"
    assert f"/rapports/bon-de-remise/?assignment={receipt}" in page
    form = client.get(f"/rapports/bon-de-remise/?assignment={receipt}").get_data(as_text=True)
    assert f'value="{receipt}"' in form and "/rapports/suggestions/remises/" in form
    response = client.post(
        "/rapports/bon-de-remise/generer", data={"assignment": receipt, "format": "pdf"}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    archive = latest_archive(app, "lookup.coord")
    assert display_code(archive.code) in text and receipt in text
    assert archive.parameters["assignment"] == str(world["latest"])


def test_a_typed_name_outside_the_scope_answers_the_form_with_a_message(app, world):
    client = app.test_client()
    login(client, "lookup.coord")
    response = client.post(
        "/rapports/fiche-cooperative/generer",
        data={"cooperative": "Umucyo wa Ngozi", "period": "2024-05", "format": "pdf"},
    )
    assert response.status_code == 400
    assert "aucune coopérative de votre périmètre" in html.unescape(response.get_data(as_text=True))


def test_reports_accept_the_models_ids_no_longer_shown(app, world):
    """Archived requests keep ids: they must still resolve (downloads re-check them)."""
    params = _resolve(app, ("assignment",), {"assignment": str(world["first"])})
    assert params.assignment_id == world["first"]
