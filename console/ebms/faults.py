"""Faults the eBMS sandbox injects, set at start and changed while it runs."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, fields

# What a fault does to one call, decided before the call is served.
PASS, ERROR_5XX, DROP, TIMEOUT_AFTER_WRITE = "pass", "5xx", "drop", "timeout_after_write"


@dataclass
class Faults:
    """Fault settings; rates are probabilities per call (0–1), times in milliseconds."""

    latency_ms: float = 0.0
    down: bool = False  # every call answers 503, as OBR in maintenance
    error_rate: float = 0.0  # 500 answers
    drop_rate: float = 0.0  # connection closed without an answer, nothing written
    timeout_after_write_rate: float = 0.0  # addInvoice registered, then no answer
    hang_ms: float = 30_000.0  # how long a "timeout after the write" keeps the socket
    refuse_rate: float = 0.0  # addInvoice refused as a business error
    token_lifetime_s: float = 3600.0
    seed: int | None = None
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self._rng.seed(self.seed)

    def public(self) -> dict:
        """The settings as JSON-ready values."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    def update(self, values: dict) -> list[str]:
        """Change settings from a JSON body; return the names refused (unknown or bad type)."""
        known = {f.name: f for f in fields(self) if not f.name.startswith("_")}
        refused = []
        with self._lock:
            for name, value in values.items():
                spec = known.get(name)
                if spec is None:
                    refused.append(name)
                    continue
                try:
                    if spec.type in ("bool", bool):
                        value = bool(value)
                    elif name == "seed":
                        value = None if value is None else int(value)
                        self._rng.seed(value)
                    else:
                        value = float(value)
                except (TypeError, ValueError):
                    refused.append(name)
                    continue
                setattr(self, name, value)
        return refused

    def draw(self, call: str) -> str:
        """The fault this call gets (one draw per kind, in a fixed order)."""
        with self._lock:
            if self._rng.random() < self.drop_rate:
                return DROP
            if self._rng.random() < self.error_rate:
                return ERROR_5XX
            if call == "addInvoice" and self._rng.random() < self.timeout_after_write_rate:
                return TIMEOUT_AFTER_WRITE
            return PASS

    def refuses(self) -> bool:
        """Whether this addInvoice is refused as a business error."""
        with self._lock:
            return self._rng.random() < self.refuse_rate
