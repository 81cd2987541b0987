"""The results table: one row per figure, Isoko beside its same-run baseline, and the ratio.

The ratio is always Isoko ÷ baseline of the figures shown: above 1 for a time or a memory
means Isoko costs more than the baseline; below 1 for a rate means Isoko is slower.
"""

from __future__ import annotations

from dataclasses import dataclass

from .common import percentile

COLUMNS = ("figure", "Isoko", "baseline", "ratio", "note")


@dataclass(frozen=True)
class Row:
    """One line of the table (a heading when it only has a figure)."""

    figure: str
    isoko: str = ""
    baseline: str = ""
    ratio: float | None = None
    note: str = ""


def heading(title: str, note: str = "") -> Row:
    """A row naming the section of the rows under it (its note applies to them all)."""
    return Row(f"**{title}**", note=note)


def number(value: float, decimals: int = 0) -> str:
    """``1 234 567`` or ``12.3``: thousands spaced, as in the README."""
    return f"{value:,.{decimals}f}".replace(",", " ")


def ratio_text(ratio: float) -> str:
    """Three significant digits: ``0.0412×``, ``2.31×``, ``1.00×``, ``145×``."""
    return f"{number(ratio)}×" if ratio >= 99.5 else f"{ratio:#.3g}×"


def ms_pair(samples: list[float]) -> str:
    """``p50 / p95`` of samples in milliseconds, shown in seconds from a median of 1 s."""
    p50, p95 = percentile(samples, 50), percentile(samples, 95)
    if p50 >= 1000:
        return f"{number(p50 / 1000, 2)} / {number(p95 / 1000, 2)} s"
    return f"{number(p50, 1)} / {number(p95, 1)} ms"


def timing_row(figure: str, samples: list[float], base: list[float], note: str = "") -> Row:
    """p50 / p95 of both sides; the ratio of the medians."""
    ratio = percentile(samples, 50) / max(percentile(base, 50), 1e-9)
    return Row(figure, ms_pair(samples), ms_pair(base), ratio, note)


def seconds_row(figure: str, seconds: float, base: float, note: str = "") -> Row:
    """A time against a time."""
    return Row(figure, f"{number(seconds, 2)} s", f"{number(base, 2)} s", seconds / base, note)


def rate_row(
    figure: str, units: int, seconds: float, base: float, unit: str, note: str = ""
) -> Row:
    """``units`` processed in ``seconds`` against the same units in ``base`` seconds."""
    rate, base_rate = units / seconds, units / base
    return Row(
        figure, f"{number(rate)} {unit}", f"{number(base_rate)} {unit}", rate / base_rate, note
    )


def memory_row(figure: str, mb: float, base: float, note: str = "") -> Row:
    """A memory figure in MB against another."""
    return Row(figure, f"{number(mb)} MB", f"{number(base)} MB", mb / max(base, 1.0), note)


def markdown(rows: list[Row]) -> str:
    """The rows as one Markdown table."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "| --- | ---: | ---: | ---: | --- |"]
    for row in rows:
        ratio = "" if row.ratio is None else ratio_text(row.ratio)
        cells = (row.figure, row.isoko, row.baseline, ratio, row.note)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
