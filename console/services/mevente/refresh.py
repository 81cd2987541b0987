"""The weekly mévente refresh: indicators, backtest, forecasts and alerts, suggestions.

Run by ``isoko mevente-refresh`` and callable after an import of sales:
``refresh_mevente(db.session)`` then commit. Everything happens in the caller's
transaction, so a failure leaves last week's figures in place.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from console.services.mevente.alerts import AlertRefresh, load_thresholds, refresh_alerts
from console.services.mevente.forecast import MODEL, SEASONAL_NAIVE
from console.services.mevente.forecast_backtest import (
    DEFAULT_ORIGINS,
    choose_methods,
    chosen_methods,
)
from console.services.mevente.indicators import refresh_weekly_indicators
from console.services.mevente.suggestion_refresh import SuggestionRefresh, refresh_suggestions
from console.services.periods import last_complete_week, today_local


@dataclass
class MeventeRefresh:
    as_of: dt.date
    last_week: dt.date
    indicator_rows: int = 0
    model_kept: int = 0
    baseline_kept: int = 0
    alerts: AlertRefresh = field(default_factory=AlertRefresh)
    suggestions: SuggestionRefresh = field(default_factory=SuggestionRefresh)
    seconds: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        """A French summary for the command line."""
        a, s = self.alerts, self.suggestions
        return "\n".join(
            [
                f"Indicateurs jusqu'à la semaine du {self.last_week:%d/%m/%Y} : {self.indicator_rows} lignes.",
                f"Méthode de prévision retenue : modèle pour {self.model_kept} séries, "
                f"« même semaine l'an dernier » pour {self.baseline_kept}.",
                f"Alertes : {a.evaluated} cellules évaluées, {a.raised} nouvelles, {a.updated} mises à jour, "
                f"{a.resolved} levées ; {a.forecasts} prévisions enregistrées.",
                f"Suggestions : {s.stale_stocks} stocks invendus, {s.proposed} nouvelles, {s.updated} mises à jour, "
                f"{s.removed} retirées, {s.linked_orders} commandes liées.",
                "Durées : " + ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items()) + ".",
            ]
        )


def refresh_mevente(
    session: Session,
    as_of: dt.date | None = None,
    backtest: bool = True,
    origins: int = DEFAULT_ORIGINS,
    actor: tuple[int | None, str] = (None, "système"),
) -> MeventeRefresh:
    """Recompute everything up to the last full week before ``as_of``. Does not commit."""
    as_of = as_of or today_local()
    summary = MeventeRefresh(as_of=as_of, last_week=last_complete_week(as_of))
    national, by_chain = load_thresholds(session)

    started = time.perf_counter()
    summary.indicator_rows = refresh_weekly_indicators(session, as_of)
    summary.seconds["indicateurs"] = time.perf_counter() - started

    started = time.perf_counter()
    if backtest:
        results = choose_methods(session, national.horizon_weeks, origins)
        methods = {key: (MODEL if r.model_wins else SEASONAL_NAIVE) for key, r in results.items()}
    else:
        methods = chosen_methods(session)
    summary.model_kept = sum(1 for v in methods.values() if v == MODEL)
    summary.baseline_kept = len(methods) - summary.model_kept
    summary.seconds["backtest"] = time.perf_counter() - started

    started = time.perf_counter()
    summary.alerts = refresh_alerts(session, methods, actor, as_of)
    summary.seconds["alertes"] = time.perf_counter() - started

    started = time.perf_counter()
    age_days = {chain: t.unsold_age_days for chain, t in by_chain.items()}
    summary.suggestions = refresh_suggestions(
        session, as_of, age_days, national.unsold_age_days, actor
    )
    summary.seconds["suggestions"] = time.perf_counter() - started
    return summary
