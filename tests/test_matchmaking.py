"""Raw-material matchmaking: ranking, reasons, scope, status changes and sales that follow."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from console import models as m
from console.models.mevente import (
    MatchSuggestion,
    MeventeThreshold,
    ProvinceDistance,
    SuggestionStatus,
)
from console.models.types import utcnow
from console.security.scoping import NATIONAL, ProvinceScope
from console.services.mevente import matchmaking as mm
from console.services.mevente import suggestion_refresh as store
from console.services.mevente.errors import MeventeInputError, MeventeNotFound
from console.services.mevente.suggestions import (
    change_status,
    scoped_suggestion,
    suggestion_outcomes,
    suggestions_frame,
)

from . import mevente_factory as f

COORDINATOR = SimpleNamespace(id=None, username="coord.gitega")


@pytest.fixture(scope="module")
def scenario(app):
    """The constructed marketplace, with Gitega → Ngozi measured at 110 km, matched once."""
    from console.extensions import db

    with app.app_context():
        session = db.session
        rows = f.build_scenario(session)
        gitega, ngozi = f.province(session, "BI-GI").id, f.province(session, "BI-NG").id
        distance = session.scalar(
            select(ProvinceDistance).where(
                ProvinceDistance.from_province_id.in_([gitega, ngozi]),
                ProvinceDistance.to_province_id.in_([gitega, ngozi]),
            )
        )
        distance.distance_km, distance.is_approximate = 110, False
        store.refresh_suggestions(session, f.AS_OF, {}, 30)
        session.commit()
        return {name: row.id for name, row in rows.items()}


def _ranked(session, seller_name, scenario):
    frame = suggestions_frame(session, NATIONAL, cooperative_id=scenario[seller_name])
    return frame.sort_values("rank")


def test_known_best_match_ranks_first_with_the_right_reasons(app, scenario, db_session):
    ranked = _ranked(db_session, "Coop Maïs Gitega", scenario)
    best = ranked.iloc[0]
    assert best["candidate"] == "Minoterie coopérative de Ngozi"
    assert [f.plain(r) for r in best["reasons"]] == [
        "a acheté 1 200 kg de maïs grain en 2025 à 1 050 FBu/kg (dernier achat le 03/03/2025)",
        "filière farine de maïs utilise le maïs grain",
        "Gitega → Ngozi : 110 km",
    ]
    assert best["distance_km"] == 110 and best["status"] == "proposed"


def test_ranking_weighs_volume_price_recency_and_distance(app, scenario, db_session):
    ranked = _ranked(db_session, "Coop Maïs Gitega", scenario)
    assert list(ranked["candidate"]) == [
        "Minoterie coopérative de Ngozi",
        "Brasserie de Bujumbura",
        "Farine du Sud",
    ]
    assert list(ranked["score"]) == sorted(ranked["score"], reverse=True)


def test_past_buyer_reason_ignores_cancelled_orders(app, scenario, db_session):
    ranked = _ranked(db_session, "Coop Maïs Gitega", scenario)
    brewery = ranked[ranked["candidate"] == "Brasserie de Bujumbura"].iloc[0]
    assert f.plain(brewery["reasons"][0]) == (
        "a acheté 100 kg de maïs grain en 2024 à 900 FBu/kg (dernier achat le 03/06/2024)"
    )


def test_processor_without_purchases_is_suggested_for_its_input(app, scenario, db_session):
    ranked = _ranked(db_session, "Coop Maïs Gitega", scenario)
    south = ranked[ranked["candidate"] == "Farine du Sud"].iloc[0]
    assert south["candidate_kind"] == "Coopérative (transformatrice)"
    assert [f.plain(r) for r in south["reasons"]] == [
        "filière farine de maïs utilise le maïs grain",
        "Gitega → Makamba : 145 km",
    ]


def test_households_and_the_seller_itself_are_never_suggested(app, scenario, db_session):
    frame = suggestions_frame(db_session, NATIONAL)
    assert "Grand ménage de Gitega" not in set(frame["candidate"])
    for seller, candidate in zip(frame["seller"], frame["candidate"], strict=True):
        assert seller != candidate


def test_suspended_cooperatives_are_not_suggested(app, scenario, db_session):
    mill = db_session.get(m.Cooperative, scenario["Minoterie coopérative de Ngozi"])
    mill.status = m.CooperativeStatus.SUSPENDED
    db_session.flush()
    names = {
        suggestion.candidate.name
        for _rank, suggestion in mm.compute_suggestions(db_session, f.AS_OF, {}, 30)
    }
    assert "Minoterie coopérative de Ngozi" not in names and "Farine du Sud" in names
    db_session.rollback()


def test_only_stock_unsold_past_the_age_threshold_counts_as_stale(app, scenario, db_session):
    stocks = {
        (s.seller_name, s.category_name): s for s in mm.stale_stock(db_session, f.AS_OF, {}, 30)
    }
    beans = stocks[("Coop Haricot Gitega", "Haricot sec")]
    # Listings of 10 March to 5 May are 30 days old or more; 10 + 15 + … + 50 kg of them remain.
    assert beans.quantity == sum(10 + 5 * k for k in range(9))
    assert beans.oldest_listed_at == f.at(f.FIRST_WEEK, 8)
    assert stocks[("Coop Maïs Gitega", "Maïs grain")].quantity == 2000


def test_stock_nobody_but_households_buys_gets_no_suggestion(app, scenario, db_session):
    sellers = set(suggestions_frame(db_session, NATIONAL)["seller"])
    assert sellers == {"Coop Maïs Gitega", "Coop Maïs Kayanza"}


def test_a_value_chain_threshold_overrides_the_national_age(app, scenario, db_session):
    maize = db_session.scalar(select(m.ValueChain.id).where(m.ValueChain.code == "mais"))
    db_session.add(MeventeThreshold(value_chain_id=maize, unsold_age_days=90))
    db_session.flush()
    stocks = mm.stale_stock(db_session, f.AS_OF, {maize: 90}, 30)
    names = {s.seller_name for s in stocks}
    # Gitega's maize was listed on 1 April (64 days): not yet stale under a 90-day rule.
    assert "Coop Maïs Gitega" not in names and "Coop Maïs Kayanza" in names
    db_session.rollback()


def test_refresh_again_keeps_suggestions_and_leaves_acted_ones_alone(app, scenario, db_session):
    suggestion = db_session.scalars(
        select(MatchSuggestion).where(MatchSuggestion.seller_id == scenario["Coop Maïs Kayanza"])
    ).first()
    change_status(db_session, NATIONAL, suggestion.id, "contacted", COORDINATOR, "Appel")
    before = db_session.scalar(select(func.count()).select_from(MatchSuggestion))
    summary = store.refresh_suggestions(db_session, f.AS_OF, {}, 30)
    assert summary.proposed == 0 and summary.removed == 0
    assert db_session.scalar(select(func.count()).select_from(MatchSuggestion)) == before
    assert db_session.get(MatchSuggestion, suggestion.id).status == SuggestionStatus.CONTACTED
    db_session.rollback()


def test_coordinator_sees_only_their_provinces_suggestions(app, scenario, db_session):
    scope = ProvinceScope(False, frozenset({f.province(db_session, "BI-GI").id}))
    frame = suggestions_frame(db_session, scope)
    assert set(frame["seller"]) == {"Coop Maïs Gitega"}
    kayanza = db_session.scalar(
        select(MatchSuggestion.id).where(MatchSuggestion.seller_id == scenario["Coop Maïs Kayanza"])
    )
    with pytest.raises(MeventeNotFound):
        scoped_suggestion(db_session, scope, kayanza)
    with pytest.raises(MeventeNotFound):
        change_status(db_session, scope, kayanza, "contacted", COORDINATOR)


@pytest.mark.parametrize(
    ("raw_status", "note", "message"),
    [
        ("vendue", None, "Statut inconnu : « vendue »"),
        ("", None, "Statut inconnu"),
        ("dismissed", "  ", "La note est obligatoire"),
        ("proposed", None, "déjà « Proposée »"),
    ],
)
def test_bad_status_change_is_refused_in_french_and_changes_nothing(
    app, scenario, db_session, raw_status, note, message
):
    suggestion = db_session.scalars(
        select(MatchSuggestion).where(MatchSuggestion.seller_id == scenario["Coop Maïs Gitega"])
    ).first()
    with pytest.raises(MeventeInputError, match=message):
        change_status(db_session, NATIONAL, suggestion.id, raw_status, COORDINATOR, note)
    assert suggestion.status == SuggestionStatus.PROPOSED and len(suggestion.events) == 1


@pytest.mark.parametrize("raw_id", ["x1", "0", "12345678901234", None])
def test_malformed_suggestion_id_is_refused_in_french(app, scenario, db_session, raw_id):
    with pytest.raises(MeventeInputError, match="Identifiant invalide"):
        change_status(db_session, NATIONAL, raw_id, "contacted", COORDINATOR)


def test_an_order_between_other_parties_cannot_be_linked(app, scenario, db_session):
    suggestion = db_session.scalars(
        select(MatchSuggestion).where(
            MatchSuggestion.seller_id == scenario["Coop Maïs Gitega"], MatchSuggestion.rank == 1
        )
    ).one()
    other = db_session.scalar(
        select(m.Order.reference).where(m.Order.seller_id == scenario["Coop Maïs Kayanza"])
    )
    with pytest.raises(MeventeInputError, match="n'est pas passée entre"):
        change_status(db_session, NATIONAL, suggestion.id, "concluded", COORDINATOR, None, other)
    with pytest.raises(MeventeInputError, match="Aucune commande"):
        change_status(
            db_session, NATIONAL, suggestion.id, "concluded", COORDINATOR, None, "CMD-INCONNUE"
        )
    assert suggestion.order_id is None and suggestion.status == SuggestionStatus.PROPOSED


def test_a_later_order_between_the_parties_turns_the_suggestion_into_a_sale(
    app, scenario, db_session
):
    suggestion = db_session.scalars(
        select(MatchSuggestion).where(
            MatchSuggestion.seller_id == scenario["Coop Maïs Gitega"], MatchSuggestion.rank == 1
        )
    ).one()
    seller = db_session.get(m.Cooperative, scenario["Coop Maïs Gitega"])
    grain = db_session.get(m.Listing, scenario["stale maize listing"])
    mill = db_session.get(m.Buyer, scenario["mill buyer"])
    sale = f.order(db_session, mill, seller, dt.date.today(), [(grain.product, 1500, 1080, grain)])
    sale.placed_at = utcnow() + dt.timedelta(minutes=5)
    db_session.flush()
    assert store.link_later_orders(db_session) == 1
    assert suggestion.order_id == sale.id
    assert "liée automatiquement" in suggestion.events[-1].note
    outcomes = suggestion_outcomes(db_session, NATIONAL)
    assert outcomes.with_order == 1
    assert outcomes.sales_value == 1500 * 1080
    gitega_only = suggestion_outcomes(
        db_session, ProvinceScope(False, frozenset({f.province(db_session, "BI-KY").id}))
    )
    assert gitega_only.with_order == 0 and gitega_only.sales_value == 0
    change_status(db_session, NATIONAL, suggestion.id, "concluded", COORDINATOR, "Vendu 1 500 kg")
    assert suggestion_outcomes(db_session, NATIONAL).by_status["concluded"] == 1
    db_session.rollback()


def test_scoring_weights_add_up_to_one():
    total = (
        mm.WEIGHT_VOLUME
        + mm.WEIGHT_PRICE
        + mm.WEIGHT_RECENCY
        + mm.WEIGHT_PROCESSING
        + mm.WEIGHT_DISTANCE
    )
    assert total == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Maïs grain", "le maïs grain"),
        ("Huile de palme", "l'huile de palme"),
        ("Peaux brutes", "les peaux brutes"),
        ("Tomate fraîche", "la tomate fraîche"),
        ("Riz paddy", "le riz paddy"),
        ("Régimes de noix de palme", "les régimes de noix de palme"),
    ],
)
def test_reasons_name_the_input_with_its_french_article(name, expected):
    assert mm.with_article(name) == expected
