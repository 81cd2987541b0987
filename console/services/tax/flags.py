"""Leakage flags as data: what was found, on whom, when, the figures and the evidence.

Built by the detectors of console.services.tax.leakage, remittance_audit and
turnover_audit; read by the console pages, dashboards and reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from console.security.scoping import ProvinceScope
from console.services.periods import MONTH, Period, periods_between
from console.services.tax.reconciliation import seller_infos
from console.services.tax.settings import TaxSettings, settings_on

LINE_TAX = "line_tax"
UNPAID_DELIVERY = "unpaid_delivery"
REMITTANCE_MISSING = "remittance_missing"
REMITTANCE_LATE = "remittance_late"
REMITTANCE_SHORT = "remittance_short"
UNREGISTERED_ABOVE_THRESHOLD = "unregistered_above_threshold"
SALES_DROP = "sales_drop"
EBMS_LATE = "ebms_late"

KIND_LABELS = {
    LINE_TAX: "Taxe absente ou taux erroné",
    UNPAID_DELIVERY: "Commandes livrées non payées",
    REMITTANCE_MISSING: "Versement absent",
    REMITTANCE_LATE: "Versement en retard",
    REMITTANCE_SHORT: "Versement insuffisant",
    UNREGISTERED_ABOVE_THRESHOLD: "Non assujetti au-dessus du seuil de TVA",
    SALES_DROP: "Chute soudaine des ventes déclarées",
    EBMS_LATE: "Vente non transmise à l'OBR après 24 h",
}
KINDS = tuple(KIND_LABELS)
# Kinds raised once per seller, on the first period where the condition holds (the
# threshold: the first month its 12-month turnover reaches it). Judged from a later month
# on, such a seller would be flagged again on that month: a refresh from a month keeps the
# sellers already flagged on an earlier period (console.services.facts).
ONCE_PER_SELLER = frozenset({UNREGISTERED_ABOVE_THRESHOLD})

# How a figure is displayed.
FRANCS, RATE, COUNT, DATE, TEXT = "francs", "rate", "count", "date", "text"


@dataclass(frozen=True)
class Figure:
    """One number behind a flag, with its French label and how to display it."""

    key: str
    label: str
    value: int | Decimal | dt.date | str
    unit: str = FRANCS


@dataclass(frozen=True)
class Flag:
    """A possible leak: who, when, the figures, why (in French) and the records behind it."""

    kind: str
    seller_id: int
    seller_name: str
    province: str
    period: Period
    figures: tuple[Figure, ...]
    explanation: str
    amount_at_stake: int = 0  # francs of tax (or turnover) concerned, for sorting
    line_ids: tuple[int, ...] = ()
    order_ids: tuple[int, ...] = ()
    remittance_ids: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def figure(self, key: str):
        """The value of a figure by key (KeyError when absent)."""
        for figure in self.figures:
            if figure.key == key:
                return figure.value
        raise KeyError(key)


class FlagContext:
    """What every detector needs: the window, the scope and the sellers' names."""

    def __init__(
        self,
        session: Session,
        scope: ProvinceScope,
        start: dt.date,
        end: dt.date,
        as_of: dt.date,
        province_id: int | None,
    ) -> None:
        self.session = session
        self.scope = scope
        self.province_id = province_id
        self.months = periods_between(start, end, MONTH)
        self.as_of = as_of
        self.settings: TaxSettings = settings_on(session, min(self.months[-1].end, as_of))
        self._sellers: dict = {}

    def sellers(self, ids: Iterable[int]) -> dict:
        """Seller facts (name, provinces, VAT status…) by id, read once per context."""
        missing = set(ids) - self._sellers.keys()
        if missing:
            self._sellers.update(seller_infos(self.session, missing))
        return self._sellers

    def flag(self, kind: str, seller_id: int, period: Period, **kwargs) -> Flag:
        """A flag on a seller, with the seller's name and 2025 province filled in."""
        info = self.sellers([seller_id])[seller_id]
        return Flag(kind, seller_id, info.name, info.province_2025, period, **kwargs)
