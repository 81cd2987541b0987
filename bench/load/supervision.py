"""What systemd and a patient user do around the worker: restart it when it dies, and
wait (bounded) for the reports in the archive to end."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from .drill import DrillOutcome
    from .processes import Service

RESTART_DELAY_S = 5.0  # deploy/isoko-worker@.service: Restart=always, RestartSec=5
# Nothing moved for this long: give up. RQ requeues a killed worker's job at its next
# maintenance, which an idle worker runs when its 405 s wait for a job ends: ~7 minutes.
STALL_S = 450.0


def wait_for_reports(engine, after_id: int, deadline: float, tick=None) -> None:
    """Until every report archived after ``after_id`` has ended, ``deadline`` (monotonic)
    has passed, or none has moved (status or progress) for STALL_S seconds."""
    query = sa.text("SELECT id, status, progress FROM report_archive WHERE id > :a ORDER BY id")
    last, moved = None, time.monotonic()
    while time.monotonic() < deadline:
        if tick is not None:
            tick()
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(query, {"a": after_id})]
        if all(status in ("done", "failed") for _id, status, _p in rows):
            return
        if rows != last:
            last, moved = rows, time.monotonic()
        elif time.monotonic() - moved > STALL_S:
            return
        time.sleep(5)


class WorkerSupervisor(threading.Thread):
    """systemd's Restart=always for the worker: restart it 5 s after it dies on its own."""

    def __init__(self, worker: Service, outcome: DrillOutcome) -> None:
        super().__init__(name="worker-supervisor", daemon=True)
        self.worker = worker
        self.outcome = outcome
        self.lock = threading.Lock()  # held while the drill stops and starts it on purpose
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(1.0):
            with self.lock:
                if self.worker.alive or self.stopping.is_set():
                    continue
                code = self.worker.process.returncode if self.worker.process else None
                self.outcome.say(
                    f"le travailleur RQ s'est arrêté seul (code {code}) : relancé dans "
                    f"{RESTART_DELAY_S:.0f} s, comme systemd"
                )
                self.outcome.unplanned_worker_restarts += 1
                time.sleep(RESTART_DELAY_S)
                self.worker.start()
