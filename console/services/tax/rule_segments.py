"""Split a span of days into segments on which the applicable tax rules do not change.

Rules change on a few dates only, so a query can bucket sales by segment (a CASE over
a handful of UTC bounds) instead of by day, and the engine then selects the rule once
per (segment, category, seller VAT status): the answer is the same for every day of a
segment because no rule starts or ends inside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from console.services.periods import RANGE, Period
from console.services.tax.engine import RuleSpec, SaleLine, compute_line


def rule_segments(periods: Sequence[Period], rules: Iterable[RuleSpec]) -> list[Period]:
    """Day ranges inside the periods, cut at every period start and every rule boundary."""
    first, last = periods[0].start, periods[-1].end
    cuts = {period.start for period in periods}
    for rule in rules:
        cuts.add(rule.valid_from)
        if rule.valid_to is not None and rule.valid_to < dt.date.max:
            cuts.add(rule.valid_to + dt.timedelta(days=1))
    bounds = sorted(day for day in cuts if first <= day <= last)
    ends = [day - dt.timedelta(days=1) for day in bounds[1:]] + [last]
    return [Period(start, end, RANGE) for start, end in zip(bounds, ends, strict=True)]


def segment_of(segments: Sequence[Period], day: dt.date) -> int | None:
    """Index of the segment containing ``day`` (segments are sorted and contiguous)."""
    for index, segment in enumerate(segments):
        if segment.contains(day):
            return index
    return None


def rate_in_force(
    rules: Sequence[RuleSpec], category_id: int, day: dt.date, registered: bool
) -> Decimal:
    """The VAT rate the engine applies to such a sale that day (0 when untaxed or exempt)."""
    # A probe line: only the rate of the engine's answer is used, not its amounts.
    probe = SaleLine(registered, category_id, day, 1, Decimal(1), False)
    return compute_line(probe, rules).rate
