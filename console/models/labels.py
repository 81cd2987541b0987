"""String enums whose members carry the French label shown to users."""

from __future__ import annotations

import enum


class LabelledEnum(str, enum.Enum):
    """A str enum: the value is stored, the label is shown."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self) -> str:
        return self.label

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs for select fields."""
        return [(m.value, m.label) for m in cls]
