"""Tax engine: pick the rule in force and compute VAT and withholding, in whole francs.

Pure domain code (stdlib and :class:`~decimal.Decimal` only): no Flask, no database.
Rates and exemptions are *data* with validity dates (:class:`RuleSpec`, mirroring the
``TaxRule`` model), because the legal lists are unconfirmed (DOMAIN.md, "Money and
tax"); this module holds no rate of its own.

Rounding policy (BIF has no minor unit, ISO 4217 code 108):

* Tax is computed **per line**, and every derived amount goes through
  :func:`console.services.money.round_franc`: **half-up to the whole franc**
  (0.5 franc rounds away from zero). Nothing else rounds.
* The line amount is ``round_franc(unit_price * quantity)``, the amount as entered.
* Tax-exclusive price: ``net = amount``, ``tax = round_franc(net * rate)``,
  ``gross = net + tax``.
* Tax-inclusive price: ``gross = amount``, ``net = round_franc(gross / (1 + rate))``,
  ``tax = gross - net``. The tax is the remainder, so ``net + tax == gross`` exactly.
* Withholding on a dividend: ``tax = round_franc(amount * rate)``,
  ``net = amount - tax`` (paid to the member), ``gross = amount``.
* Order totals are the exact sums of the rounded lines; a total is never re-rounded.

Rule selection: among rules of the wanted kind and base, in force on the date
(``valid_from``/``valid_to`` inclusive, ``valid_to=None`` open-ended) and whose seller
condition holds, the most specific rule wins. Specificity is, in this order:
a category-scoped rule beats an all-categories rule; then a ``vat_registered`` rule
beats an ``any`` rule. Two candidates left at the same specificity mean the data is
invalid (:class:`RuleConflictError`). These tiers are exactly the groups that
:func:`find_overlaps` checks, so a rule set with no overlaps never raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from console.services.money import round_franc

# Values of TaxKind, TaxBase and SellerCondition (console/models/tax.py).
KIND_VAT = "vat"
KIND_WITHHOLDING = "withholding"
KIND_OTHER = "other"
BASE_SALE = "sale"
BASE_DIVIDEND = "dividend"
SELLER_ANY = "any"
SELLER_VAT_REGISTERED = "vat_registered"

KINDS = frozenset({KIND_VAT, KIND_WITHHOLDING, KIND_OTHER})
BASES = frozenset({BASE_SALE, BASE_DIVIDEND})
SELLER_CONDITIONS = frozenset({SELLER_ANY, SELLER_VAT_REGISTERED})

# Reasons stamped on a line that carries no tax (shown to users, in French).
NOTE_NOT_REGISTERED = "Vendeur non assujetti à la TVA"
NOTE_NO_RULE = "Aucune règle en vigueur"
NOTE_EXEMPT_PREFIX = "Exonéré : "

_ZERO = Decimal(0)
_ONE = Decimal(1)


class RuleConflictError(ValueError):
    """Two rules of the same specificity apply to the same case: the rule data is invalid."""

    def __init__(self, message: str, rules: tuple[RuleSpec, ...]) -> None:
        super().__init__(message)
        self.rules = rules


def _plain(value: Any) -> str:
    """The stored string of an enum member (not its French label), or the string itself."""
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _decimal(value: Any, what: str) -> Decimal:
    """Coerce to Decimal exactly; floats are refused (they are not exact)."""
    if isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal, not a float: {value!r}")
    return value if isinstance(value, Decimal) else Decimal(value)


def format_date(day: dt.date) -> str:
    """French display of a date: ``dd/mm/YYYY``."""
    return day.strftime("%d/%m/%Y")


def _period(rule: RuleSpec) -> str:
    """French display of a rule's validity period."""
    if rule.valid_to is None:
        return f"du {format_date(rule.valid_from)}, sans date de fin"
    return f"du {format_date(rule.valid_from)} au {format_date(rule.valid_to)}"


@dataclass(frozen=True)
class RuleSpec:
    """A tax rule as plain data: the pure mirror of the ``TaxRule`` model."""

    id: int | None
    code: str
    kind: str  # 'vat' | 'withholding' | 'other'
    base: str  # 'sale' | 'dividend'
    rate: Decimal  # a fraction: Decimal("0.18") is 18 %
    is_exemption: bool
    category_id: int | None  # None = all categories
    seller_condition: str  # 'any' | 'vat_registered'
    valid_from: dt.date
    valid_to: dt.date | None  # inclusive; None = open-ended
    legal_reference: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        """Normalise enum members to their stored values and refuse unknown values."""
        for attr, allowed in (
            ("kind", KINDS),
            ("base", BASES),
            ("seller_condition", SELLER_CONDITIONS),
        ):
            value = _plain(getattr(self, attr))
            if value not in allowed:
                raise ValueError(f"{attr} inconnu : {value!r}")
            object.__setattr__(self, attr, value)
        object.__setattr__(self, "rate", _decimal(self.rate, "rate"))

    @classmethod
    def from_record(cls, record: Any) -> RuleSpec:
        """Build a spec from any object with ``TaxRule``'s attributes (e.g. a model row)."""
        return cls(
            id=record.id,
            code=record.code,
            kind=record.kind,
            base=record.base,
            rate=record.rate,
            is_exemption=bool(record.is_exemption),
            category_id=record.category_id,
            seller_condition=record.seller_condition,
            valid_from=record.valid_from,
            valid_to=record.valid_to,
            legal_reference=record.legal_reference,
            name=record.name or "",
        )

    def covers(self, on: dt.date) -> bool:
        """True when the rule is in force on that day (both ends inclusive)."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def seller_ok(self, seller_vat_registered: bool) -> bool:
        """True when the seller satisfies the rule's seller condition."""
        return self.seller_condition == SELLER_ANY or seller_vat_registered

    @property
    def label(self) -> str:
        """The name shown in messages: the rule's name, else its code."""
        return self.name or self.code


@dataclass(frozen=True)
class SaleLine:
    """One line of an order, as entered by the seller."""

    seller_vat_registered: bool
    category_id: int
    sold_on: dt.date
    unit_price: int  # whole francs
    quantity: Decimal  # kg, litres or pieces; may be fractional, never a float
    price_includes_tax: bool

    def __post_init__(self) -> None:
        """Refuse float prices and quantities (money is whole francs, quantities exact)."""
        if isinstance(self.unit_price, float):
            raise TypeError(f"unit_price must be whole francs (int): {self.unit_price!r}")
        object.__setattr__(self, "quantity", _decimal(self.quantity, "quantity"))

    @property
    def amount(self) -> int:
        """The line amount as entered: ``round_franc(unit_price * quantity)``."""
        return round_franc(Decimal(self.unit_price) * self.quantity)


@dataclass(frozen=True)
class LineTax:
    """The tax computed on one line, with the rule applied and, if no tax, why."""

    net: int
    tax: int
    gross: int
    rule_id: int | None
    rule_code: str | None
    rate: Decimal
    note: str | None


@dataclass(frozen=True)
class OrderTax:
    """The lines' taxes and their totals (exact sums of the rounded lines)."""

    lines: tuple[LineTax, ...]
    net: int
    tax: int
    gross: int


@dataclass(frozen=True)
class Delta:
    """What a draft rule set changes for one key: current and draft tax, in francs."""

    current_tax: int
    draft_tax: int
    difference: int  # draft_tax - current_tax
    lines: int = 0  # how many lines were aggregated under the key


def select_rule(
    rules: Iterable[RuleSpec],
    *,
    kind: str,
    base: str,
    category_id: int | None,
    on: dt.date,
    seller_vat_registered: bool,
) -> RuleSpec | None:
    """The single most specific rule in force, or None; RuleConflictError on a tie."""
    kind, base = _plain(kind), _plain(base)
    candidates = [
        rule
        for rule in rules
        if rule.kind == kind
        and rule.base == base
        and (rule.category_id is None or rule.category_id == category_id)
        and rule.covers(on)
        and rule.seller_ok(seller_vat_registered)
    ]
    if not candidates:
        return None
    best = max(_specificity(rule) for rule in candidates)
    top = sorted(
        (rule for rule in candidates if _specificity(rule) == best),
        key=lambda rule: (rule.valid_from, rule.code),
    )
    if len(top) > 1:
        codes = ", ".join(rule.code for rule in top)
        raise RuleConflictError(
            f"Règles en conflit ({kind}, {base}, catégorie {category_id}) "
            f"le {format_date(on)} : {codes}",
            tuple(top),
        )
    return top[0]


def _specificity(rule: RuleSpec) -> tuple[bool, bool]:
    """Sort key: category-scoped first, then seller condition 'vat_registered'."""
    return (rule.category_id is not None, rule.seller_condition == SELLER_VAT_REGISTERED)


def _untaxed(amount: int, note: str, rule: RuleSpec | None = None) -> LineTax:
    """A line that carries no tax, with the reason and, if any, the rule that says so."""
    return LineTax(
        net=amount,
        tax=0,
        gross=amount,
        rule_id=rule.id if rule else None,
        rule_code=rule.code if rule else None,
        rate=_ZERO,
        note=note,
    )


def _exemption_note(rule: RuleSpec) -> str:
    """``Exonéré : <legal reference or rule name>``."""
    return NOTE_EXEMPT_PREFIX + (rule.legal_reference or rule.label)


def compute_line(line: SaleLine, rules: Iterable[RuleSpec]) -> LineTax:
    """VAT on one sale line, rounded half-up to the franc (see the module docstring)."""
    amount = line.amount
    if not line.seller_vat_registered:
        # A seller below the VAT registration threshold charges no VAT (DOMAIN.md;
        # threshold 100 million BIF annual turnover, unconfirmed for today).
        return _untaxed(amount, NOTE_NOT_REGISTERED)
    rule = select_rule(
        rules,
        kind=KIND_VAT,
        base=BASE_SALE,
        category_id=line.category_id,
        on=line.sold_on,
        seller_vat_registered=True,
    )
    if rule is None:
        return _untaxed(amount, NOTE_NO_RULE)
    if rule.is_exemption:
        return _untaxed(amount, _exemption_note(rule), rule)
    if line.price_includes_tax:
        gross = amount
        net = round_franc(Decimal(gross) / (_ONE + rule.rate))
        tax = gross - net
    else:
        net = amount
        tax = round_franc(Decimal(net) * rule.rate)
        gross = net + tax
    return LineTax(
        net=net,
        tax=tax,
        gross=gross,
        rule_id=rule.id,
        rule_code=rule.code,
        rate=rule.rate,
        note=None,
    )


def compute_withholding(
    amount: int,
    on: dt.date,
    rules: Iterable[RuleSpec],
    *,
    kind: str = KIND_WITHHOLDING,
    payer_vat_registered: bool = True,
) -> LineTax:
    """Withholding on a dividend paid to members: tax = round_franc(amount * rate)."""
    # Cooperatives must withhold 15 % on dividends paid to members (DOMAIN.md); the
    # rate itself comes from the rule data. Dividend rules are never category-scoped.
    # payer_vat_registered=True lets rules of either seller condition apply, since the
    # obligation falls on every cooperative.
    rule = select_rule(
        rules,
        kind=kind,
        base=BASE_DIVIDEND,
        category_id=None,
        on=on,
        seller_vat_registered=payer_vat_registered,
    )
    if rule is None:
        return _untaxed(amount, NOTE_NO_RULE)
    if rule.is_exemption:
        return _untaxed(amount, _exemption_note(rule), rule)
    tax = round_franc(Decimal(amount) * rule.rate)
    return LineTax(
        net=amount - tax,
        tax=tax,
        gross=amount,
        rule_id=rule.id,
        rule_code=rule.code,
        rate=rule.rate,
        note=None,
    )


def order_tax(lines: Iterable[SaleLine], rules: Iterable[RuleSpec]) -> OrderTax:
    """VAT on every line of an order; the totals are the sums of the rounded lines."""
    rules = tuple(rules)
    taxes = tuple(compute_line(line, rules) for line in lines)
    return OrderTax(
        lines=taxes,
        net=sum(t.net for t in taxes),
        tax=sum(t.tax for t in taxes),
        gross=sum(t.gross for t in taxes),
    )


def _group(rule: RuleSpec) -> tuple[str, str, int | None, str]:
    """Rules in the same group compete for the same lines at the same specificity."""
    return (rule.kind, rule.base, rule.category_id, rule.seller_condition)


def _ranges_intersect(a: RuleSpec, b: RuleSpec) -> bool:
    """True when the inclusive periods share a day (an inverted period is empty)."""
    a_to = a.valid_to or dt.date.max
    b_to = b.valid_to or dt.date.max
    if a_to < a.valid_from or b_to < b.valid_from:
        return False
    return a.valid_from <= b_to and b.valid_from <= a_to


def find_overlaps(rules: Iterable[RuleSpec]) -> list[tuple[RuleSpec, RuleSpec]]:
    """Pairs of rules of the same group (kind, base, category, seller) in force on a same day."""
    rules = tuple(rules)
    overlaps: list[tuple[RuleSpec, RuleSpec]] = []
    for i, first in enumerate(rules):
        for second in rules[i + 1 :]:
            if _group(first) == _group(second) and _ranges_intersect(first, second):
                overlaps.append((first, second))
    return overlaps


def validate_rule(new_rule: RuleSpec, existing_rules: Iterable[RuleSpec]) -> list[str]:
    """French error messages for a new or edited rule; an empty list when it is valid."""
    errors: list[str] = []
    if not (_ZERO <= new_rule.rate <= _ONE):
        errors.append(f"Le taux doit être compris entre 0 et 1 (reçu : {new_rule.rate}).")
    if new_rule.is_exemption and new_rule.rate != _ZERO:
        errors.append("Une exonération doit avoir un taux de 0.")
    if new_rule.valid_to is not None and new_rule.valid_to < new_rule.valid_from:
        errors.append(
            f"La date de fin ({format_date(new_rule.valid_to)}) doit être postérieure "
            f"ou égale à la date de début ({format_date(new_rule.valid_from)})."
        )
    else:
        for other in existing_rules:
            # When editing, the stored version of the same rule is not a competitor.
            if new_rule.id is not None and other.id == new_rule.id:
                continue
            if _group(other) == _group(new_rule) and _ranges_intersect(new_rule, other):
                errors.append(f"La période chevauche la règle « {other.code} » ({_period(other)}).")
    return errors


def what_if(
    lines_with_keys: Iterable[tuple[Hashable, SaleLine]],
    current_rules: Iterable[RuleSpec],
    draft_rules: Iterable[RuleSpec],
) -> dict[Any, Delta]:
    """Tax per key under the current and the draft rules, and the difference. Pure."""
    current_rules = tuple(current_rules)
    draft_rules = tuple(draft_rules)
    totals: dict[Any, list[int]] = {}
    for key, line in lines_with_keys:
        entry = totals.setdefault(key, [0, 0, 0])
        entry[0] += compute_line(line, current_rules).tax
        entry[1] += compute_line(line, draft_rules).tax
        entry[2] += 1
    return {
        key: Delta(current_tax=cur, draft_tax=draft, difference=draft - cur, lines=count)
        for key, (cur, draft, count) in totals.items()
    }
