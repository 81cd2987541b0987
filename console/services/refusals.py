"""A write refused for reasons the caller can fix: each with its field, value and French message.

Domain services (orders, payments, returns) collect every reason before raising one
:class:`Refused`, in the manner of a command's ``validate()``; the integration API and
the importers turn it into their own answers (a JSON body, an import report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The kind of refusal, which the API maps to an HTTP status.
INVALID = "invalid"  # 422: the values break a rule
FORBIDDEN = "forbidden"  # 403: the caller may not write this
NOT_FOUND = "not_found"  # 404: no such record for this caller
CONFLICT = "conflict"  # 409: the record's state forbids it now


@dataclass(frozen=True)
class Refusal:
    """One reason: the field (dotted path, e.g. ``lines.0.quantity``), the value received, why."""

    field: str
    value: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of one error: field, value, message."""
        value = self.value
        if value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
            value = str(value)
        return {"field": self.field, "value": value, "message": self.message}


class Refused(Exception):  # noqa: N818 - reads as the outcome
    """Raised with every reason a write cannot be made; nothing was written."""

    def __init__(self, refusals: list[Refusal], kind: str = INVALID) -> None:
        super().__init__("; ".join(r.message for r in refusals))
        self.refusals = refusals
        self.kind = kind


def refuse(field: str, value: Any, message: str, kind: str = INVALID) -> Refused:
    """A refusal with a single reason."""
    return Refused([Refusal(field, value, message)], kind)
