"""Where the CPU went during the load: our services, PostgreSQL, locust, everyone else.

On a 2-core machine shared with other people, a slow page may be the app's doing or
the neighbours': the run says which, from per-process CPU times sampled every second
(a process that dies between two samples keeps what it had used at the last one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psutil

SAMPLE_S = 1.0


BUSY_FIELDS = ("user", "nice", "system", "irq", "softirq", "steal")  # guest is inside user


def _busy_seconds() -> float:
    """CPU seconds spent not idle, all cores together, since boot."""
    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in BUSY_FIELDS)


def _tree(pid: int, children: bool) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)] if children else [root]
    except psutil.Error:  # gone, or a zombie between two samples
        return []


class CpuMeter(threading.Thread):
    """Samples the CPU time of named process trees (and of PostgreSQL) until stopped."""

    def __init__(self) -> None:
        super().__init__(name="cpu-meter", daemon=True)
        self.roots: dict[str, tuple[Callable[[], int | None], bool]] = {}
        self.seen: dict[tuple[str, int], tuple[float, float]] = {}  # (name, pid) → (first, last)
        self.stopping = threading.Event()
        self.started_busy = self.ended_busy = 0.0
        self.started_at = self.ended_at = 0.0
        self.error = ""

    def track(self, name: str, pid: Callable[[], int | None], children: bool = True) -> None:
        """Follow the process ``pid()`` and, with ``children``, its tree (``pid`` is read at
        every sample: services restart)."""
        self.roots[name] = (pid, children)

    def _processes(self):
        for name, (pid, children) in list(self.roots.items()):  # track() may add one meanwhile
            root = pid()
            for process in _tree(root, children) if root else []:
                yield name, process
        for process in psutil.process_iter(["name"]):
            if process.info["name"] == "postgres":  # the whole instance: shared with others
                yield "PostgreSQL (toute l'instance)", process

    def sample(self, first: bool = False) -> None:
        """Record each process's CPU time; new processes start from zero unless ``first``."""
        for name, process in self._processes():
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            used = times.user + times.system
            key = (name, process.pid)
            start = self.seen[key][0] if key in self.seen else (used if first else 0.0)
            self.seen[key] = (start, used)

    def run(self) -> None:
        import time

        self.started_at, self.started_busy = time.monotonic(), _busy_seconds()
        try:
            self.sample(first=True)
            while not self.stopping.wait(SAMPLE_S):
                self.sample()
            self.sample()
        except Exception as error:  # noqa: BLE001 - reported in the summary, never fatal
            self.error = f"{type(error).__name__}: {error}"
        finally:  # a sampling error must still leave a measured interval
            self.ended_at, self.ended_busy = time.monotonic(), _busy_seconds()

    def stop(self) -> None:
        """Stop sampling (and wait for the last sample)."""
        self.stopping.set()
        self.join(timeout=10)

    def shares(self) -> dict[str, float]:
        """CPU seconds per name, plus "autres processus" (the rest of the machine's busy time)."""
        used: dict[str, float] = {}
        for (name, _pid), (start, last) in self.seen.items():
            used[name] = used.get(name, 0.0) + max(0.0, last - start)
        used["autres processus"] = max(
            0.0, (self.ended_busy - self.started_busy) - sum(used.values())
        )
        return used

    @property
    def busy_share(self) -> float:
        """The share of the machine's CPU that was busy during the load (0–1)."""
        capacity = (self.ended_at - self.started_at) * (psutil.cpu_count() or 1)
        return (self.ended_busy - self.started_busy) / capacity if capacity > 0 else 0.0

    def summary(self) -> str:
        """One French line: capacity, busy share, seconds per consumer."""
        wall = self.ended_at - self.started_at
        capacity = wall * (psutil.cpu_count() or 1)
        busy = self.ended_busy - self.started_busy
        parts = ", ".join(
            f"{name} {seconds:.0f} s"
            for name, seconds in sorted(self.shares().items(), key=lambda item: -item[1])
        )
        return (
            f"CPU pendant la charge : {busy:.0f} s occupées sur {capacity:.0f} s disponibles "
            f"({psutil.cpu_count()} cœurs × {wall:.0f} s, {100 * busy / max(capacity, 1):.0f} %) — "
            f"{parts}." + (f" (mesure interrompue : {self.error})" if self.error else "")
        )
