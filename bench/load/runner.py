"""One load test: dataset, services, locust and the fault drill, then the figures.

Everything started here is stopped here, in a ``finally``, on Ctrl-C and on SIGTERM
too; every wait has a bound.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.common import ROOT, build_dataset, drop_database

from . import processes as p
from .client import warm_up
from .cpu import CpuMeter
from .drill import Drill, DrillOutcome
from .plan import DRILL_ACCOUNT, PROBE_ACCOUNT, write_plan
from .stats import LoadStats, load_samples, samples_between
from .supervision import WorkerSupervisor, wait_for_reports

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


@dataclass
class Settings:
    """The command line, parsed."""

    order_lines: int
    users: int
    duration: int
    workers: int
    spawn_rate: float
    database_url: str | None
    drill: bool
    keep: bool
    drain_s: int
    skip_orders: bool = False


@dataclass
class RunResult:
    """What the run measured and decided."""

    settings: Settings
    database_url: str
    counts: dict[str, int]
    seed_timings: dict[str, float]
    stats: LoadStats
    drill: DrillOutcome | None
    outage_load: dict[str, int] | None
    reports: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)
    cpu: str = ""
    cpu_busy: float = 0.0


def _raise_interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _table_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = {
            t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))
            for t in ("order_line", "sale_order", "cooperative", "device")
        }
    engine.dispose()
    return counts


def _run_locust(
    settings: Settings, base_url: str, workdir: Path, env: dict, meter: CpuMeter
) -> None:
    """Locust headless, bounded: its own -t, then a hard timeout."""
    command = [
        str(p.VENV_BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(settings.users),
        "-r",
        str(settings.spawn_rate),
        "-t",
        f"{settings.duration}s",
        "--host",
        base_url,
        "--only-summary",
        "--stop-timeout",
        "5",
        "--loglevel",
        "WARNING",
    ]
    with open(workdir / "locust.log", "ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        meter.track("locust", lambda: process.pid)
        try:
            process.wait(timeout=settings.duration + 90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise RuntimeError("locust ne s'est pas arrêté à temps") from None
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)


def _last_archive_id(url: str) -> int:
    """The newest report_archive id: rows after it belong to this run."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        last = conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM report_archive"))
    engine.dispose()
    return last


def _settle_reports(url: str, after_id: int, deadline: float) -> dict[str, int]:
    """Wait (bounded) until the simulated users' reports have ended; count them by status."""
    engine = sa.create_engine(url)
    try:
        wait_for_reports(engine, after_id, deadline)
        with engine.connect() as conn:
            return dict(
                conn.execute(
                    sa.text(
                        "SELECT status, count(*) FROM report_archive WHERE id > :a AND requested_by LIKE "
                        "'load.%' AND requested_by NOT IN (:drill, :probe) GROUP BY status"
                    ),
                    {"a": after_id, "drill": DRILL_ACCOUNT, "probe": PROBE_ACCOUNT},
                ).all()
            )
    finally:
        engine.dispose()


def _judge(result: RunResult) -> None:
    stats = result.stats
    if stats.requests == 0:
        result.problems.append("aucune requête enregistrée (voir locust.log)")
    if stats.error_count:
        result.problems.append(f"{stats.error_count} erreurs côté utilisateurs simulés")
    if stats.slow_endpoints:
        result.problems.append(
            f"p95 ≥ 1 000 ms pour {len(stats.slow_endpoints)} pages ou rappels : "
            + ", ".join(f"{e.name} ({e.p95:.0f} ms)" for e in stats.slow_endpoints)
        )
    asked = sum(
        len(e.times) + e.errors
        for name, e in stats.endpoints.items()
        if name.startswith(("[rapport] demande", "[rapport] génération"))
    )
    rows = sum(result.reports.values())
    if rows != asked:
        result.problems.append(f"rapports : {asked} demandés par les utilisateurs, {rows} archivés")
    unfinished = rows - result.reports.get("done", 0)
    if unfinished:
        result.problems.append(
            f"rapports des utilisateurs non terminés : {unfinished} ({result.reports})"
        )
    if result.drill is not None and result.drill.problems:
        result.problems.append(
            f"exercice de panne : {len(result.drill.problems)} problèmes "
            "(détail dans la section de l'exercice)"
        )


@dataclass
class Stack:
    """The running services and where they answer."""

    redis: p.Service
    web: p.Service
    worker: p.Service
    redis_port: int
    base_url: str


def _dataset(settings: Settings) -> tuple[str, dict[str, float], bool]:
    """The database to load: the one given, or a new one built by the isoko commands."""
    if settings.database_url:
        return settings.database_url, {}, False
    print(
        f"   construction du jeu de données ({settings.order_lines:,} lignes)…".replace(",", " "),
        flush=True,
    )
    dataset = build_dataset(settings.order_lines, "load")
    return dataset.url, dataset.timings, True


def _start(settings: Settings, url: str, workdir: Path, services: list[p.Service]) -> Stack:
    """Our Redis, gunicorn and the RQ worker, ready and warmed up (each appended to
    ``services`` as soon as it starts, so that the caller stops it whatever happens)."""
    redis_port, web_port = p.free_port(), p.free_port()
    redis = p.redis_service(workdir, redis_port)
    services.append(redis)
    redis.start()
    p.wait_for_redis(redis_port)
    env = p.app_environment(url, f"redis://127.0.0.1:{redis_port}/0", workdir)
    web = p.gunicorn_service(env, workdir, web_port, settings.workers)
    worker = p.worker_service(env, workdir)
    services += [web, worker]
    web.start()
    worker.start()
    base_url = f"http://127.0.0.1:{web_port}"
    health = p.wait_for_health(base_url, web)
    if failed := warm_up(base_url, PROBE_ACCOUNT):
        print(f"   échauffement : {failed} pages sans réponse 200 (non mesuré)", flush=True)
    print(
        f"   gunicorn ({settings.workers} workers) sur {base_url}, Redis sur {redis_port}, "
        f"travailleur RQ démarré ; /health : {health['checks']}",
        flush=True,
    )
    return Stack(redis, web, worker, redis_port, base_url)


def _start_drill(
    settings: Settings,
    stack: Stack,
    url: str,
    plan: dict,
    first_id: int,
    supervisor: WorkerSupervisor,
) -> threading.Thread:
    """The fault drill in a thread, starting once every simulated user is signed in."""
    drill = Drill(
        stack.base_url,
        url,
        plan,
        stack.redis,
        stack.redis_port,
        supervisor,
        wait_s=max(60.0, float(settings.duration)),
    )  # a saturated queue is slow
    drill.first_id = first_id
    delay = min(15.0, settings.duration / 4) + settings.users / settings.spawn_rate
    deadline = time.monotonic() + delay + settings.duration + settings.drain_s

    def later() -> None:
        time.sleep(delay)
        drill.run(deadline)

    thread = threading.Thread(target=later, name="drill", daemon=True)
    thread.start()
    return thread


def _load(settings: Settings, stack: Stack, workdir: Path) -> CpuMeter:
    """Locust for the run's duration, with the CPU of every process measured meanwhile."""
    env = dict(
        os.environ,
        ISOKO_LOAD_PLAN=str(workdir / "plan.json"),
        ISOKO_LOAD_SAMPLES=str(workdir / "samples.json"),
        PYTHONPATH=str(ROOT),
        ISOKO_LOAD_SKIP_ORDERS="1" if settings.skip_orders else "0",
    )
    print(f"   locust : {settings.users} utilisateurs, {settings.duration} s…", flush=True)
    meter = CpuMeter()
    meter.track("gunicorn", lambda: stack.web.process.pid)
    meter.track("travailleur RQ", lambda: stack.worker.process.pid)
    meter.track("Redis", lambda: stack.redis.process.pid)
    meter.track("orchestrateur et exercice", os.getpid, children=False)
    meter.start()
    try:
        _run_locust(settings, stack.base_url, workdir, env, meter)
    finally:
        meter.stop()
    return meter


def run(settings: Settings) -> RunResult:
    """The whole load test; returns the figures, the drill outcome and the problems."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="isoko-load-"))
    services: list[p.Service] = []
    supervisor: WorkerSupervisor | None = None
    built_url = None
    print(f"== Test de charge ; dossier de travail {workdir}", flush=True)
    try:
        url, seed_timings, built = _dataset(settings)
        built_url = url if built else None
        counts = _table_counts(url)
        plan = write_plan(url, settings.users, workdir / "plan.json")
        print(f"   base {url.rsplit('/', 1)[1]} : {counts} ; comptes créés", flush=True)
        stack = _start(settings, url, workdir, services)
        outcome = DrillOutcome()
        supervisor = WorkerSupervisor(stack.worker, outcome)
        supervisor.start()
        first_id = _last_archive_id(url)
        drill = (
            _start_drill(settings, stack, url, plan, first_id, supervisor)
            if settings.drill
            else None
        )
        meter = _load(settings, stack, workdir)
        if drill is not None:
            drill.join(timeout=settings.drain_s + 120)
            if drill.is_alive():
                outcome.problems.append("l'exercice n'a pas fini dans le temps imparti")
        reports = _settle_reports(url, first_id, time.monotonic() + settings.drain_s)
        samples = workdir / "samples.json"
        result = RunResult(
            settings,
            url,
            counts,
            seed_timings,
            load_samples(samples),
            outcome if settings.drill else None,
            samples_between(samples, *outcome.outage) if outcome.outage else None,
            reports,
        )
        result.cpu, result.cpu_busy = meter.summary(), meter.busy_share
        _judge(result)
        result.tracebacks = [t for service in services for t in p.tracebacks(service.log)]
        return result
    finally:
        if supervisor is not None:
            supervisor.stopping.set()
            with supervisor.lock:  # let a restart in progress finish before stopping all
                pass
        for service in reversed(services):
            service.stop(signal.SIGTERM, grace=20)
        if built_url and not settings.keep:
            drop_database(built_url)
        elif built_url:
            print(f"   base conservée : {built_url}", flush=True)
        if settings.keep:
            print(f"   dossier de travail conservé : {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
