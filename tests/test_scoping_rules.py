"""The scoping table is complete: every mapped model has a province rule or is declared national.

A model in neither set makes ``scope_clause`` raise, for every scope, so a new table that
nobody declared is refused instead of shown whole to a provincial coordinator.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import console.models  # noqa: F401  (registers every table on Model.metadata)
from console.extensions import Model
from console.security.scoping import (
    NATIONAL,
    NATIONAL_MODELS,
    SCOPE_RULES,
    ProvinceScope,
    UnscopedModelError,
    scope_clause,
)

GITEGA = ProvinceScope(False, frozenset({1}))


def _mapped_models():
    return {mapper.class_ for mapper in Model.registry.mappers}


def test_every_mapped_model_is_scoped_or_declared_national():
    undeclared = _mapped_models() - set(SCOPE_RULES) - NATIONAL_MODELS
    assert not undeclared, (
        f"no scoping rule and not declared national: {sorted(c.__name__ for c in undeclared)}"
    )


def test_no_model_is_both_scoped_and_national():
    assert not set(SCOPE_RULES) & NATIONAL_MODELS


def test_the_mevente_rules_are_declared_without_importing_the_mevente_services():
    from console.models.mevente import MatchSuggestion, MeventeAlert, WeeklyIndicator

    assert {MatchSuggestion, MeventeAlert, WeeklyIndicator} <= set(SCOPE_RULES)


@pytest.mark.parametrize(
    "model", sorted(SCOPE_RULES, key=lambda cls: cls.__name__), ids=lambda cls: cls.__name__
)
def test_every_rule_limits_a_coordinator_and_compiles(model):
    clause = scope_clause(model, GITEGA)
    assert clause is not None
    assert "province" in str(clause.compile()).lower() or model.__name__ == "Province"
    assert scope_clause(model, NATIONAL) is None


def test_a_national_model_is_not_limited():
    from console import models as m

    assert scope_clause(m.ValueChain, GITEGA) is None


class _Elsewhere(DeclarativeBase):
    pass


class _Undeclared(_Elsewhere):
    __tablename__ = "undeclared_table"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


@pytest.mark.parametrize(
    "scope", [GITEGA, NATIONAL, ProvinceScope(False)], ids=["coordinator", "national", "nothing"]
)
def test_scope_clause_refuses_a_model_in_neither_set(scope):
    with pytest.raises(UnscopedModelError, match="_Undeclared"):
        scope_clause(_Undeclared, scope)
