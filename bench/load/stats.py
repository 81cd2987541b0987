"""From the locustfile's raw samples: requests per second, p50/p95 per endpoint, errors."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import percentile

TARGET_P95_MS = 1000.0
# Pages and Dash callbacks must answer within the target; report generation and files
# are measured and shown, but a PDF or a workbook is not a page.
TARGET_KINDS = ("page", "rappel")


@dataclass
class Endpoint:
    """The samples of one named request."""

    name: str
    times: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def kind(self) -> str:
        return self.name[1:].split("]", 1)[0] if self.name.startswith("[") else "autre"

    @property
    def p50(self) -> float:
        return percentile(self.times, 50) if self.times else 0.0

    @property
    def p95(self) -> float:
        return percentile(self.times, 95) if self.times else 0.0


@dataclass
class LoadStats:
    """Everything the run measured, ready to print."""

    endpoints: dict[str, Endpoint]
    duration_s: float
    errors: Counter

    @property
    def requests(self) -> int:
        """Every request sent, answered well or not."""
        return sum(len(e.times) + e.errors for e in self.endpoints.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def kind_p95(self, kind: str) -> float:
        """p95 over every sample of one kind (page, rappel, rapport)."""
        samples = [t for e in self.endpoints.values() if e.kind == kind for t in e.times]
        return percentile(samples, 95) if samples else 0.0

    @property
    def slow_endpoints(self) -> list[Endpoint]:
        """Pages and callbacks whose p95 misses the target."""
        return [
            e for e in self.endpoints.values() if e.kind in TARGET_KINDS and e.p95 >= TARGET_P95_MS
        ]


def load_samples(path: Path) -> LoadStats:
    """Read the samples the locustfile wrote: (time, name, ms, error or None)."""
    samples = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    endpoints: dict[str, Endpoint] = {}
    errors: Counter = Counter()
    for _at, name, ms, error in samples:
        endpoint = endpoints.setdefault(name, Endpoint(name))
        if error is None:
            endpoint.times.append(ms)
        else:
            endpoint.errors += 1
            errors[(name, error)] += 1
    stamps = [s[0] for s in samples]
    duration = (max(stamps) - min(stamps)) if len(stamps) > 1 else 0.0
    return LoadStats(dict(sorted(endpoints.items())), duration, errors)


def samples_between(path: Path, start: float, end: float) -> dict[str, int]:
    """Requests and errors the simulated users got between two instants (the outage)."""
    samples = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    inside = [s for s in samples if start <= s[0] <= end]
    return {"requests": len(inside), "errors": sum(1 for s in inside if s[3] is not None)}


def _ms(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def endpoint_table(stats: LoadStats) -> str:
    """The per-endpoint Markdown table (count, errors, p50, p95 in ms)."""
    lines = ["| Requête | Nombre | Erreurs | p50 (ms) | p95 (ms) |", "|---|---:|---:|---:|---:|"]
    for e in stats.endpoints.values():
        count = len(e.times) + e.errors
        flag = " ⚠" if e in stats.slow_endpoints else ""
        lines.append(f"| {e.name} | {count} | {e.errors} | {_ms(e.p50)} | {_ms(e.p95)}{flag} |")
    return "\n".join(lines)


def error_lines(stats: LoadStats, limit: int = 20) -> list[str]:
    """The most frequent errors, one line each."""
    return [
        f"{count} × {name} : {error}" for (name, error), count in stats.errors.most_common(limit)
    ]


def summary_lines(stats: LoadStats) -> list[str]:
    """The headline: requests, rate, p95 per kind, errors."""
    return [
        f"Requêtes : {stats.requests} en {stats.duration_s:.0f} s, "
        f"soit {stats.rps:.1f} requêtes/s ; erreurs : {stats.error_count}",
        f"p95 pages : {_ms(stats.kind_p95('page'))} ms ; p95 rappels Dash : "
        f"{_ms(stats.kind_p95('rappel'))} ms ; p95 rapports : {_ms(stats.kind_p95('rapport'))} ms "
        f"(objectif pages et rappels < {_ms(TARGET_P95_MS)} ms)",
    ]
