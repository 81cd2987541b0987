"""How the mévente tables reach a province, registered in the one scoping layer.

Each rule is built from the scoping layer's own clauses on Province and Cooperative,
then added to ``console.security.scoping.SCOPE_RULES`` so that ``apply_scope``,
``scope_clause`` and the console's ProvinceScopeFilter treat these tables like every
other scoped table. Importing this module registers the rules (idempotent).
"""

from __future__ import annotations

from sqlalchemy import select

from console import models as m
from console.models.mevente import (
    MatchSuggestion,
    MatchSuggestionEvent,
    MeventeAlert,
    MeventeAlertEvent,
    MeventeForecast,
    WeeklyIndicator,
)
from console.security.scoping import SCOPE_RULES, ProvinceScope, scope_clause


def _provinces(scope: ProvinceScope):
    return select(m.Province.id).where(scope_clause(m.Province, scope))


def _cooperatives(scope: ProvinceScope):
    return select(m.Cooperative.id).where(scope_clause(m.Cooperative, scope))


def _alerts(scope: ProvinceScope):
    return select(MeventeAlert.id).where(MeventeAlert.province_id.in_(_provinces(scope)))


def _suggestions(scope: ProvinceScope):
    return select(MatchSuggestion.id).where(MatchSuggestion.seller_id.in_(_cooperatives(scope)))


# A suggestion belongs to the seller's province: the buyer may be anywhere.
MEVENTE_SCOPE_RULES = {
    WeeklyIndicator: lambda scope: WeeklyIndicator.province_id.in_(_provinces(scope)),
    MeventeForecast: lambda scope: MeventeForecast.province_id.in_(_provinces(scope)),
    MeventeAlert: lambda scope: MeventeAlert.province_id.in_(_provinces(scope)),
    MeventeAlertEvent: lambda scope: MeventeAlertEvent.alert_id.in_(_alerts(scope)),
    MatchSuggestion: lambda scope: MatchSuggestion.seller_id.in_(_cooperatives(scope)),
    MatchSuggestionEvent: lambda scope: MatchSuggestionEvent.suggestion_id.in_(_suggestions(scope)),
}

for _model, _rule in MEVENTE_SCOPE_RULES.items():
    SCOPE_RULES.setdefault(_model, _rule)
