"""Tax rules: no overlap in a scope, history not rewritten (close, then replace), coverage."""

from __future__ import annotations

import datetime as dt
import html
import itertools
from decimal import Decimal

import pytest
import sqlalchemy as sa

from console import models as m
from console.services.commands import CommandError
from console.services.tax.rules import CloseTaxRule, coverage, rule_errors, usage_count

from .conftest import create_user, login
from .console_builders import make_cooperative, make_sale

_n = itertools.count(1)


def other_tax(session, valid_from=dt.date(2023, 1, 1), valid_to=None, category=None) -> m.TaxRule:
    """A rule of kind "other" (no reference rule competes with it), stored."""
    rule = m.TaxRule(
        code=f"AUTRE-{next(_n)}",
        name="Prélèvement test",
        kind=m.TaxKind.OTHER,
        base=m.TaxBase.SALE,
        rate=Decimal("0.04"),
        category=category,
        seller_condition=m.SellerCondition.ANY,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(rule)
    session.flush()
    return rule


def rule_by_code(session, code) -> m.TaxRule:
    return session.scalars(sa.select(m.TaxRule).where(m.TaxRule.code == code)).one()


@pytest.fixture(scope="module")
def ministry(app):
    create_user(app, "dir.fiscalite", "Ministère")
    return "dir.fiscalite"


def test_an_overlapping_rule_of_the_same_scope_is_refused_with_the_engines_message(db_session):
    existing = other_tax(db_session)
    draft = m.TaxRule(
        code="AUTRE-DRAFT",
        name="Nouveau",
        kind=m.TaxKind.OTHER,
        base=m.TaxBase.SALE,
        rate=Decimal("0.05"),
        seller_condition=m.SellerCondition.ANY,
        valid_from=dt.date(2024, 1, 1),
    )
    errors = rule_errors(db_session, draft)
    assert errors == [
        f"La période chevauche la règle « {existing.code} » (du 01/01/2023, sans date de fin)."
    ]


def test_rules_of_different_scopes_may_share_a_period(db_session):
    other_tax(db_session)
    category = db_session.scalars(sa.select(m.Category).order_by(m.Category.id)).first()
    draft = m.TaxRule(
        code="AUTRE-CAT",
        name="Catégorie",
        kind=m.TaxKind.OTHER,
        base=m.TaxBase.SALE,
        rate=Decimal("0.02"),
        category_id=category.id,
        seller_condition=m.SellerCondition.ANY,
        valid_from=dt.date(2024, 1, 1),
    )
    assert rule_errors(db_session, draft) == []


def test_closing_then_replacing_from_the_next_day_is_accepted(db_session):
    rule = other_tax(db_session)
    make_sale(
        db_session,
        make_cooperative(db_session, "BI-GI"),
        dt.datetime(2024, 3, 5, 9, tzinfo=dt.UTC),
        tax_rule=rule,
    )
    with pytest.raises(CommandError) as refused:
        CloseTaxRule(db_session, rule, dt.date(2024, 3, 1)).run()
    assert "Des ventes du 05/03/2024 ont été taxées selon cette règle" in refused.value.errors[0]
    CloseTaxRule(db_session, rule, dt.date(2024, 3, 31)).run()
    assert rule.valid_to == dt.date(2024, 3, 31)
    successor = m.TaxRule(
        code="AUTRE-SUITE",
        name="Suite",
        kind=m.TaxKind.OTHER,
        base=m.TaxBase.SALE,
        rate=Decimal("0.05"),
        seller_condition=m.SellerCondition.ANY,
        valid_from=dt.date(2024, 4, 1),
    )
    assert rule_errors(db_session, successor) == []
    successor.valid_from = dt.date(2024, 3, 31)
    assert "chevauche" in rule_errors(db_session, successor)[0]


def test_closing_cannot_extend_a_rule_over_its_successor(db_session):
    first = other_tax(db_session, dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    other_tax(db_session, dt.date(2024, 1, 1))
    with pytest.raises(CommandError) as refused:
        CloseTaxRule(db_session, first, dt.date(2024, 6, 30)).run()
    assert "chevauche" in refused.value.errors[0]


def test_the_all_categories_vat_rule_covers_the_categories_without_a_reduced_rate(db_session):
    standard = rule_by_code(db_session, "TVA-18")
    covered = coverage(db_session, standard)
    processed = set(db_session.scalars(sa.select(m.Category.name).where(m.Category.is_processed)))
    unprocessed = set(
        db_session.scalars(sa.select(m.Category.name).where(~m.Category.is_processed))
    )
    assert covered.all_categories
    assert {c.name for c in covered.categories} == processed
    assert {c.name for c, _code in covered.overridden} == unprocessed
    assert all(code.startswith("TVA-10-") for _c, code in covered.overridden)


def test_a_category_rule_out_of_the_period_does_not_take_categories_away(db_session):
    category = db_session.scalars(sa.select(m.Category).order_by(m.Category.id)).first()
    general = other_tax(db_session, dt.date(2025, 1, 1))
    other_tax(db_session, dt.date(2020, 1, 1), dt.date(2020, 12, 31), category=category)
    assert category in coverage(db_session, general).categories
    scoped = other_tax(db_session, dt.date(2025, 6, 1), category=category)
    assert category not in coverage(db_session, general).categories
    assert coverage(db_session, scoped).categories == (category,)


# -- through the console, as the directorate -------------------------------------------


def _rule_form(**values):
    form = {
        "code": "TVA-16",
        "name": "TVA à 16 %",
        "kind": "vat",
        "base": "sale",
        "rate": "0.16",
        "category": "",
        "seller_condition": "vat_registered",
        "valid_from": "2024-01-01",
        "valid_to": "",
        "remittance_deadline_days": "15",
        "legal_reference": "",
    }
    form.update(values)
    return form


def test_directorate_is_refused_an_overlapping_vat_rule_and_nothing_is_written(app, ministry):
    from console.extensions import db

    client = app.test_client()
    login(client, ministry)
    page = html.unescape(client.post("/taxruleview/add", data=_rule_form()).get_data(as_text=True))
    assert "La période chevauche la règle « TVA-18 »" in page
    with app.app_context():
        assert db.session.scalar(sa.select(m.TaxRule.id).where(m.TaxRule.code == "TVA-16")) is None


def test_a_rule_applied_to_sales_cannot_be_edited_or_deleted_only_closed(app, ministry):
    from console.extensions import db

    with app.app_context():
        rule = other_tax(db.session)
        make_sale(
            db.session,
            make_cooperative(db.session, "BI-GI"),
            dt.datetime(2023, 9, 1, 9, tzinfo=dt.UTC),
            tax_rule=rule,
        )
        db.session.commit()
        rule_id, code = rule.id, rule.code
    client = app.test_client()
    login(client, ministry)
    response = client.get(f"/taxruleview/edit/{rule_id}")
    assert response.status_code == 302
    with client.session_transaction() as session:
        messages = " ".join(message for _c, message in session.pop("_flashes", []))
    assert f"La règle « {code} » a déjà été appliquée à 1 ligne(s) de commande" in messages
    client.post(
        f"/taxruleview/edit/{rule_id}", data=_rule_form(code=code, kind="other", rate="0.5")
    )
    client.post(f"/taxruleview/delete/{rule_id}")
    with app.app_context():
        stored = db.session.get(m.TaxRule, rule_id)
        assert stored is not None and stored.rate == Decimal("0.04")
    client.post(f"/taxruleview/close/{rule_id}", data={"valid_to": "2023-12-31"})
    with app.app_context():
        assert db.session.get(m.TaxRule, rule_id).valid_to == dt.date(2023, 12, 31)
        assert usage_count(db.session, rule_id) == 1


def test_an_unused_rule_can_still_be_deleted(app, ministry):
    from console.extensions import db

    with app.app_context():
        rule_id = other_tax(db.session, dt.date(2030, 1, 1)).id
        db.session.commit()
    client = app.test_client()
    login(client, ministry)
    client.post(f"/taxruleview/delete/{rule_id}")
    with app.app_context():
        assert db.session.get(m.TaxRule, rule_id) is None


def test_rule_page_shows_the_categories_it_covers(app, ministry):
    client = app.test_client()
    login(client, ministry)
    from console.extensions import db

    with app.app_context():
        rule_id = rule_by_code(db.session, "TVA-18").id
    page = html.unescape(client.get(f"/taxruleview/show/{rule_id}").get_data(as_text=True))
    assert "Toutes les catégories" in page and "Régies par une règle plus précise" in page
    listing = html.unescape(client.get("/taxruleview/list/").get_data(as_text=True))
    assert "Toutes les catégories" in listing
