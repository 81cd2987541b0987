"""Command objects for writes that carry business rules: validate everything, then run.

A command collects every French error in ``validate()`` so the user fixes them all at
once; ``run()`` writes nothing when there is one. Commands flush but never commit: the
caller (a view, an importer, the command line) owns the transaction.
"""

from __future__ import annotations

import datetime as dt


class CommandError(Exception):
    """A command refused: ``errors`` holds one French message per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = list(errors)


class Command:
    """validate() returns every error; run() applies the change only when there is none."""

    def validate(self) -> list[str]:
        raise NotImplementedError

    def apply(self):
        raise NotImplementedError

    def run(self):
        """Validate, then apply; raise CommandError with every message otherwise."""
        errors = self.validate()
        if errors:
            raise CommandError(errors)
        return self.apply()


def french_date(day: dt.date) -> str:
    """``26/06/2023``."""
    return day.strftime("%d/%m/%Y")


def parse_enum(enum_cls, value):
    """The member of ``enum_cls`` for a stored value or member; None when it is not one."""
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        return None
