"""Dashboard links and export file names name what people know: the value chain by its code
and the cooperative by its ANACOOP number (dashboards.filters.named_filters), an old link's
numeric id still opens the same view, and a code outside the scope shows nothing of it."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from console import models as m
from console.security.scoping import NATIONAL

from . import dashboards_support as support
from .dashboards_support import province_id, signed_in

seeded, db_session = support.seeded, support.db_session

PERIOD = {"du": "2024-07", "au": "2025-06"}
BOUNDS_MONTHS = (dt.date(2024, 7, 1), dt.date(2025, 6, 1))
OTHER_COOP = "Cette coopérative ne fait pas partie de votre périmètre."


@pytest.fixture
def coops(db_session):
    """(a Gitega cooperative, a cooperative of another province), as rows."""
    gitega = province_id(db_session, "BI-GI")
    own = db_session.scalar(
        select(m.Cooperative).where(m.Cooperative.province_id == gitega).limit(1)
    )
    other = db_session.scalar(
        select(m.Cooperative).where(m.Cooperative.province_id != gitega).limit(1)
    )
    assert own is not None and other is not None
    return own, other


def _scope(db_session, code):
    from console.security.scoping import ProvinceScope

    return ProvinceScope(False, frozenset({province_id(db_session, code)}))


def _read(db_session, scope, values):
    from dashboards.filters import DataBounds, read_filters

    return read_filters(db_session, scope, {**PERIOD, **values}, DataBounds(*BOUNDS_MONTHS))


def _chain(db_session, code):
    return db_session.scalar(select(m.ValueChain).where(m.ValueChain.code == code))


def test_a_link_names_the_chain_and_cooperative_by_code_and_reads_back_the_same(db_session, coops):
    from dashboards.filters import values_from_query

    own, _ = coops
    coffee = _chain(db_session, "cafe")
    filters, messages, refusal = _read(
        db_session, NATIONAL, {"filiere": coffee.id, "cooperative": own.id}
    )
    assert (messages, refusal) == ([], None)
    query = parse_qs(filters.query_string())
    assert query["filiere"] == ["cafe"]
    assert query["cooperative"] == [own.registration_number]
    again, messages, refusal = _read(
        db_session, NATIONAL, values_from_query("?" + filters.query_string())
    )
    assert again == filters and (messages, refusal) == ([], None)
    assert (again.value_chain_id, again.cooperative_id) == (coffee.id, own.id)
    # People type codes in any case; the link is rewritten with the stored spelling.
    typed, _, refusal = _read(
        db_session, NATIONAL, {"filiere": "CAFE", "cooperative": own.registration_number.lower()}
    )
    assert typed == filters and refusal is None


def test_an_old_link_with_numeric_ids_opens_the_same_view_rewritten_with_codes(db_session, coops):
    own, _ = coops
    coffee = _chain(db_session, "cafe")
    old, messages, refusal = _read(
        db_session, NATIONAL, {"filiere": str(coffee.id), "cooperative": str(own.id)}
    )
    assert (messages, refusal) == ([], None)
    assert (old.value_chain_id, old.cooperative_id) == (coffee.id, own.id)
    assert (old.value_chain_code, old.cooperative_code) == ("cafe", own.registration_number)
    assert f"filiere=cafe&cooperative={own.registration_number}" in old.query_string()


@pytest.mark.parametrize(
    ("values", "refusal"),
    [
        ({"filiere": "caffe"}, "Filière inconnue."),
        ({"cooperative": "ANACOOP-NULLE-PART"}, OTHER_COOP),
    ],
)
def test_an_unknown_code_is_refused_with_a_french_message_and_narrows_to_nothing(
    seeded, db_session, values, refusal
):
    from dashboards.charts import chart_data

    filters, _, refused = _read(db_session, NATIONAL, values)
    assert refused == refusal
    # Never read as « every chain / cooperative ».
    assert 0 in (filters.value_chain_id, filters.cooperative_id)
    with signed_in(seeded, "ministere.dash"):
        data = chart_data("ventes-evolution", {**PERIOD, "grain": "mois", **values})
    assert data.refused and data.messages[-1] == refusal


def test_a_malformed_code_falls_back_with_the_filters_message(seeded):
    from dashboards.charts import chart_data

    with signed_in(seeded, "ministere.dash"):
        data = chart_data("ventes-evolution", {**PERIOD, "grain": "mois", "filiere": "caf\x00e"})
    assert data.messages == ("Filière invalide : filtre ignoré.",)
    assert not data.refused and data.frame is not None


def test_a_coordinators_link_naming_another_provinces_cooperative_shows_nothing_of_it(
    seeded, db_session, coops
):
    from dashboards.charts import chart_data, chart_download

    own, other = coops
    gitega = _scope(db_session, "BI-GI")
    for reference, kept_id in ((other.registration_number, 0), (str(other.id), other.id)):
        filters, _, refusal = _read(db_session, gitega, {"cooperative": reference})
        assert refusal == OTHER_COOP
        # Its number is never turned into its id: the view holds only what was typed.
        assert (filters.cooperative_id, filters.cooperative_code) == (kept_id, reference)
        with signed_in(seeded, "coord.gitega"):
            data = chart_data("ventes-evolution", {**PERIOD, "cooperative": reference})
            download = chart_download(
                "ventes-top", "csv", {**PERIOD, "carte": "2015", "cooperative": reference}
            )
        assert data.refused and data.frame is None and data.messages[-1] == OTHER_COOP
        assert base64.b64decode(download["content"]).decode("utf-8") == "\ufeff\r\n"
        assert other.name not in str(data) + download["filename"]
    _, _, refusal = _read(db_session, gitega, {"cooperative": own.registration_number})
    assert refusal is None


def test_export_file_names_carry_codes_not_ids(seeded, db_session, coops):
    from dashboards.charts import chart_download

    own, _ = coops
    coffee = _chain(db_session, "cafe")
    gitega = province_id(db_session, "BI-GI")
    values = {
        **PERIOD,
        "carte": "2015",
        "province": gitega,
        "filiere": coffee.id,
        "cooperative": own.id,
    }
    with signed_in(seeded, "ministere.dash"):
        names = [chart_download("ventes-top", fmt, values)["filename"] for fmt in ("csv", "xlsx")]
    for name in names:
        assert "province-BI-GI" in name and "filiere-cafe" in name, name
        number = own.registration_number.replace("/", "-")
        assert f"cooperative-{number}" in name, name
        assert f"province-{gitega}" not in name and f"filiere-{coffee.id}_" not in name
        assert f"cooperative-{own.id}." not in name and f"cooperative-{own.id}_" not in name


def test_an_export_name_stays_a_safe_file_name_for_any_number():
    from dashboards.charts import export_stem
    from dashboards.filters import Filters

    filters = Filters(
        start=BOUNDS_MONTHS[0], end=BOUNDS_MONTHS[1], cooperative_id=4, cooperative_code="ANA/G I?7"
    )
    stem = export_stem("ventes-top", filters)
    assert "_cooperative-ANA-G-I-7_" in stem and "/" not in stem and "%" not in stem
