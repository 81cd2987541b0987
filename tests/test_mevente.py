"""Mévente early warning: weekly indicators, forecasts, backtest choice and alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import func, insert, select

from console import models as m
from console.models.mevente import (
    AlertKind,
    AlertStatus,
    ForecastChoice,
    ForecastMetric,
    MeventeAlert,
    MeventeForecast,
    WeeklyIndicator,
)
from console.security.scoping import NATIONAL, ProvinceScope
from console.services.mevente import forecast as fc
from console.services.mevente.alerts import (
    Thresholds,
    acknowledge_alert,
    alerts_frame,
    evaluate_cell,
    refresh_alerts,
    scoped_alert,
)
from console.services.mevente.errors import MeventeInputError, MeventeNotFound
from console.services.mevente.forecast_backtest import backtest_series, choose_methods
from console.services.mevente.indicators import (
    compute_weekly_indicators,
    forecasts_frame,
    weekly_indicators_frame,
)
from console.services.mevente.refresh import refresh_mevente

from . import mevente_factory as f

WEEKS = [f.FIRST_WEEK + dt.timedelta(days=7 * k) for k in range(f.WEEKS)]


@pytest.fixture(scope="module")
def scenario(app):
    """The constructed marketplace, refreshed once for the whole module."""
    from console.extensions import db

    with app.app_context():
        rows = f.build_scenario(db.session)
        ids = {name: row.id for name, row in rows.items()}
        refresh_mevente(db.session, f.AS_OF)
        db.session.commit()
    return ids


def _province_id(session, code):
    return f.province(session, code).id


# -- weekly indicators ---------------------------------------------------------------


def test_indicators_value_sales_at_listing_prices_and_match_the_database(app, scenario, db_session):
    cutoff = f.at(dt.date(2025, 6, 2), 0)  # end of the last full week, Bujumbura time
    lines = db_session.scalars(
        select(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(m.Order.status != m.OrderStatus.CANCELLED, m.Order.placed_at < cutoff)
    ).all()
    expected = sum(
        int(line.quantity * (line.listing.unit_price if line.listing else line.unit_price))
        for line in lines
    )
    for map_version in ("2015", "2025"):
        frame = weekly_indicators_frame(db_session, NATIONAL, map_version=map_version)
        assert int(frame["sold_value"].sum()) == expected


def test_falling_cell_shows_falling_sell_through_and_growing_unsold_stock(
    app, scenario, db_session
):
    gitega = _province_id(db_session, "BI-GI")
    chain = db_session.scalar(select(m.ValueChain.id).where(m.ValueChain.code == "haricot"))
    frame = weekly_indicators_frame(
        db_session, NATIONAL, map_version=None, value_chain_id=chain, province_id=gitega
    )
    assert list(frame["week_start"]) == WEEKS
    first, last = frame.iloc[0], frame.iloc[-1]
    assert first["sell_through"] == Decimal("0.9")  # 90 kg sold of 100 offered
    assert first["unsold_value"] == 10 * f.BEAN_PRICE
    # Week 12: 35 kg sold of 100 offered plus the 10 + 15 + … + 60 kg left from the weeks before.
    opening = sum(100 - (90 - 5 * k) for k in range(f.WEEKS - 1))
    assert last["opening_value"] == opening * f.BEAN_PRICE
    assert last["sell_through"] == (Decimal(35) / Decimal(opening + 100)).quantize(
        Decimal("0.0001")
    )
    assert last["unit_code"] == "kg" and last["sold_quantity"] == Decimal(35)


def test_weeks_run_monday_to_sunday_in_bujumbura_time(app, backend):
    """Sunday 23:30 in Bujumbura is still last week, although it is 21:30 UTC."""
    from console.extensions import db

    with app.app_context():
        session = db.session
        coop = f.cooperative(session, "Coop Horaire", "BI-MY", ["miel"])
        item = f.product(session, coop, "miel")
        shopper = f.buyer(session, "Client horaire", "consumer", "BI-MY")
        offer = f.listing(session, item, 10, 15000, dt.date(2025, 2, 3))
        sunday_late = f.order(
            session, shopper, coop, dt.date(2025, 2, 9), [(item, 1, 15000, offer)]
        )
        sunday_late.placed_at = dt.datetime(2025, 2, 9, 21, 30, tzinfo=dt.UTC)  # 23:30 Bujumbura
        monday_early = f.order(
            session, shopper, coop, dt.date(2025, 2, 10), [(item, 2, 15000, offer)]
        )
        monday_early.placed_at = dt.datetime(
            2025, 2, 9, 22, 30, tzinfo=dt.UTC
        )  # Monday 00:30 Bujumbura
        session.flush()
        frame = compute_weekly_indicators(session, dt.date(2025, 2, 19))
        province = f.province(session, "BI-MY").id
        cell = frame[(frame["province_id"] == province)].set_index("week_start")
        assert cell.loc[dt.date(2025, 2, 3), "sold_value"] == 15000
        assert cell.loc[dt.date(2025, 2, 10), "sold_value"] == 30000
        session.rollback()


def test_indicators_are_scoped_to_the_coordinators_provinces(app, scenario, db_session):
    gitega = ProvinceScope(False, frozenset({_province_id(db_session, "BI-GI")}))
    frame = weekly_indicators_frame(db_session, gitega, map_version=None)
    assert set(frame["province"]) == {"Gitega"}
    assert set(frame["map_version"]) == {"2015"}


# -- forecasts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weeks", "method"),
    [(2, fc.NAIVE), (6, fc.SIMPLE), (30, fc.DAMPED_TREND), (110, fc.HOLT_WINTERS)],
)
def test_forecast_method_follows_the_history_available(weeks, method):
    rng = np.random.default_rng(7)
    t = np.arange(weeks)
    values = 0.6 + 0.2 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 0.02, weeks)
    result = fc.forecast_series(values, 4, lower=0.0, upper=1.0)
    assert result.method == method
    assert len(result.values) == 4 and all(0.0 <= v <= 1.0 for v in result.values)


def test_holt_winters_forecast_is_the_sum_of_its_components():
    t = np.arange(110)
    values = 0.6 + 0.2 * np.sin(2 * np.pi * t / 52) + 0.001 * t
    result = fc.forecast_series(values, 4)
    for value, (level, trend, seasonal) in zip(
        result.values, fc.step_components(result), strict=True
    ):
        assert value == pytest.approx(level + trend + seasonal, abs=1e-9)


def test_backtest_keeps_seasonal_naive_where_the_model_does_not_beat_it():
    periodic = [0.5 + 0.4 * np.sin(2 * np.pi * k / 52) for k in range(80)]
    result = backtest_series(periodic, horizon=4, origins=8, bounds=(0.0, 1.0))
    assert result.baseline.mae == pytest.approx(0.0, abs=1e-12)
    assert result.origins == 8 and not result.model_wins


def test_backtest_keeps_the_model_where_it_beats_seasonal_naive():
    shifted = [0.8] * 60 + [0.3] * 24  # a market that collapsed five months ago
    result = backtest_series(shifted, horizon=4, origins=8, bounds=(0.0, 1.0))
    assert result.model.mae < result.baseline.mae
    assert result.model_wins and result.model_method == fc.DAMPED_TREND


# -- alerts: pure evaluation -------------------------------------------------------------


HALF = Thresholds(sell_through_min=Decimal("0.5"))


def test_alert_fires_on_a_falling_sell_through_with_its_figures():
    falling = [0.9 - 0.05 * k for k in range(12)]
    evaluation = evaluate_cell(WEEKS, falling, [300_000] * 12, 40.0, HALF)
    kinds = [finding.kind for finding in evaluation.findings]
    assert kinds == [AlertKind.SELL_THROUGH_LOW]
    finding = evaluation.findings[0]
    assert finding.forecast < Decimal("0.5") and finding.threshold == Decimal("0.5")
    reason = f.plain(finding.reason)
    assert "sous le seuil de 50 % fixé par le ministère" in reason
    assert "Dernier taux observé : 35 % (semaine du 26/05/2025)" in reason
    assert (
        "contre 72 % d'habitude" in reason
    )  # mean of 90 % … 55 %, the eight weeks before the last four
    assert "Stock invendu : 300 000 FBu, âge moyen 40 jours" in reason
    assert "tendance amortie" in reason


def test_alert_stays_quiet_on_a_flat_series():
    evaluation = evaluate_cell(WEEKS, [0.8] * 12, [300_000] * 12, 20.0, HALF)
    assert evaluation.findings == []


def test_chronic_slow_sales_raise_no_alert_but_keep_an_open_one_open():
    """Always below the threshold is not a fall; an alert raised on the fall stays while it lasts."""
    chronic = [0.05] * 12
    assert evaluate_cell(WEEKS, chronic, [300_000] * 12, 90.0, Thresholds()).findings == []
    kept = evaluate_cell(
        WEEKS,
        chronic,
        [300_000] * 12,
        90.0,
        Thresholds(),
        open_kinds=frozenset({AlertKind.SELL_THROUGH_LOW}),
    )
    assert [finding.kind for finding in kept.findings] == [AlertKind.SELL_THROUGH_LOW]


def test_alert_fires_when_unsold_stock_is_projected_to_rise_beyond_the_tolerance():
    rising = [50_000 * (k + 1) for k in range(12)]
    evaluation = evaluate_cell(WEEKS, [0.8] * 12, rising, 55.0, Thresholds())
    (finding,) = evaluation.findings
    assert finding.kind == AlertKind.UNSOLD_RISING
    assert finding.observed == Decimal(rising[-1])
    assert "seuil fixé par le ministère : +25 %" in f.plain(finding.reason)


def test_small_stock_does_not_alert_below_the_ministry_minimum():
    falling = [0.9 - 0.05 * k for k in range(12)]
    evaluation = evaluate_cell(
        WEEKS,
        falling,
        [50_000] * 12,
        40.0,
        Thresholds(sell_through_min=Decimal("0.5"), min_unsold_value=100_000),
    )
    assert evaluation.findings == []


# -- alerts: refresh, scope, acknowledgement ---------------------------------------------


def test_refresh_raises_alerts_on_falling_cells_and_none_on_the_flat_one(app, scenario, db_session):
    frame = alerts_frame(db_session, NATIONAL, map_version="2015")
    beans = frame[frame["value_chain"] == "Haricot"]
    low = beans[beans["kind"] == AlertKind.SELL_THROUGH_LOW.value]
    assert set(low["province"]) == {"Gitega", "Kirundo"}
    assert "Ngozi" not in set(beans["province"])
    stored = db_session.scalar(select(func.count()).select_from(MeventeForecast))
    assert stored > 0


def test_refresh_again_updates_the_same_alerts_instead_of_duplicating(app, scenario, db_session):
    before = db_session.scalar(select(func.count()).select_from(MeventeAlert))
    summary = refresh_alerts(db_session)
    assert summary.raised == 0 and summary.updated == before
    assert db_session.scalar(select(func.count()).select_from(MeventeAlert)) == before
    db_session.rollback()


def test_coordinator_sees_only_alerts_of_their_provinces(app, scenario, db_session):
    scope = ProvinceScope(False, frozenset({_province_id(db_session, "BI-GI")}))
    frame = alerts_frame(db_session, scope)
    assert not frame.empty and set(frame["province"]) == {"Gitega"}
    assert set(frame["map_version"]) == {"2015"}
    kirundo = db_session.scalar(
        select(MeventeAlert.id).join(m.Province).where(m.Province.code == "BI-KI")
    )
    with pytest.raises(MeventeNotFound):
        scoped_alert(db_session, scope, kirundo)


def test_acknowledging_records_who_when_and_the_note_and_keeps_history(app, scenario, db_session):
    alert_id = db_session.scalar(
        select(MeventeAlert.id)
        .join(m.Province)
        .where(m.Province.code == "BI-GI", MeventeAlert.map_version == "2015")
    )
    user = SimpleNamespace(id=None, username="directrice")
    alert = acknowledge_alert(
        db_session, NATIONAL, str(alert_id), user, "  Réunion avec les acheteurs jeudi  "
    )
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledgement_note == "Réunion avec les acheteurs jeudi"
    assert alert.acknowledged_by == "directrice" and alert.acknowledged_at is not None
    assert [e.action for e in alert.events] == ["raised", "acknowledged"]
    db_session.rollback()


@pytest.mark.parametrize("raw_id", ["abc", "-3", "", "1.5"])
def test_malformed_alert_id_is_refused_in_french(app, scenario, db_session, raw_id):
    with pytest.raises(MeventeInputError, match="Identifiant invalide"):
        acknowledge_alert(db_session, NATIONAL, raw_id, None, "note")


def test_acknowledging_without_a_note_changes_nothing(app, scenario, db_session):
    alert = db_session.scalars(select(MeventeAlert)).first()
    with pytest.raises(MeventeInputError, match="note est obligatoire"):
        acknowledge_alert(db_session, NATIONAL, alert.id, None, "   ")
    assert alert.status == AlertStatus.OPEN and len(alert.events) == 1


def test_alerts_use_the_method_the_backtest_kept(app, db_session):
    """A chain whose history repeats exactly keeps seasonal-naive; its alerts say so."""
    chain = db_session.scalar(select(m.ValueChain.id).where(m.ValueChain.code == "cafe"))
    province = _province_id(db_session, "BI25-BT")
    first = dt.date(2023, 6, 5)
    rows = []
    for k in range(80):
        ratio = 0.5 + 0.4 * np.sin(2 * np.pi * k / 52)
        rows.append(
            {
                "week_start": first + dt.timedelta(days=7 * k),
                "value_chain_id": chain,
                "province_id": province,
                "map_version": "2025",
                "offered_value": 1_000_000,
                "sold_value": int(ratio * 1_000_000),
                "opening_value": 0,
                "unsold_value": 500_000,
                "sell_through": Decimal(str(round(ratio, 4))),
                "computed_at": dt.datetime.now(dt.UTC),
            }
        )
    db_session.execute(insert(WeeklyIndicator), rows)
    results = choose_methods(db_session, horizon=4, origins=8)
    assert not results[(chain, ForecastMetric.SELL_THROUGH)].model_wins
    choice = db_session.scalar(
        select(ForecastChoice).where(
            ForecastChoice.value_chain_id == chain,
            ForecastChoice.metric == ForecastMetric.SELL_THROUGH,
        )
    )
    assert choice.chosen_method == fc.SEASONAL_NAIVE and choice.baseline_mae == Decimal("0")
    methods = {key: (fc.MODEL if r.model_wins else fc.SEASONAL_NAIVE) for key, r in results.items()}
    refresh_alerts(db_session, methods)
    forecast = db_session.scalar(
        select(MeventeForecast).where(
            MeventeForecast.value_chain_id == chain,
            MeventeForecast.metric == ForecastMetric.SELL_THROUGH,
        )
    )
    assert forecast.method == fc.SEASONAL_NAIVE
    db_session.rollback()


def test_forecasts_keep_their_components_and_are_scoped(app, scenario, db_session):
    scope = ProvinceScope(False, frozenset({_province_id(db_session, "BI-GI")}))
    frame = forecasts_frame(db_session, scope)
    assert set(frame["province"]) == {"Gitega"} and set(frame["map_version"]) == {"2015"}
    assert set(frame["step"]) == {1, 2, 3, 4}
    beans = frame[(frame["value_chain"] == "Haricot") & (frame["metric"] == "sell_through")]
    assert list(beans["target_week"]) == [
        dt.date(2025, 6, 2) + dt.timedelta(days=7 * k) for k in range(4)
    ]
    assert beans["level"].notna().all() and beans["trend"].notna().all()


def test_refresh_command_reports_in_french_and_changes_nothing_twice(app, scenario):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mevente-refresh", "--as-of", "2025-06-04", "--no-backtest"])
    assert result.exit_code == 0, result.output
    assert "Indicateurs jusqu'à la semaine du 26/05/2025" in result.output
    alerts_line = next(line for line in result.output.splitlines() if line.startswith("Alertes"))
    assert " 0 nouvelles" in alerts_line  # the same week again: alerts updated, none raised
    refused = runner.invoke(args=["mevente-refresh", "--as-of", "04/06/2025"])
    assert refused.exit_code != 0 and "utilisez AAAA-MM-JJ" in refused.output
