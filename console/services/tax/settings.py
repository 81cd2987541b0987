"""Read the dated tax settings (console.models.tax_settings) in force on a day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models.tax_settings import TaxSetting
from console.reference import tax_settings as ref


@dataclass(frozen=True)
class TaxSettings:
    """The thresholds the leakage flags use, as in force on one day."""

    vat_threshold: int  # francs of turnover over 12 rolling months
    drop_recent_months: int
    drop_history_months: int
    drop_ratio: Decimal
    drop_min_monthly_average: int  # francs
    drop_min_history_months: int
    drop_min_monthly_lines: int
    unpaid_grace_days: int
    remittance_tolerance: int  # francs


def settings_on(session: Session, on: dt.date) -> TaxSettings:
    """The latest row of each setting with ``valid_from <= on``; the reference default if none."""
    values: dict[str, Decimal] = {key: value for key, value, _ in ref.TAX_SETTINGS}
    rows = session.execute(
        select(TaxSetting.key, TaxSetting.value)
        .where(TaxSetting.valid_from <= on)
        .order_by(TaxSetting.valid_from)
    )
    for key, value in rows:
        values[key] = Decimal(value)  # later rows replace earlier ones
    return TaxSettings(
        vat_threshold=int(values[ref.VAT_THRESHOLD]),
        drop_recent_months=max(1, int(values[ref.DROP_RECENT_MONTHS])),
        drop_history_months=max(1, int(values[ref.DROP_HISTORY_MONTHS])),
        drop_ratio=values[ref.DROP_RATIO],
        drop_min_monthly_average=int(values[ref.DROP_MIN_MONTHLY_AVERAGE]),
        drop_min_history_months=int(values[ref.DROP_MIN_HISTORY_MONTHS]),
        drop_min_monthly_lines=int(values[ref.DROP_MIN_MONTHLY_LINES]),
        unpaid_grace_days=int(values[ref.UNPAID_GRACE_DAYS]),
        remittance_tolerance=int(values[ref.REMITTANCE_TOLERANCE]),
    )
