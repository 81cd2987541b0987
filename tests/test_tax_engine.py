"""Specification of the tax engine: hand-computed cases first, then properties.

Pure: no database, no Flask app, no fixtures from conftest.py.
Rates below come from DOMAIN.md ("Money and tax"); where a figure is invented for the
test (a rate change, a 20 % rate) the comment says so.
"""

from __future__ import annotations

import ast
import datetime as dt
import enum
import random
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.services.tax.engine import (
    NOTE_EXEMPT_PREFIX,
    NOTE_NO_RULE,
    NOTE_NOT_REGISTERED,
    Delta,
    LineTax,
    RuleConflictError,
    RuleSpec,
    SaleLine,
    compute_line,
    compute_withholding,
    find_overlaps,
    order_tax,
    select_rule,
    validate_rule,
    what_if,
)

D = Decimal
ROOT = Path(__file__).resolve().parents[1]

# Categories used by the examples.
CAT_GENERAL = 1
CAT_INPUTS = 3  # agricultural inputs: reduced rate
CAT_RAW_PRODUCE = 4  # unprocessed farm produce: exempt (some sources)
CAT_CHANGED = 5  # a category whose rate changes on 01/07/2024 (invented)

# VAT law of 17 February 2009 (DOMAIN.md); its entry-into-force date is unconfirmed,
# the law's date is used as the start of the rules here.
VAT_LAW = dt.date(2009, 2, 17)
SOLD = dt.date(2024, 3, 15)


def rule(
    code: str,
    rate: str,
    *,
    id: int | None = None,
    kind: str = "vat",
    base: str = "sale",
    category_id: int | None = None,
    seller_condition: str = "vat_registered",
    valid_from: dt.date = VAT_LAW,
    valid_to: dt.date | None = None,
    is_exemption: bool = False,
    legal_reference: str | None = None,
    name: str = "",
) -> RuleSpec:
    """A RuleSpec with the defaults of a VAT rule on sales, for VAT-registered sellers."""
    return RuleSpec(
        id=id,
        code=code,
        kind=kind,
        base=base,
        rate=D(rate),
        is_exemption=is_exemption,
        category_id=category_id,
        seller_condition=seller_condition,
        valid_from=valid_from,
        valid_to=valid_to,
        legal_reference=legal_reference,
        name=name,
    )


# VAT law of 17 February 2009, revised 2013: standard rate 18 % (DOMAIN.md).
VAT_STANDARD = rule(
    "TVA-18", "0.18", id=1, legal_reference="Loi TVA du 17 février 2009, révisée en 2013"
)
# Same law: reduced 10 % for basic needs such as agricultural inputs (DOMAIN.md); the
# 2013 revision is taken as the start, exact date unconfirmed.
VAT_INPUTS = rule(
    "TVA-10-INTRANTS", "0.10", id=2, category_id=CAT_INPUTS, valid_from=dt.date(2013, 1, 1)
)
# Some sources call unprocessed farm produce exempt (DOMAIN.md, list unconfirmed).
RAW_PRODUCE_REF = "Loi TVA 2009 : produits agricoles non transformés (liste à confirmer)"
VAT_RAW_EXEMPT = rule(
    "TVA-EXO-BRUTS",
    "0",
    id=3,
    category_id=CAT_RAW_PRODUCE,
    is_exemption=True,
    legal_reference=RAW_PRODUCE_REF,
)
# Invented for the test: category 5 moves from 18 % to 10 % on 01/07/2024.
VAT_CHANGED_OLD = rule(
    "TVA-C5-18", "0.18", id=4, category_id=CAT_CHANGED, valid_to=dt.date(2024, 6, 30)
)
VAT_CHANGED_NEW = rule(
    "TVA-C5-10", "0.10", id=5, category_id=CAT_CHANGED, valid_from=dt.date(2024, 7, 1)
)
# Cooperatives must withhold 15 % on dividends paid to members (DOMAIN.md).
WHT_DIVIDEND = rule(
    "RAS-DIV-15",
    "0.15",
    id=6,
    kind="withholding",
    base="dividend",
    seller_condition="any",
    valid_from=dt.date(2020, 1, 1),
)

RULES = (
    VAT_STANDARD,
    VAT_INPUTS,
    VAT_RAW_EXEMPT,
    VAT_CHANGED_OLD,
    VAT_CHANGED_NEW,
    WHT_DIVIDEND,
)

# Invented 20 % rate: at 18 % or 10 % an inclusive price never gives a net of exactly
# k + 0.5 francs (1.18 × (k + 0.5) is never whole), at 20 % it does (9 / 1.2 = 7.5).
VAT_TWENTY = rule("TVA-20-FICTIF", "0.20", id=20)
RULES_TWENTY = (VAT_TWENTY,)


def sale(
    unit_price: int,
    quantity: str = "1",
    *,
    category_id: int = CAT_GENERAL,
    sold_on: dt.date = SOLD,
    inclusive: bool = False,
    registered: bool = True,
) -> SaleLine:
    """A sale line; by default tax-exclusive, by a VAT-registered seller, on 15/03/2024."""
    return SaleLine(
        seller_vat_registered=registered,
        category_id=category_id,
        sold_on=sold_on,
        unit_price=unit_price,
        quantity=D(quantity),
        price_includes_tax=inclusive,
    )


def taxed(net: int, tax: int, gross: int, by: RuleSpec) -> LineTax:
    """The expected LineTax of a line taxed by a rule."""
    return LineTax(net, tax, gross, by.id, by.code, by.rate, None)


def untaxed(amount: int, note: str, by: RuleSpec | None = None) -> LineTax:
    """The expected LineTax of a line carrying no tax, with its reason."""
    return LineTax(amount, 0, amount, by.id if by else None, by.code if by else None, D(0), note)


# ---------------------------------------------------------------------------
# Hand-computed VAT on sale lines
# ---------------------------------------------------------------------------

HAND_CASES = [
    pytest.param(
        # 1000 × 3 = 3000 net; 3000 × 0.18 = 540; 3000 + 540 = 3540
        sale(1000, "3"),
        RULES,
        taxed(3000, 540, 3540, VAT_STANDARD),
        id="exclusive 18 %: 1000 x 3",
    ),
    pytest.param(
        # gross 1180; 1180 / 1.18 = 1000 net; 1180 - 1000 = 180
        sale(1180, inclusive=True),
        RULES,
        taxed(1000, 180, 1180, VAT_STANDARD),
        id="inclusive 18 %: 1180",
    ),
    pytest.param(
        # gross 100; 100 / 1.18 = 84.745... -> 85 net; 100 - 85 = 15
        sale(100, inclusive=True),
        RULES,
        taxed(85, 15, 100, VAT_STANDARD),
        id="inclusive 18 %: net rounded, tax is the remainder",
    ),
    pytest.param(
        # category 3: 10 % rule beats the 18 % rule; 2500 × 4 = 10000; × 0.10 = 1000
        sale(2500, "4", category_id=CAT_INPUTS),
        RULES,
        taxed(10000, 1000, 11000, VAT_INPUTS),
        id="reduced 10 %: category rule beats all-categories 18 %",
    ),
    pytest.param(
        # category 3, inclusive: 1100 / 1.10 = 1000 net; 1100 - 1000 = 100
        sale(1100, inclusive=True, category_id=CAT_INPUTS),
        RULES,
        taxed(1000, 100, 1100, VAT_INPUTS),
        id="reduced 10 % inclusive: 1100",
    ),
    pytest.param(
        # category 4 exempt: 1500 × 2 = 3000; tax 0, rate 0, rule stamped, reason given
        sale(1500, "2", category_id=CAT_RAW_PRODUCE),
        RULES,
        untaxed(3000, NOTE_EXEMPT_PREFIX + RAW_PRODUCE_REF, VAT_RAW_EXEMPT),
        id="exempt category: 0 with the legal reference",
    ),
    pytest.param(
        # seller below the VAT threshold: 1000 × 3 = 3000, no VAT, no rule
        sale(1000, "3", registered=False),
        RULES,
        untaxed(3000, NOTE_NOT_REGISTERED),
        id="unregistered seller: 0",
    ),
    pytest.param(
        # unregistered seller, inclusive price: 1180 is all net, no VAT
        sale(1180, inclusive=True, category_id=CAT_INPUTS, registered=False),
        RULES,
        untaxed(1180, NOTE_NOT_REGISTERED),
        id="unregistered seller, inclusive price: 0",
    ),
    pytest.param(
        # 30/06/2024 is the last day of the old 18 % rule: 1000 × 0.18 = 180
        sale(1000, category_id=CAT_CHANGED, sold_on=dt.date(2024, 6, 30)),
        RULES,
        taxed(1000, 180, 1180, VAT_CHANGED_OLD),
        id="boundary: last day of the old rule",
    ),
    pytest.param(
        # 01/07/2024 is the first day of the new 10 % rule: 1000 × 0.10 = 100
        sale(1000, category_id=CAT_CHANGED, sold_on=dt.date(2024, 7, 1)),
        RULES,
        taxed(1000, 100, 1100, VAT_CHANGED_NEW),
        id="boundary: first day of the new rule",
    ),
    pytest.param(
        # 16/02/2009, the day before the VAT law: no rule in force, 0
        sale(1000, sold_on=dt.date(2009, 2, 16)),
        RULES,
        untaxed(1000, NOTE_NO_RULE),
        id="no rule in force: 0",
    ),
    pytest.param(
        # 25 × 0.18 = 4.5 -> 5 (half-up); 25 + 5 = 30
        sale(25),
        RULES,
        taxed(25, 5, 30, VAT_STANDARD),
        id="exclusive half franc rounds up: 4.5 -> 5",
    ),
    pytest.param(
        # 24 × 0.18 = 4.32 -> 4; 24 + 4 = 28
        sale(24),
        RULES,
        taxed(24, 4, 28, VAT_STANDARD),
        id="exclusive below half rounds down: 4.32 -> 4",
    ),
    pytest.param(
        # category 3: 15 × 0.10 = 1.5 -> 2; 15 + 2 = 17
        sale(15, category_id=CAT_INPUTS),
        RULES,
        taxed(15, 2, 17, VAT_INPUTS),
        id="exclusive half franc at 10 %: 1.5 -> 2",
    ),
    pytest.param(
        # invented 20 %: gross 9; 9 / 1.2 = 7.5 -> 8 net; 9 - 8 = 1
        sale(9, inclusive=True),
        RULES_TWENTY,
        taxed(8, 1, 9, VAT_TWENTY),
        id="inclusive half franc rounds net up: 7.5 -> 8",
    ),
    pytest.param(
        # invented 20 %: gross 3; 3 / 1.2 = 2.5 -> 3 net; 3 - 3 = 0
        sale(3, inclusive=True),
        RULES_TWENTY,
        taxed(3, 0, 3, VAT_TWENTY),
        id="inclusive half franc on a tiny amount leaves no tax: 2.5 -> 3",
    ),
    pytest.param(
        # 2.5 kg × 1300 = 3250; 3250 × 0.18 = 585; 3250 + 585 = 3835
        sale(1300, "2.5"),
        RULES,
        taxed(3250, 585, 3835, VAT_STANDARD),
        id="fractional quantity: 2.5 kg",
    ),
    pytest.param(
        # 0.5 kg × 1001 = 500.5 -> 501 amount; 501 × 0.18 = 90.18 -> 90; 501 + 90 = 591
        sale(1001, "0.5"),
        RULES,
        taxed(501, 90, 591, VAT_STANDARD),
        id="fractional quantity: line amount 500.5 rounds to 501",
    ),
    pytest.param(
        # 1.5 kg × 1180 = 1770 gross; 1770 / 1.18 = 1500 net; 1770 - 1500 = 270
        sale(1180, "1.5", inclusive=True),
        RULES,
        taxed(1500, 270, 1770, VAT_STANDARD),
        id="fractional quantity, inclusive: 1.5 kg",
    ),
]


@pytest.mark.parametrize(("line", "rules", "expected"), HAND_CASES)
def test_vat_on_a_sale_line_matches_the_hand_computation(line, rules, expected):
    assert compute_line(line, rules) == expected


@pytest.mark.parametrize(
    ("amount", "on", "expected"),
    [
        pytest.param(
            # 1 000 000 × 0.15 = 150 000; member receives 1 000 000 - 150 000 = 850 000
            1_000_000,
            SOLD,
            LineTax(850_000, 150_000, 1_000_000, 6, "RAS-DIV-15", D("0.15"), None),
            id="15 % on a dividend",
        ),
        pytest.param(
            # 1010 × 0.15 = 151.5 -> 152; 1010 - 152 = 858
            1010,
            SOLD,
            LineTax(858, 152, 1010, 6, "RAS-DIV-15", D("0.15"), None),
            id="15 % half franc rounds up",
        ),
        pytest.param(
            # 1003 × 0.15 = 150.45 -> 150; 1003 - 150 = 853
            1003,
            SOLD,
            LineTax(853, 150, 1003, 6, "RAS-DIV-15", D("0.15"), None),
            id="15 % below half rounds down",
        ),
        pytest.param(
            # 31/12/2019, before the withholding rule: nothing withheld
            1000,
            dt.date(2019, 12, 31),
            LineTax(1000, 0, 1000, None, None, D(0), NOTE_NO_RULE),
            id="no withholding rule in force",
        ),
    ],
)
def test_withholding_on_a_dividend_matches_the_hand_computation(amount, on, expected):
    assert compute_withholding(amount, on, RULES) == expected


def test_withholding_ignores_vat_rules_and_vat_ignores_withholding_rules():
    # Only the dividend rule applies to dividends, only VAT rules to sales.
    assert compute_withholding(1000, SOLD, (VAT_STANDARD,)).note == NOTE_NO_RULE
    assert compute_line(sale(1000), (WHT_DIVIDEND,)).note == NOTE_NO_RULE


def test_withholding_exemption_withholds_nothing_and_says_why():
    exempt = rule(
        "RAS-EXO",
        "0",
        id=7,
        kind="withholding",
        base="dividend",
        seller_condition="any",
        is_exemption=True,
        name="Exonération test",
    )
    assert compute_withholding(5000, SOLD, (exempt,)) == LineTax(
        5000, 0, 5000, 7, "RAS-EXO", D(0), "Exonéré : Exonération test"
    )


# ---------------------------------------------------------------------------
# Orders and what-if
# ---------------------------------------------------------------------------


def test_order_totals_are_the_sums_of_the_rounded_lines_not_a_rounded_total():
    # Three lines of 25 at 18 %: each 4.5 -> 5, so 15 in total
    # (rounding the order instead would give 75 × 0.18 = 13.5 -> 14).
    order = order_tax([sale(25), sale(25), sale(25)], RULES)
    assert [line.tax for line in order.lines] == [5, 5, 5]
    assert (order.net, order.tax, order.gross) == (75, 15, 90)


def test_order_mixes_rates_exemptions_and_unregistered_lines():
    order = order_tax(
        [
            sale(1000, "3"),  # 3000 + 540 = 3540
            sale(2500, "4", category_id=CAT_INPUTS),  # 10000 + 1000 = 11000
            sale(1500, "2", category_id=CAT_RAW_PRODUCE),  # 3000 + 0 = 3000
        ],
        RULES,
    )
    # net 3000 + 10000 + 3000 = 16000; tax 540 + 1000 + 0 = 1540; gross 17540
    assert (order.net, order.tax, order.gross) == (16000, 1540, 17540)
    assert len(order.lines) == 3


def test_what_if_reports_current_and_draft_tax_per_key_without_touching_rules():
    # Draft: the reduced rate on inputs is withdrawn (inputs fall back to 18 %).
    draft = tuple(r for r in RULES if r is not VAT_INPUTS)
    keyed = [
        ((CAT_INPUTS, 1), sale(2500, "4", category_id=CAT_INPUTS)),  # 1000 -> 1800
        ((CAT_INPUTS, 1), sale(15, category_id=CAT_INPUTS)),  # 1.5 -> 2, 2.7 -> 3
        ((CAT_INPUTS, 2), sale(1000, category_id=CAT_INPUTS, registered=False)),  # 0 -> 0
        ((CAT_GENERAL, 1), sale(1000, "3")),  # 540 -> 540
    ]
    before = tuple(RULES)
    result = what_if(keyed, RULES, draft)
    assert RULES == before
    assert result == {
        # current 1000 + 2 = 1002; draft 1800 + 3 = 1803; difference 801
        (CAT_INPUTS, 1): Delta(current_tax=1002, draft_tax=1803, difference=801, lines=2),
        (CAT_INPUTS, 2): Delta(current_tax=0, draft_tax=0, difference=0, lines=1),
        (CAT_GENERAL, 1): Delta(current_tax=540, draft_tax=540, difference=0, lines=1),
    }


# ---------------------------------------------------------------------------
# Rule selection
# ---------------------------------------------------------------------------


def test_a_rule_covers_both_end_dates_and_an_open_end_covers_the_future():
    assert VAT_CHANGED_OLD.covers(VAT_LAW)
    assert VAT_CHANGED_OLD.covers(dt.date(2024, 6, 30))
    assert not VAT_CHANGED_OLD.covers(dt.date(2024, 7, 1))
    assert not VAT_CHANGED_OLD.covers(dt.date(2009, 2, 16))
    assert VAT_CHANGED_NEW.covers(dt.date(2999, 12, 31))


def test_two_rules_at_the_same_specificity_are_a_conflict():
    twin = rule("TVA-18-BIS", "0.18", id=99, valid_from=dt.date(2024, 1, 1))
    with pytest.raises(RuleConflictError) as error:
        select_rule(
            (VAT_STANDARD, twin),
            kind="vat",
            base="sale",
            category_id=CAT_GENERAL,
            on=SOLD,
            seller_vat_registered=True,
        )
    assert set(error.value.rules) == {VAT_STANDARD, twin}
    assert "TVA-18" in str(error.value) and "15/03/2024" in str(error.value)


def test_a_vat_registered_rule_beats_an_any_seller_rule_of_the_same_scope():
    any_seller = rule("ANY", "0.05", id=10, seller_condition="any")
    registered = rule("REG", "0.18", id=11)
    kwargs = dict(kind="vat", base="sale", category_id=CAT_GENERAL, on=SOLD)
    assert select_rule((any_seller, registered), seller_vat_registered=True, **kwargs) is registered
    assert (
        select_rule((any_seller, registered), seller_vat_registered=False, **kwargs) is any_seller
    )


def test_a_category_rule_beats_an_all_categories_rule_whatever_the_seller_condition():
    scoped_any = rule("CAT-ANY", "0.10", id=12, category_id=CAT_INPUTS, seller_condition="any")
    found = select_rule(
        (VAT_STANDARD, scoped_any),
        kind="vat",
        base="sale",
        category_id=CAT_INPUTS,
        on=SOLD,
        seller_vat_registered=True,
    )
    assert found is scoped_any


def test_a_rule_for_another_category_is_never_selected():
    found = select_rule(
        (VAT_INPUTS,),
        kind="vat",
        base="sale",
        category_id=CAT_GENERAL,
        on=SOLD,
        seller_vat_registered=True,
    )
    assert found is None


class _LabelledKind(enum.StrEnum):
    """Stands in for the model's LabelledEnum, whose str() is the French label."""

    VAT = "vat"

    def __str__(self) -> str:
        return "TVA"


def test_rule_spec_stores_enum_values_not_labels_and_builds_from_a_record():
    record = SimpleNamespace(
        id=1,
        code="TVA-18",
        name="TVA normale",
        kind=_LabelledKind.VAT,
        base="sale",
        rate=D("0.1800"),
        is_exemption=False,
        category_id=None,
        seller_condition="vat_registered",
        valid_from=VAT_LAW,
        valid_to=None,
        legal_reference=None,
    )
    spec = RuleSpec.from_record(record)
    assert spec.kind == "vat" and type(spec.kind) is str
    assert compute_line(sale(1000), (spec,)).tax == 180


def test_floats_are_refused_for_rates_and_quantities():
    with pytest.raises(TypeError):
        SaleLine(True, CAT_GENERAL, SOLD, 1000, 2.5, False)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RuleSpec(None, "X", "vat", "sale", 0.18, False, None, "any", SOLD, None)  # type: ignore[arg-type]


def test_unknown_kind_base_or_seller_condition_is_refused():
    with pytest.raises(ValueError):
        rule("X", "0.18", kind="income")


def test_the_engine_imports_only_the_standard_library_and_money():
    # Read the imports statically: the console package itself imports Flask.
    source = (ROOT / "console" / "services" / "tax" / "engine.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    outside = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names and name != "console.services.money"
    }
    assert outside == set()


# ---------------------------------------------------------------------------
# Overlaps and validation
# ---------------------------------------------------------------------------


def test_adjacent_periods_do_not_overlap_and_other_groups_never_do():
    # Old rule ends 30/06/2024, new starts 01/07/2024; the others differ in category.
    assert find_overlaps(RULES) == []


def test_an_open_ended_rule_overlaps_any_later_rule_of_the_same_group():
    later = rule("TVA-16", "0.16", id=30, valid_from=dt.date(2030, 1, 1))
    assert find_overlaps((*RULES, later)) == [(VAT_STANDARD, later)]


def test_validate_rule_accepts_a_rule_starting_the_day_after_the_last_one_ends():
    next_rule = rule(
        "TVA-C5-12",
        "0.12",
        category_id=CAT_CHANGED,
        valid_from=dt.date(2024, 7, 1),
        valid_to=None,
    )
    existing = (VAT_STANDARD, VAT_CHANGED_OLD)
    assert validate_rule(next_rule, existing) == []


def test_validate_rule_names_the_overlapping_rule_and_its_period_in_french():
    clash = rule("TVA-C5-12", "0.12", category_id=CAT_CHANGED, valid_from=dt.date(2024, 6, 1))
    assert validate_rule(clash, RULES) == [
        "La période chevauche la règle « TVA-C5-18 » (du 17/02/2009 au 30/06/2024).",
        "La période chevauche la règle « TVA-C5-10 » (du 01/07/2024, sans date de fin).",
    ]


def test_validate_rule_does_not_count_the_stored_version_of_the_rule_being_edited():
    edited = rule("TVA-18", "0.18", id=VAT_STANDARD.id, valid_to=dt.date(2030, 12, 31))
    assert validate_rule(edited, RULES) == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (rule("R", "1.5"), "Le taux doit être compris entre 0 et 1 (reçu : 1.5)."),
        (rule("R", "-0.01"), "Le taux doit être compris entre 0 et 1 (reçu : -0.01)."),
        (
            rule("R", "0.18", valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2023, 12, 31)),
            "La date de fin (31/12/2023) doit être postérieure "
            "ou égale à la date de début (01/01/2024).",
        ),
        (
            rule("R", "0.05", category_id=CAT_GENERAL, is_exemption=True),
            "Une exonération doit avoir un taux de 0.",
        ),
    ],
)
def test_validate_rule_refuses_bad_rates_dates_and_exemptions(bad, message):
    assert validate_rule(bad, ()) == [message]


def test_validate_rule_accepts_rates_of_exactly_0_and_1():
    assert validate_rule(rule("R0", "0"), ()) == []
    assert validate_rule(rule("R1", "1"), ()) == []


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

rates = st.decimals(min_value=0, max_value=1, places=4)  # Rate is Numeric(7, 4)
prices = st.integers(min_value=0, max_value=100_000_000)
quantities = st.decimals(min_value=0, max_value=10_000, places=3)  # Quantity: 3 places
days = st.dates(min_value=dt.date(2008, 1, 1), max_value=dt.date(2030, 12, 31))


@st.composite
def sale_lines(draw) -> SaleLine:
    """Any sale line: registered or not, inclusive or not, any of the example categories."""
    return SaleLine(
        seller_vat_registered=draw(st.booleans()),
        category_id=draw(st.sampled_from([CAT_GENERAL, CAT_INPUTS, CAT_RAW_PRODUCE, CAT_CHANGED])),
        sold_on=draw(days),
        unit_price=draw(prices),
        quantity=draw(quantities),
        price_includes_tax=draw(st.booleans()),
    )


@st.composite
def vat_rule_sets(draw) -> tuple[RuleSpec, ...]:
    """The example rules with arbitrary rates in place of 18 % and 10 %."""
    standard, reduced = draw(rates), draw(rates)
    return (
        rule("STD", str(standard), id=1),
        rule("RED", str(reduced), id=2, category_id=CAT_INPUTS, valid_from=dt.date(2013, 1, 1)),
        VAT_RAW_EXEMPT,
        VAT_CHANGED_OLD,
        VAT_CHANGED_NEW,
    )


@given(gross=prices, rate=rates)
def test_inclusive_to_exclusive_to_inclusive_round_trip_stays_within_one_franc(gross, rate):
    rules = (rule("R", str(rate), id=1),)
    net = compute_line(sale(gross, inclusive=True), rules).net
    back = compute_line(sale(net), rules).gross
    assert abs(back - gross) <= 1


@given(line=sale_lines(), rules=vat_rule_sets())
def test_net_plus_tax_equals_gross_on_every_line(line, rules):
    result = compute_line(line, rules)
    assert result.net + result.tax == result.gross
    assert (result.gross if line.price_includes_tax else result.net) == line.amount


@given(lines=st.lists(sale_lines(), max_size=8), rules=vat_rule_sets())
def test_order_tax_is_the_sum_of_the_line_taxes(lines, rules):
    order = order_tax(lines, rules)
    assert order.lines == tuple(compute_line(line, rules) for line in lines)
    assert order.tax == sum(line.tax for line in order.lines)
    assert order.net == sum(line.net for line in order.lines)
    assert order.gross == sum(line.gross for line in order.lines)


@given(line=sale_lines(), rules=vat_rule_sets())
def test_tax_is_never_negative_for_non_negative_price_and_quantity(line, rules):
    result = compute_line(line, rules)
    assert 0 <= result.tax <= max(result.gross, 0)
    assert result.net >= 0


@given(amount=prices, rate=rates)
def test_withholding_keeps_net_plus_tax_equal_to_the_dividend(amount, rate):
    rules = (rule("W", str(rate), id=1, kind="withholding", base="dividend"),)
    result = compute_withholding(amount, SOLD, rules)
    assert result.net + result.tax == result.gross == amount
    assert 0 <= result.tax <= amount


START = dt.date(2024, 1, 1)
GROUPS = [(None, "any"), (None, "vat_registered"), (7, "any"), (7, "vat_registered")]


@st.composite
def non_overlapping_rule_sets(draw) -> list[RuleSpec]:
    """Per group, disjoint periods cut from sorted distinct day offsets; plus noise."""
    specs: list[RuleSpec] = []
    for category_id, condition in GROUPS:
        cuts = sorted(draw(st.lists(st.integers(0, 60), unique=True, max_size=6)))
        for i in range(0, len(cuts), 2):
            start = START + dt.timedelta(days=cuts[i])
            end = START + dt.timedelta(days=cuts[i + 1]) if i + 1 < len(cuts) else None
            specs.append(
                rule(
                    f"G{len(specs)}",
                    "0.18",
                    id=len(specs),
                    category_id=category_id,
                    seller_condition=condition,
                    valid_from=start,
                    valid_to=end,
                )
            )
    # Rules of another kind or base, overlapping everything, must be ignored.
    specs.append(rule("N1", "0.15", id=900, kind="withholding", base="dividend"))
    specs.append(rule("N2", "0.04", id=901, kind="other", seller_condition="any"))
    return specs


def _expected_rule(rules, category_id, on, registered):
    """Brute force: walk the preference order and take the first group covering the day."""
    order = [(category_id, "vat_registered"), (category_id, "any"), (None, "vat_registered")]
    order.append((None, "any"))
    for group_category, condition in order:
        if condition == "vat_registered" and not registered:
            continue
        for spec in rules:
            if (
                spec.kind == "vat"
                and spec.category_id == group_category
                and spec.seller_condition == condition
                and spec.covers(on)
            ):
                return spec
    return None


@given(
    rules=non_overlapping_rule_sets(),
    offset=st.integers(-5, 70),
    category_id=st.sampled_from([7, 8]),
    registered=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_select_rule_returns_the_single_most_specific_rule_whatever_the_order(
    rules, offset, category_id, registered, seed
):
    assert find_overlaps(rules) == []
    on = START + dt.timedelta(days=offset)
    kwargs = dict(
        kind="vat", base="sale", category_id=category_id, on=on, seller_vat_registered=registered
    )
    found = select_rule(rules, **kwargs)
    assert found is _expected_rule(rules, category_id, on, registered)
    covered = any(
        s.kind == "vat"
        and s.category_id in (None, category_id)
        and s.seller_ok(registered)
        and s.covers(on)
        for s in rules
    )
    assert (found is not None) == covered
    shuffled = list(rules)
    random.Random(seed).shuffle(shuffled)
    assert select_rule(shuffled, **kwargs) is found


@st.composite
def small_rule_sets(draw) -> list[RuleSpec]:
    """A few rules in a few groups with valid, short, possibly open periods."""
    specs = []
    for i in range(draw(st.integers(0, 6))):
        category_id, condition = draw(st.sampled_from(GROUPS))
        start = draw(st.integers(0, 30))
        length = draw(st.one_of(st.none(), st.integers(0, 15)))
        specs.append(
            rule(
                f"R{i}",
                "0.18",
                id=i,
                category_id=category_id,
                seller_condition=condition,
                valid_from=START + dt.timedelta(days=start),
                valid_to=None if length is None else START + dt.timedelta(days=start + length),
            )
        )
    return specs


def _share_a_day(a: RuleSpec, b: RuleSpec) -> bool:
    """Brute force: is there a day, among all days that matter, covered by both?"""
    return any(
        a.covers(START + dt.timedelta(days=d)) and b.covers(START + dt.timedelta(days=d))
        for d in range(0, 50)
    )


@given(rules=small_rule_sets())
def test_find_overlaps_detects_every_overlapping_pair_and_validate_rule_refuses_them(rules):
    expected = {
        (a.id, b.id)
        for i, a in enumerate(rules)
        for b in rules[i + 1 :]
        if (a.category_id, a.seller_condition) == (b.category_id, b.seller_condition)
        and _share_a_day(a, b)
    }
    assert {(a.id, b.id) for a, b in find_overlaps(rules)} == expected
    for i, a in enumerate(rules):
        for b in rules[i + 1 :]:
            messages = validate_rule(b, [a])
            clash = any("chevauche" in m and f"« {a.code} »" in m for m in messages)
            assert clash == ((a.id, b.id) in expected)


@given(rules=small_rule_sets(), data=st.data())
def test_a_constructed_overlap_is_found_among_other_rules(rules, data):
    base = rules[0] if rules else rule("A", "0.18", id=100, valid_from=START)
    end = base.valid_to or START + dt.timedelta(days=60)
    day = data.draw(st.integers(0, (end - base.valid_from).days))
    inside = base.valid_from + dt.timedelta(days=day)
    # The intruder starts on or before a day of the base rule and ends on or after it.
    intruder = RuleSpec(
        id=500,
        code="INTRUS",
        kind=base.kind,
        base=base.base,
        rate=D("0.10"),
        is_exemption=False,
        category_id=base.category_id,
        seller_condition=base.seller_condition,
        valid_from=inside - dt.timedelta(days=data.draw(st.integers(0, 10))),
        valid_to=data.draw(st.sampled_from([None, inside, inside + dt.timedelta(days=3)])),
    )
    everything = [*rules, base, intruder] if not rules else [*rules, intruder]
    assert any({a.id, b.id} == {base.id, 500} for a, b in find_overlaps(everything))
    assert any("« INTRUS »" in m for m in validate_rule(base, [intruder]))
    assert any(f"« {base.code} »" in m for m in validate_rule(intruder, everything))
