"""Forecasts of weekly series, explainable: each value is level + trend + seasonal part.

The method follows the history available (statsmodels exponential smoothing):
- two years or more: Holt-Winters, damped additive trend and additive yearly season
  (52 weeks) — harvests make coffee, rice and maize sell by season;
- ten weeks or more: Holt's damped trend (a trend that flattens rather than runs away);
- four weeks or more: simple exponential smoothing (a level only);
- less: the last observed value.
``seasonal_naive`` (same week last year) is the baseline the backtest compares against.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

SEASON_WEEKS = 52
# statsmodels' heuristic initialisation of the seasonal terms needs two full cycles.
MIN_SEASONAL_HISTORY = 2 * SEASON_WEEKS
MIN_TREND_HISTORY = 10
MIN_SMOOTHING_HISTORY = 4

HOLT_WINTERS = "holt_winters"
DAMPED_TREND = "damped_trend"
SIMPLE = "simple"
NAIVE = "naive"
SEASONAL_NAIVE = "seasonal_naive"
MODEL = "model"  # whichever of the first four the history allows

METHOD_LABELS = {
    HOLT_WINTERS: "Holt-Winters (tendance amortie, saisonnalité annuelle)",
    DAMPED_TREND: "lissage exponentiel à tendance amortie",
    SIMPLE: "lissage exponentiel simple",
    NAIVE: "dernière valeur observée (historique trop court)",
    SEASONAL_NAIVE: "même semaine l'an dernier",
    MODEL: "lissage exponentiel",
}


@dataclass(frozen=True)
class Forecast:
    """Forecast values for steps 1..h and the components that explain them."""

    method: str
    values: list[float]
    history_weeks: int
    level: float | None = None
    trend: float | None = None  # weekly slope at the forecast origin
    seasonal: list[float] | None = None  # seasonal part of each step
    params: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)

    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else float("nan")


def model_method_for(history_weeks: int) -> str:
    """The smoothing method a history of this length supports."""
    if history_weeks >= MIN_SEASONAL_HISTORY:
        return HOLT_WINTERS
    if history_weeks >= MIN_TREND_HISTORY:
        return DAMPED_TREND
    if history_weeks >= MIN_SMOOTHING_HISTORY:
        return SIMPLE
    return NAIVE


def forecast_series(
    values: Sequence[float],
    horizon: int,
    method: str = MODEL,
    lower: float | None = None,
    upper: float | None = None,
) -> Forecast:
    """Forecast ``horizon`` weeks after ``values`` (oldest first), clipped to [lower, upper].

    ``method`` is MODEL (chosen by history length), SEASONAL_NAIVE (falls back to MODEL
    below one year of history) or a named method the history supports.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    if method == SEASONAL_NAIVE and n < SEASON_WEEKS:
        method = MODEL
    if method == MODEL:
        method = model_method_for(n)
    if n == 0:
        result = Forecast(NAIVE, [0.0] * horizon, 0)
    elif method == SEASONAL_NAIVE:
        result = _seasonal_naive(y, horizon)
    elif method == NAIVE or np.ptp(y) == 0:
        # A constant series has nothing to smooth: its forecast is the constant.
        result = Forecast(
            NAIVE if method == NAIVE else method,
            [float(y[-1])] * horizon,
            n,
            level=float(y[-1]),
            trend=0.0,
        )
    else:
        result = _smoothing(y, horizon, method)
    return _clipped(result, lower, upper)


def _seasonal_naive(y: np.ndarray, horizon: int) -> Forecast:
    n = len(y)
    values = [float(y[n - SEASON_WEEKS + (h - 1) % SEASON_WEEKS]) for h in range(1, horizon + 1)]
    return Forecast(SEASONAL_NAIVE, values, n, seasonal=values)


def _smoothing(y: np.ndarray, horizon: int, method: str) -> Forecast:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    n = len(y)
    options = {
        HOLT_WINTERS: dict(
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=SEASON_WEEKS,
            initialization_method="heuristic",
        ),
        DAMPED_TREND: dict(trend="add", damped_trend=True, initialization_method="estimated"),
        SIMPLE: dict(initialization_method="estimated"),
    }[method]
    with warnings.catch_warnings():
        # Short, flat or zero-heavy series make the optimiser warn; the fit stays usable.
        warnings.simplefilter("ignore")
        # SLSQP reaches the same fit as the default L-BFGS-B about five times faster here.
        fit = ExponentialSmoothing(y, **options).fit(method="SLSQP")
        values = [float(v) for v in np.asarray(fit.forecast(horizon))]
    params = {
        name: float(fit.params[key])
        for name, key in (
            ("alpha", "smoothing_level"),
            ("beta", "smoothing_trend"),
            ("gamma", "smoothing_seasonal"),
            ("phi", "damping_trend"),
        )
        if key in fit.params and fit.params[key] is not None and not np.isnan(fit.params[key])
    }
    level = float(np.asarray(fit.level)[-1])
    trend = float(np.asarray(fit.trend)[-1]) if method != SIMPLE else None
    seasonal = None
    if method == HOLT_WINTERS:
        season = np.asarray(fit.season)
        seasonal = [float(season[n - 1 + h - SEASON_WEEKS]) for h in range(1, horizon + 1)]
    return Forecast(method, values, n, level=level, trend=trend, seasonal=seasonal, params=params)


def _clipped(result: Forecast, lower: float | None, upper: float | None) -> Forecast:
    if lower is None and upper is None:
        return result
    values = list(np.clip(result.values, lower, upper))
    return Forecast(
        result.method,
        [float(v) for v in values],
        result.history_weeks,
        result.level,
        result.trend,
        result.seasonal,
        result.params,
    )


def step_components(result: Forecast) -> list[tuple[float | None, float | None, float | None]]:
    """(level, cumulated trend, seasonal) behind each step, for storage and explanation."""
    phi = result.params.get("phi", 1.0)
    rows = []
    for h in range(1, len(result.values) + 1):
        trend = None
        if result.trend is not None:
            trend = result.trend * sum(phi**i for i in range(1, h + 1))
        seasonal = result.seasonal[h - 1] if result.seasonal else None
        level = result.level if result.method != SEASONAL_NAIVE else None
        rows.append((level, trend, seasonal))
    return rows
