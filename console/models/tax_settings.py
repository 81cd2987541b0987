"""Tax settings that are data, not code: thresholds an administrator can change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from console.extensions import Model


class TaxSetting(Model):
    """One value of a named setting, in force from ``valid_from`` until a later row replaces it.

    Figures such as the VAT registration threshold are unconfirmed (DOMAIN.md), so they
    live here as dated rows rather than as constants in code.
    """

    __tablename__ = "tax_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), index=True)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4, asdecimal=True))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("key", "valid_from", name="uq_tax_setting_key_from"),)

    def __repr__(self) -> str:
        return f"{self.key} = {self.value}"
