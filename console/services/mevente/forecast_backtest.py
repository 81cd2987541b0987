"""Rolling-origin backtest of the forecast against seasonal-naive, and the method kept.

For each origin among the last weeks of a series, both methods forecast the next
``horizon`` weeks from the history up to the origin only; their errors against what
happened are pooled. The model is kept for a value chain only where its MAE beats the
baseline's in the same run; otherwise the alerts use the baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from console.models.mevente import ForecastChoice, ForecastMetric, WeeklyIndicator
from console.models.types import utcnow
from console.services.mevente.forecast import (
    MODEL,
    SEASON_WEEKS,
    SEASONAL_NAIVE,
    forecast_series,
    model_method_for,
)

DEFAULT_ORIGINS = 12
DEFAULT_HORIZON = 4
METRIC_BOUNDS = {ForecastMetric.SELL_THROUGH: (0.0, 1.0), ForecastMetric.UNSOLD_VALUE: (0.0, None)}


@dataclass
class Errors:
    """Absolute errors and absolute percentage errors pooled over origins and steps."""

    absolute: list[float] = field(default_factory=list)
    percentage: list[float] = field(default_factory=list)

    def add(self, forecast: Sequence[float], actual: Sequence[float]) -> None:
        for f, a in zip(forecast, actual, strict=True):
            self.absolute.append(abs(f - a))
            if a != 0:  # MAPE is undefined where nothing happened
                self.percentage.append(abs(f - a) / abs(a) * 100)

    def extend(self, other: Errors) -> None:
        self.absolute += other.absolute
        self.percentage += other.percentage

    @property
    def mae(self) -> float | None:
        return float(np.mean(self.absolute)) if self.absolute else None

    @property
    def mape(self) -> float | None:
        return float(np.mean(self.percentage)) if self.percentage else None


@dataclass
class Backtest:
    """One series' backtest: the model's errors, the baseline's, and the model used."""

    model_method: str
    model: Errors
    baseline: Errors
    origins: int
    history_weeks: int

    @property
    def model_wins(self) -> bool:
        """The model is kept only where it beats the baseline (no baseline: the model)."""
        if self.baseline.mae is None:
            return True
        return self.model.mae is not None and self.model.mae < self.baseline.mae


def backtest_series(
    values: Sequence[float],
    horizon: int = DEFAULT_HORIZON,
    origins: int = DEFAULT_ORIGINS,
    bounds: tuple[float | None, float | None] = (None, None),
) -> Backtest:
    """Rolling-origin backtest over the last ``origins`` origins that leave ``horizon`` actuals."""
    y = np.asarray(values, dtype=float)
    n = len(y)
    last_origin = n - horizon
    first_origin = max(last_origin - origins + 1, SEASON_WEEKS)
    model, baseline = Errors(), Errors()
    used = model_method_for(max(last_origin, 0))
    count = 0
    for origin in range(first_origin, last_origin + 1):
        train, actual = y[:origin], y[origin : origin + horizon]
        fitted = forecast_series(train, horizon, MODEL, *bounds)
        model.add(fitted.values, actual)
        baseline.add(forecast_series(train, horizon, SEASONAL_NAIVE, *bounds).values, actual)
        used = fitted.method
        count += 1
    return Backtest(used, model, baseline, count, n)


def national_series(
    session: Session, metric: ForecastMetric, as_of_week: dt.date | None = None
) -> dict[int, list[float]]:
    """Per value chain, the national weekly series (2025 map cells summed), oldest first."""
    w = WeeklyIndicator
    stmt = (
        select(
            w.value_chain_id,
            w.week_start,
            func.sum(w.sold_value),
            func.sum(w.opening_value),
            func.sum(w.offered_value),
            func.sum(w.unsold_value),
        )
        .where(w.map_version == "2025")
        .group_by(w.value_chain_id, w.week_start)
        .order_by(w.value_chain_id, w.week_start)
    )
    if as_of_week is not None:
        stmt = stmt.where(w.week_start <= as_of_week)
    frame = pd.DataFrame(
        session.execute(stmt).all(),
        columns=["chain", "week", "sold", "opening", "offered", "unsold"],
    )
    series: dict[int, list[float]] = {}
    for chain, rows in frame.groupby("chain"):
        supply = rows["opening"].astype(float) + rows["offered"].astype(float)
        if metric == ForecastMetric.SELL_THROUGH:
            ratio = (rows["sold"].astype(float) / supply.where(supply > 0)).clip(upper=1.0)
            series[int(chain)] = fill_gaps(ratio.to_numpy())
        else:
            series[int(chain)] = rows["unsold"].astype(float).tolist()
    return series


def cell_series(
    session: Session, metric: ForecastMetric, map_version: str = "2025"
) -> dict[tuple[int, int], list[float]]:
    """Per (value chain, province) of one map, the weekly series, oldest first."""
    w = WeeklyIndicator
    stmt = (
        select(w.value_chain_id, w.province_id, w.sell_through, w.unsold_value)
        .where(w.map_version == map_version)
        .order_by(w.value_chain_id, w.province_id, w.week_start)
    )
    series: dict[tuple[int, int], list] = {}
    for chain, province, ratio, unsold in session.execute(stmt):
        value = (
            (float("nan") if ratio is None else float(ratio))
            if metric == ForecastMetric.SELL_THROUGH
            else float(unsold)
        )
        series.setdefault((chain, province), []).append(value)
    if metric == ForecastMetric.SELL_THROUGH:
        return {key: fill_gaps(values) for key, values in series.items()}
    return series


def fill_gaps(values: Sequence[float]) -> list[float]:
    """Leading gaps dropped, inner gaps (weeks with nothing on offer) interpolated."""
    s = pd.Series(values, dtype=float)
    first = s.first_valid_index()
    if first is None:
        return []
    return s.loc[first:].interpolate(limit_direction="both").tolist()


def choose_methods(
    session: Session, horizon: int = DEFAULT_HORIZON, origins: int = DEFAULT_ORIGINS
) -> dict[tuple[int, ForecastMetric], Backtest]:
    """Backtest every value chain's national series and store the method kept. Does not commit."""
    results: dict[tuple[int, ForecastMetric], Backtest] = {}
    for metric in ForecastMetric:
        for chain, values in national_series(session, metric).items():
            results[(chain, metric)] = backtest_series(
                values, horizon, origins, METRIC_BOUNDS[metric]
            )
    session.execute(delete(ForecastChoice))
    now = utcnow()
    rows = [
        {
            "value_chain_id": chain,
            "metric": metric,
            "chosen_method": MODEL if result.model_wins else SEASONAL_NAIVE,
            "model_method": result.model_method,
            "model_mae": _figure(result.model.mae),
            "baseline_mae": _figure(result.baseline.mae),
            "model_mape": _figure(result.model.mape),
            "baseline_mape": _figure(result.baseline.mape),
            "origins": result.origins,
            "history_weeks": result.history_weeks,
            "decided_at": now,
        }
        for (chain, metric), result in results.items()
    ]
    if rows:
        session.execute(insert(ForecastChoice), rows)
    return results


def chosen_methods(session: Session) -> dict[tuple[int, ForecastMetric], str]:
    """The stored choice per (value chain, metric); absent pairs use the model."""
    return {
        (row.value_chain_id, row.metric): row.chosen_method
        for row in session.scalars(select(ForecastChoice))
    }


def _figure(value: float | None) -> Decimal | None:
    if value is None or np.isnan(value):
        return None
    return Decimal(str(round(value, 4)))
