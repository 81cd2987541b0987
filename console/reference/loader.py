"""Load the reference data idempotently: rows are matched by code and created when absent.

An administrator's later edits (intervention-zone flags, tax rules closed or replaced)
are never overwritten: existing rows are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import Category, Commune, Province, TaxRule, Unit, ValueChain
from console.models.tax import SellerCondition, TaxBase, TaxKind

from .catalogue_data import CATEGORIES, TAX_RULES, UNITS, VALUE_CHAINS
from .geography_data import COMMUNES_2025, PROVINCES_2015, PROVINCES_2025


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, table: str) -> None:
        self.created[table] = self.created.get(table, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.created.values())


def _by_code(session: Session, model) -> dict:
    return {row.code: row for row in session.scalars(select(model))}


def load_reference(session: Session) -> LoadReport:
    """Create missing reference rows; return how many of each were created. Does not commit."""
    report = LoadReport()
    provinces = _by_code(session, Province)
    for code, name, chef_lieu in PROVINCES_2025:
        if code not in provinces:
            provinces[code] = Province(
                code=code, name=name, chef_lieu=chef_lieu, map_version="2025"
            )
            session.add(provinces[code])
            report.add("province")
    session.flush()
    for code, name, chef_lieu, successor in PROVINCES_2015:
        if code not in provinces:
            provinces[code] = Province(
                code=code,
                name=name,
                chef_lieu=chef_lieu,
                map_version="2015",
                successor_id=provinces[successor].id,
            )
            session.add(provinces[code])
            report.add("province")
    session.flush()

    communes = _by_code(session, Commune)
    for province_code, rows in COMMUNES_2025.items():
        for name, former in rows:
            code = f"{province_code}-{name.upper()}"
            if code not in communes:
                communes[code] = Commune(
                    code=code,
                    name=name,
                    province_id=provinces[province_code].id,
                    former_province_id=provinces[former].id,
                )
                session.add(communes[code])
                report.add("commune")

    chains = _by_code(session, ValueChain)
    for code, name in VALUE_CHAINS:
        if code not in chains:
            chains[code] = ValueChain(code=code, name=name)
            session.add(chains[code])
            report.add("value_chain")
    units = _by_code(session, Unit)
    for code, name in UNITS:
        if code not in units:
            units[code] = Unit(code=code, name=name)
            session.add(units[code])
            report.add("unit")
    session.flush()

    categories = _by_code(session, Category)
    for code, name, chain, _unit, processed, raw, _price in CATEGORIES:
        if code not in categories:
            categories[code] = Category(
                code=code,
                name=name,
                value_chain_id=chains[chain].id,
                is_processed=processed,
                is_raw_material=raw,
            )
            session.add(categories[code])
            report.add("category")
    session.flush()

    rules = _by_code(session, TaxRule)
    for code, name, kind, base, rate, exempt, category, condition, valid_from, law in TAX_RULES:
        if code not in rules:
            session.add(
                TaxRule(
                    code=code,
                    name=name,
                    kind=TaxKind(kind),
                    base=TaxBase(base),
                    rate=rate,
                    is_exemption=exempt,
                    category_id=categories[category].id if category else None,
                    seller_condition=SellerCondition(condition),
                    valid_from=valid_from,
                    legal_reference=law,
                )
            )
            report.add("tax_rule")
    session.flush()
    from .tax_settings import load_tax_settings

    load_tax_settings(session, report)
    from .mevente_loader import load_mevente_reference

    load_mevente_reference(session, report)
    return report
