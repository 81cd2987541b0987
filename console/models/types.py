"""Column types shared by every domain: money, rates, quantities and UTC time."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Enum, Numeric, TypeDecorator

# Whole Burundi francs: BIF has no minor unit (ISO 4217), so money is an integer.
Money = BigInteger
# Tax rates are exact decimals such as 0.1800.
Rate = Numeric(7, 4, asdecimal=True)
# Quantities (kg, litres, pieces) may be fractional but are never floats.
Quantity = Numeric(14, 3, asdecimal=True)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC and always hands back an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime refuses a naive datetime; pass an aware one")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def enum_column(enum_cls: type[enum.Enum]) -> Enum:
    """A portable string enum column storing the member values."""
    return Enum(
        enum_cls,
        native_enum=False,
        validate_strings=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        name=enum_cls.__name__.lower(),
    )


__all__ = ["Decimal", "Money", "Quantity", "Rate", "UTCDateTime", "enum_column", "utcnow"]
