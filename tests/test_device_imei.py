"""Devices' IMEI: 15 digits with a Luhn check digit, unique, typed, imported and searched."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from console import models as m
from console.models.imports import ImportOutcome
from console.services.inventory import imei_error, normalise_imei

from .conftest import create_user, login
from .console_builders import make_device
from .import_support import run_as

VALID = "352099001761481"  # a Luhn-valid IMEI
BAD_CHECK = "352099001761482"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("35 209900 176148 1", VALID), ("35-209900-176148-1", VALID), (352099001761481.0, VALID)],
)
def test_an_imei_is_kept_as_its_15_digits(typed, stored):
    assert normalise_imei(typed) == stored
    assert imei_error(normalise_imei(typed)) is None


def test_a_wrong_imei_gets_a_french_reason():
    assert "15 chiffres attendus" in imei_error("35209900176148")
    assert "15 chiffres attendus" in imei_error("35209900176148A")
    assert "chiffre de contrôle" in imei_error(BAD_CHECK)
    assert imei_error(normalise_imei("  ")) is None


def _device_count(app, **where) -> int:
    from console.extensions import db

    with app.app_context():
        query = sa.select(sa.func.count()).select_from(m.Device)
        for column, value in where.items():
            query = query.where(getattr(m.Device, column) == value)
        return db.session.scalar(query)


def _new_device(client, tag: str, imei: str):
    return client.post(
        "/deviceview/add",
        data={"asset_tag": tag, "serial": f"SN-{tag}", "kind": "tablet", "imei": imei},
        follow_redirects=True,
    )


def test_the_device_form_checks_the_imei_and_keeps_it_unique(app):
    create_user(app, "imei.pnud", "PNUD")
    client = app.test_client()
    login(client, "imei.pnud")
    page = html.unescape(_new_device(client, "IMEI-T1", BAD_CHECK).get_data(as_text=True))
    assert f"IMEI « {BAD_CHECK} » : le dernier chiffre (chiffre de contrôle)" in page
    assert _device_count(app, asset_tag="IMEI-T1") == 0
    _new_device(client, "IMEI-T1", "35 209900 176148 1")
    assert _device_count(app, asset_tag="IMEI-T1", imei=VALID) == 1
    page = html.unescape(_new_device(client, "IMEI-T2", VALID).get_data(as_text=True))
    assert "Cet IMEI est déjà enregistré pour un autre équipement." in page
    assert _device_count(app, asset_tag="IMEI-T2") == 0
    # devices without an IMEI (chargers, kits) are many: blank is not a duplicate
    _new_device(client, "IMEI-T3", "")
    _new_device(client, "IMEI-T4", "")
    assert _device_count(app, imei=None) >= 2


def test_the_devices_import_reads_an_imei_column_under_its_synonyms(app):
    create_user(app, "imei.import", "Ministère")
    good = "N° d'inventaire;N° de série;Type;N° IMEI\nIMP-T1;SN-IMP-1;Tablette;490154203237518\n"
    result = run_as(app, "devices", good, username="imei.import")
    assert (result.outcome, result.created) == (ImportOutcome.APPLIED, 1), result.errors
    assert _device_count(app, asset_tag="IMP-T1", imei="490154203237518") == 1
    bad = (
        "N° d'inventaire;N° de série;Type;IMEI\n"
        "IMP-T2;SN-IMP-2;Tablette;490154203237519\n"
        "IMP-T3;SN-IMP-3;Tablette;490154203237518\n"
    )
    result = run_as(app, "devices", bad, username="imei.import")
    assert result.outcome == ImportOutcome.REJECTED
    messages = " ".join(e.message for e in result.errors)
    assert "chiffre de contrôle" in messages
    assert "Cet IMEI est déjà celui de l'équipement IMP-T1." in messages
    assert _device_count(app, asset_tag="IMP-T2") == 0


def test_an_imei_finds_its_device_in_the_navbar_search_and_the_list_filter(app):
    from console.extensions import db

    create_user(app, "imei.coord", "Coordinateur provincial", ["BI-GI"])
    with app.app_context():
        mine, theirs = make_device(db.session, "BI-GI"), make_device(db.session, "BI-KI")
        mine.imei, theirs.imei = "356938035643809", "356938035643817"
        db.session.commit()
        mine_tag, theirs_tag = mine.asset_tag, theirs.asset_tag
    client = app.test_client()
    login(client, "imei.coord")
    page = client.get("/recherche/", query_string={"q": "0356438"}).get_data(as_text=True)
    assert mine_tag in page and theirs_tag not in page
    listing = client.get("/deviceview/list/?_flt_0_imei=643809").get_data(as_text=True)
    assert mine_tag in listing and theirs_tag not in listing
