"""Mévente alerts: where sell-through is projected below the ministry's threshold, or
unsold stock projected to rise, with the figures that explain each one.

``evaluate_cell`` is pure (a cell's weekly history in, findings out); ``refresh_alerts``
runs it over every active cell, stores the forecasts and keeps one alert per cell and
kind open while its condition holds; ``acknowledge_alert`` records who, when and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from console import models as m
from console.formatting import format_date, format_number
from console.models.mevente import (
    AlertKind,
    AlertStatus,
    ForecastMetric,
    MeventeAlert,
    MeventeAlertEvent,
    MeventeForecast,
    MeventeThreshold,
    WeeklyIndicator,
)
from console.models.types import utcnow
from console.security.scoping import ProvinceScope, apply_scope
from console.services.mevente.errors import MeventeInputError, MeventeNotFound, clean_note, parse_id
from console.services.mevente.forecast import MODEL, Forecast, forecast_series, step_components
from console.services.mevente.forecast_backtest import fill_gaps
from console.services.money import format_francs, round_franc
from console.services.periods import last_complete_week, today_local

# A cell is evaluated only if something was on offer in its last weeks: a value chain a
# province stopped producing is not a mévente.
ACTIVE_WEEKS = 4
# The cell's usual sell-through: the weeks before the last ACTIVE_WEEKS. An alert is
# raised when the forecast falls below the threshold from a usual level at or above it
# (a cell that always sold slowly is chronic mévente, for the buyer suggestions), and
# stays open while the forecast remains below the threshold.
REFERENCE_WEEKS = 12
ACTIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


@dataclass(frozen=True)
class Thresholds:
    """The ministry's thresholds for one value chain (its own row or the national one)."""

    sell_through_min: Decimal = Decimal("0.1")
    unsold_rise_max: Decimal = Decimal("0.25")
    min_unsold_value: int = 100_000
    horizon_weeks: int = 4
    unsold_age_days: int = 30

    @classmethod
    def of(cls, row: MeventeThreshold) -> Thresholds:
        # The console validates the ranges; rows written elsewhere are kept usable.
        return cls(
            row.sell_through_min,
            row.unsold_rise_max,
            max(row.min_unsold_value, 0),
            max(row.horizon_weeks, 1),
            max(row.unsold_age_days, 1),
        )


def load_thresholds(session: Session) -> tuple[Thresholds, dict[int, Thresholds]]:
    """The national thresholds and those of value chains that have their own row."""
    national, by_chain = Thresholds(), {}
    for row in session.scalars(select(MeventeThreshold)):
        if row.value_chain_id is None:
            national = Thresholds.of(row)
        else:
            by_chain[row.value_chain_id] = Thresholds.of(row)
    return national, by_chain


@dataclass(frozen=True)
class Finding:
    """One condition that holds for a cell, with its figures and its French explanation."""

    kind: AlertKind
    observed: Decimal
    forecast: Decimal
    threshold: Decimal
    method: str
    reason: str


@dataclass
class Evaluation:
    """A cell's forecasts and the conditions found."""

    sell_through: Forecast | None
    unsold: Forecast
    findings: list[Finding] = field(default_factory=list)


def _percent(ratio: float | Decimal) -> str:
    return f"{format_number(float(ratio) * 100)}\u00a0%"


def _explain(result: Forecast, as_money: bool) -> str:
    """The method and its components, in French."""
    if result.level is None:
        return f"Méthode : {result.label}."
    if as_money:
        level = format_francs(round_franc(Decimal(str(max(result.level, 0)))))
        trend = (
            ""
            if result.trend is None
            else (
                f", tendance {'+' if result.trend >= 0 else '−'}"
                f"{format_francs(round_franc(Decimal(str(abs(result.trend)))))}/semaine"
            )
        )
    else:
        level = _percent(result.level)
        trend = (
            ""
            if result.trend is None
            else (
                f", tendance {'+' if result.trend >= 0 else '−'}{format_number(abs(result.trend) * 100, 1)} point/semaine"
            )
        )
    season = ""
    if result.seasonal:
        part = result.seasonal[-1]
        season = (
            f", saisonnalité {format_francs(round_franc(Decimal(str(part))))}"
            if as_money
            else f", saisonnalité {'+' if part >= 0 else '−'}{format_number(abs(part) * 100, 1)} point"
        )
    return f"Méthode : {result.label} (niveau {level}{trend}{season})."


def evaluate_cell(
    weeks: Sequence[dt.date],
    sell_through: Sequence[float | None],
    unsold_value: Sequence[int],
    unsold_age_days: float | None,
    thresholds: Thresholds,
    methods: dict[ForecastMetric, str] | None = None,
    open_kinds: frozenset[AlertKind] = frozenset(),
) -> Evaluation:
    """Forecast a cell's sell-through and unsold stock; report the thresholds crossed.

    ``open_kinds``: the cell's alerts already open, which stay open while the forecast
    stays below the threshold even once the usual level has caught up with the fall.
    """
    methods = methods or {}
    horizon = thresholds.horizon_weeks
    last_week = weeks[-1]
    target_week = last_week + dt.timedelta(days=7 * horizon)
    history = fill_gaps([float("nan") if v is None else float(v) for v in sell_through])
    st = (
        forecast_series(history, horizon, methods.get(ForecastMetric.SELL_THROUGH, MODEL), 0.0, 1.0)
        if history
        else None
    )
    stock = forecast_series(
        [float(v) for v in unsold_value],
        horizon,
        methods.get(ForecastMetric.UNSOLD_VALUE, MODEL),
        0.0,
        None,
    )
    evaluation = Evaluation(st, stock)
    current = int(unsold_value[-1])
    age = (
        f", âge moyen {format_number(unsold_age_days)} jours" if unsold_age_days is not None else ""
    )
    material = current >= thresholds.min_unsold_value

    threshold = float(thresholds.sell_through_min)
    usual = _usual_level(sell_through)
    falls = usual is not None and usual >= threshold
    if (
        st is not None
        and material
        and st.mean() < threshold
        and (falls or AlertKind.SELL_THROUGH_LOW in open_kinds)
    ):
        observed = [v for v in sell_through if v is not None]
        last = observed[-1] if observed else 0.0
        recent = observed[-ACTIVE_WEEKS:]
        before = (
            ""
            if usual is None
            else f", contre {_percent(usual)} d'habitude (les {REFERENCE_WEEKS} semaines d'avant)"
        )
        reason = (
            f"Taux d'écoulement prévu sur les {horizon} prochaines semaines : {_percent(st.mean())} en moyenne "
            f"({_percent(st.values[-1])} la semaine du {format_date(target_week)}), sous le seuil de "
            f"{_percent(thresholds.sell_through_min)} fixé par le ministère. "
            f"Dernier taux observé : {_percent(last)} (semaine du {format_date(last_week)}), "
            f"{_percent(sum(recent) / len(recent)) if recent else '—'} en moyenne sur les {len(recent)} dernières "
            f"semaines{before}. Stock invendu : {format_francs(current)}{age}. {_explain(st, as_money=False)}"
        )
        evaluation.findings.append(
            Finding(
                AlertKind.SELL_THROUGH_LOW,
                _decimal(last),
                _decimal(st.mean()),
                Decimal(thresholds.sell_through_min),
                st.method,
                reason,
            )
        )

    projected = round_franc(Decimal(str(stock.values[-1])))
    rise = projected - current
    limit = Decimal(current) * Decimal(thresholds.unsold_rise_max)
    if projected >= thresholds.min_unsold_value and rise > 0 and Decimal(rise) > limit:
        change = (
            f"+{_percent(Decimal(rise) / Decimal(current))}"
            if current > 0
            else "(aucun stock aujourd'hui)"
        )
        reason = (
            f"Stock invendu prévu à {format_francs(projected)} la semaine du {format_date(target_week)}, "
            f"contre {format_francs(current)} à la fin de la semaine du {format_date(last_week)} : "
            f"{change} (seuil fixé par le ministère : +{_percent(thresholds.unsold_rise_max)}){age}. "
            f"{_explain(stock, as_money=True)}"
        )
        evaluation.findings.append(
            Finding(
                AlertKind.UNSOLD_RISING,
                Decimal(current),
                Decimal(projected),
                Decimal(thresholds.unsold_rise_max),
                stock.method,
                reason,
            )
        )
    return evaluation


def _usual_level(sell_through: Sequence[float | None]) -> float | None:
    """Mean sell-through of the REFERENCE_WEEKS before the last ACTIVE_WEEKS (all weeks if fewer)."""
    earlier = [v for v in list(sell_through)[:-ACTIVE_WEEKS][-REFERENCE_WEEKS:] if v is not None]
    if not earlier:
        earlier = [v for v in sell_through if v is not None]
    return sum(earlier) / len(earlier) if earlier else None


def _decimal(value: float) -> Decimal:
    return Decimal(str(round(float(value), 4)))


@dataclass
class AlertRefresh:
    evaluated: int = 0
    raised: int = 0
    updated: int = 0
    resolved: int = 0
    forecasts: int = 0


def _history(session: Session, as_of: dt.date | None) -> pd.DataFrame:
    """Every cell's weekly indicators up to the last complete week before ``as_of``."""
    w = WeeklyIndicator
    stmt = select(
        w.value_chain_id,
        w.province_id,
        w.map_version,
        w.week_start,
        w.sell_through,
        w.unsold_value,
        w.opening_value,
        w.offered_value,
        w.unsold_age_days,
    ).order_by(w.value_chain_id, w.province_id, w.week_start)
    # A week still under way is never judged (periods owns « is this period complete »).
    stmt = stmt.where(w.week_start <= last_complete_week(as_of or today_local()))
    result = session.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def refresh_alerts(
    session: Session,
    methods: dict[tuple[int, ForecastMetric], str] | None = None,
    actor: tuple[int | None, str] = (None, "système"),
    as_of: dt.date | None = None,
) -> AlertRefresh:
    """Evaluate every active cell over its complete weeks (before ``as_of``, default today),
    store its forecasts, raise, update and lift alerts. Does not commit."""
    methods = methods or {}
    national, by_chain = load_thresholds(session)
    summary = AlertRefresh()
    forecast_rows: list[dict] = []
    findings: dict[tuple[int, int, AlertKind], tuple[str, dt.date, Finding]] = {}
    history = _history(session, as_of)
    open_kinds: dict[tuple[int, int], set[AlertKind]] = {}
    for alert in session.scalars(
        select(MeventeAlert).where(MeventeAlert.status.in_(ACTIVE_STATUSES))
    ):
        open_kinds.setdefault((alert.value_chain_id, alert.province_id), set()).add(alert.kind)
    for (chain, province), cell in history.groupby(["value_chain_id", "province_id"], sort=False):
        recent = cell.tail(ACTIVE_WEEKS)
        if int((recent["opening_value"] + recent["offered_value"]).sum()) <= 0:
            continue
        thresholds = by_chain.get(int(chain), national)
        chain_methods = {
            metric: methods.get((int(chain), metric), MODEL) for metric in ForecastMetric
        }
        ages = cell["unsold_age_days"].iloc[-1]
        weeks = list(cell["week_start"])
        evaluation = evaluate_cell(
            weeks,
            [None if pd.isna(v) else float(v) for v in cell["sell_through"]],
            [int(v) for v in cell["unsold_value"]],
            None if ages is None or pd.isna(ages) else float(ages),
            thresholds,
            chain_methods,
            frozenset(open_kinds.get((int(chain), int(province)), ())),
        )
        summary.evaluated += 1
        for metric, result in (
            (ForecastMetric.SELL_THROUGH, evaluation.sell_through),
            (ForecastMetric.UNSOLD_VALUE, evaluation.unsold),
        ):
            if result is not None:
                forecast_rows += _forecast_rows(
                    int(chain), int(province), metric, weeks[-1], result
                )
        for finding in evaluation.findings:
            findings[(int(chain), int(province), finding.kind)] = (
                cell["map_version"].iloc[0],
                weeks[-1],
                finding,
            )

    session.execute(delete(MeventeForecast))
    if forecast_rows:
        session.execute(insert(MeventeForecast), forecast_rows)
    summary.forecasts = len(forecast_rows)
    _apply_findings(session, findings, actor, summary)
    return summary


def _forecast_rows(
    chain: int, province: int, metric: ForecastMetric, origin: dt.date, result: Forecast
) -> list[dict]:
    rows = []
    for step, (value, (level, trend, seasonal)) in enumerate(
        zip(result.values, step_components(result), strict=True), 1
    ):
        rows.append(
            {
                "value_chain_id": chain,
                "province_id": province,
                "metric": metric,
                "origin_week": origin,
                "step": step,
                "target_week": origin + dt.timedelta(days=7 * step),
                "value": _decimal(value),
                "method": result.method,
                "level": None if level is None else _decimal(level),
                "trend": None if trend is None else _decimal(trend),
                "seasonal": None if seasonal is None else _decimal(seasonal),
            }
        )
    return rows


def _apply_findings(
    session: Session, findings: dict, actor: tuple[int | None, str], summary: AlertRefresh
) -> None:
    """One alert per cell and kind stays active while its condition holds."""
    now = utcnow()
    user_id, username = actor
    active = {
        (a.value_chain_id, a.province_id, a.kind): a
        for a in session.scalars(
            select(MeventeAlert).where(MeventeAlert.status.in_(ACTIVE_STATUSES))
        )
    }
    for key, (map_version, week, finding) in findings.items():
        alert = active.pop(key, None)
        if alert is None:
            chain, province, kind = key
            alert = MeventeAlert(
                value_chain_id=chain,
                province_id=province,
                map_version=map_version,
                kind=kind,
                status=AlertStatus.OPEN,
                first_week=week,
                created_at=now,
            )
            alert.events.append(
                MeventeAlertEvent(
                    at=now, user_id=user_id, username=username, action="raised", note=finding.reason
                )
            )
            session.add(alert)
            summary.raised += 1
        else:
            summary.updated += 1
        alert.last_week = week
        alert.observed, alert.forecast, alert.threshold = (
            finding.observed,
            finding.forecast,
            finding.threshold,
        )
        alert.method, alert.reason, alert.updated_at = finding.method, finding.reason, now
    for alert in active.values():
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = alert.updated_at = now
        alert.events.append(
            MeventeAlertEvent(
                at=now,
                user_id=user_id,
                username=username,
                action="resolved",
                note="Condition levée au dernier calcul hebdomadaire (prévision revenue au-dessus du seuil ou plus d'offre).",
            )
        )
        summary.resolved += 1
    session.flush()


ACTION_LABELS = {
    "raised": "Déclenchée",
    "acknowledged": "Prise en compte",
    "resolved": "Levée",
}


def scoped_alert(session: Session, scope: ProvinceScope, raw_id) -> MeventeAlert:
    """The alert with this id in the scope, else MeventeNotFound (malformed id: MeventeInputError)."""
    alert_id = parse_id(raw_id)
    stmt = apply_scope(select(MeventeAlert).where(MeventeAlert.id == alert_id), MeventeAlert, scope)
    alert = session.scalar(stmt)
    if alert is None:
        raise MeventeNotFound("Alerte introuvable.")
    return alert


def acknowledge_alert(session: Session, scope: ProvinceScope, raw_id, user, note) -> MeventeAlert:
    """Record that ``user`` took the alert into account, with a note. Does not commit."""
    alert = scoped_alert(session, scope, raw_id)
    text = clean_note(note, required=True)
    if alert.status == AlertStatus.RESOLVED:
        raise MeventeInputError("Cette alerte est levée : elle ne peut plus être prise en compte.")
    now = utcnow()
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by_id = getattr(user, "id", None)
    alert.acknowledged_by = getattr(user, "username", None) or "système"
    alert.acknowledgement_note = text
    alert.events.append(
        MeventeAlertEvent(
            at=now,
            user_id=alert.acknowledged_by_id,
            username=alert.acknowledged_by,
            action="acknowledged",
            note=text,
        )
    )
    session.flush()
    return alert


def alert_records(
    session: Session,
    scope: ProvinceScope,
    *,
    statuses: Sequence[AlertStatus] | None = ACTIVE_STATUSES,
    map_version: str | None = None,
) -> list[dict]:
    """Alerts the scope may see, newest week first, as plain dicts (pages)."""
    a = MeventeAlert
    stmt = (
        select(
            a.id,
            a.kind,
            a.status,
            m.ValueChain.name.label("value_chain"),
            a.value_chain_id,
            m.Province.name.label("province"),
            a.province_id,
            a.map_version,
            a.first_week,
            a.last_week,
            a.observed,
            a.forecast,
            a.threshold,
            a.method,
            a.reason,
            a.acknowledged_by,
            a.acknowledged_at,
            a.acknowledgement_note,
        )
        .join(m.ValueChain, m.ValueChain.id == a.value_chain_id)
        .join(m.Province, m.Province.id == a.province_id)
        .order_by(a.last_week.desc(), m.ValueChain.name, m.Province.name, a.id)
    )
    if statuses:
        stmt = stmt.where(a.status.in_(list(statuses)))
    if map_version:
        stmt = stmt.where(a.map_version == map_version)
    records = []
    for row in session.execute(apply_scope(stmt, a, scope)).mappings():
        record = dict(row)
        record["kind_label"], record["status_label"] = row["kind"].label, row["status"].label
        record["kind"], record["status"] = row["kind"].value, row["status"].value
        records.append(record)
    return records


ALERT_COLUMNS = [
    "id",
    "kind",
    "kind_label",
    "status",
    "status_label",
    "value_chain",
    "value_chain_id",
    "province",
    "province_id",
    "map_version",
    "first_week",
    "last_week",
    "observed",
    "forecast",
    "threshold",
    "method",
    "reason",
    "acknowledged_by",
    "acknowledged_at",
    "acknowledgement_note",
]


def alerts_frame(
    session: Session,
    scope: ProvinceScope,
    *,
    statuses: Sequence[AlertStatus] | None = ACTIVE_STATUSES,
    map_version: str | None = None,
) -> pd.DataFrame:
    """Alerts the scope may see, newest week first, as a DataFrame (dashboard, home page)."""
    return pd.DataFrame(
        alert_records(session, scope, statuses=statuses, map_version=map_version),
        columns=ALERT_COLUMNS,
    )
