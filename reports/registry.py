"""The report registry: each report is one data function, one template and one Excel writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from .excel import Section
from .parameters import ReportParameters, period_label

# progress(done, total): how far the data collection or the writing has come.
Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """A progress callback that ignores progress."""


@dataclass(frozen=True)
class ReportSpec:
    """What a report needs: who may ask for it, its parameters and its three functions."""

    key: str  # command-line name and URL segment (French: users type it)
    title: str
    resource: str  # the roles-policy resource (also the FAB view's name)
    parameters: tuple[str, ...]
    collect: Callable[[Session, ReportParameters], dict[str, Any]]
    template: str
    excel: Callable[[Session, dict[str, Any], ReportParameters], list[Section]] | None
    formats: tuple[str, ...] = ("pdf", "xlsx")
    description: str = ""
    # Which requests go to the background queue rather than being generated on request.
    is_large: Callable[[ReportParameters, str], bool] = field(default=lambda params, fmt: False)

    def subtitle(self, params: ReportParameters) -> str:
        """The title's second line: period and area, for file names and lists."""
        parts = []
        if params.period is not None:
            parts.append(period_label(params.period))
        if "province" in self.parameters:
            parts.append(params.province.name if params.province else "national")
        if params.cooperative_name:
            parts.append(params.cooperative_name)
        if params.assignment_id is not None:
            parts.append(f"remise n°{params.assignment_id}")
        if params.order_reference is not None:
            parts.append(f"commande {params.order_reference}")
        return " — ".join(parts)


def national(params: ReportParameters, fmt: str) -> bool:
    """Large when the report covers the whole country."""
    return "province" in params.raw and params.province is None


def _load() -> dict[str, ReportSpec]:
    from .definitions import (
        cooperative_sheet,
        devices,
        handover,
        invoice,
        pilot,
        sales,
        tax_statement,
    )

    specs = [
        sales.SPEC,
        tax_statement.SPEC,
        cooperative_sheet.SPEC,
        devices.SPEC,
        handover.SPEC,
        invoice.SPEC,
        pilot.SPEC,
    ]
    return {spec.key: spec for spec in specs}


_REPORTS: dict[str, ReportSpec] | None = None


def reports() -> dict[str, ReportSpec]:
    """Every report, by key, in menu order."""
    global _REPORTS
    if _REPORTS is None:
        _REPORTS = _load()
    return _REPORTS


def get_report(key: str) -> ReportSpec | None:
    """The report of that key, or None."""
    return reports().get(key)
