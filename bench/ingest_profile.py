"""What one API order costs in process: queries and milliseconds per order, no gunicorn.

``python -m bench --only ingest-profile`` posts ``ISOKO_BENCH_PROFILE_N`` orders (200 by
default, 1–5 lines, the bodies of bench.ingest) through the Flask test client on the
seeded PostgreSQL database, one storefront client, and counts every statement sent to
the database (an ``executemany`` counts once: it is one round trip with the psycopg
pipeline). The baseline is the same request sent again with the same key: the replay
pays the guard's fixed costs only (token, key lookup, audit, commit), so the difference
is what the write itself costs.

``ISOKO_BENCH_PROFILE_SQL=1`` also prints the statements of one order;
``ISOKO_BENCH_PROFILE_CPROFILE=1`` prints the heaviest functions (cumulative, then own time)
of the orders, ``ISOKO_BENCH_PROFILE_CPROFILE=replay`` those of the replays (the fixed cost).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from .common import ROOT, Dataset
from .ingest import ORDERS_PATH, _body, _catalogue, _clients
from .table import Row, heading, number, timing_row

ORDERS = int(os.environ.get("ISOKO_BENCH_PROFILE_N") or 200)
WARM_UP = 10


class QueryCounter:
    """Statements this thread sends to the database while active (executemany counts once);
    the dashboards' refresh, on its own timer thread, is left out."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.thread = threading.get_ident()
        self.count = 0
        self.statements: list[str] = []
        self.keep = False

    def __enter__(self) -> QueryCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if threading.get_ident() != self.thread:
            return
        self.count += 1
        if self.keep:
            self.statements.append(" ".join(statement.split())[:160])


def _timed(post: Callable[[], object], counter: QueryCounter) -> tuple[float, float, int]:
    """Wall ms, CPU ms of this thread, and statements of one call."""
    before = counter.count
    started, cpu = time.perf_counter(), time.thread_time()
    post()
    wall = (time.perf_counter() - started) * 1000
    return wall, (time.thread_time() - cpu) * 1000, counter.count - before


def _by_package(stats: pstats.Stats) -> str:
    """Own CPU time by package (sqlalchemy, psycopg, console, …): where a request's time goes."""
    own: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        path = Path(filename)
        if "site-packages" in path.parts:
            package = path.parts[path.parts.index("site-packages") + 1]
        elif path.is_relative_to(ROOT):
            package = path.relative_to(ROOT).parts[0]  # the project's own top-level folder
        else:
            package = "python" if filename.startswith(("/", "<frozen")) else filename
        own[package] = own.get(package, 0.0) + tottime
    total = sum(own.values()) or 1.0
    top = sorted(own.items(), key=lambda kv: -kv[1])[:15]
    return "   own CPU by package: " + ", ".join(f"{k} {v / total:.0%}" for k, v in top)


def measure(app, data: Dataset, repeat: int) -> list[Row]:
    """Queries and ms per created order, against a replay of the same request."""
    from console.extensions import db

    (token,) = _clients(app, 1, f"Profil {uuid.uuid4().hex[:6]} ")
    catalogue = _catalogue(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(17)
    sent: list[tuple[str, dict]] = []

    def create() -> None:
        key, body = str(uuid.uuid4()), _body(rng, catalogue)
        response = client.post(ORDERS_PATH, json=body, headers=headers | {"Idempotency-Key": key})
        if response.status_code != 201:
            raise RuntimeError(f"commande refusée : {response.status_code} {response.json}")
        sent.append((key, body))

    def replay(key: str, body: dict) -> None:
        response = client.post(ORDERS_PATH, json=body, headers=headers | {"Idempotency-Key": key})
        if response.status_code != 201 or response.headers.get("Idempotent-Replayed") != "true":
            raise RuntimeError(f"rejeu inattendu : {response.status_code}")

    with app.app_context():
        engine = db.engine
    for _ in range(WARM_UP):
        create()
    created_ms, created_cpu, created_q, replay_ms, replay_cpu, replay_q = [], [], [], [], [], []
    # CPU time of this thread: waiting on the database (or on a busy machine) is left out.
    profiler = (
        cProfile.Profile(time.thread_time)
        if os.environ.get("ISOKO_BENCH_PROFILE_CPROFILE")
        else None
    )
    with QueryCounter(engine) as counter:
        counter.keep = bool(os.environ.get("ISOKO_BENCH_PROFILE_SQL"))
        if counter.keep:
            create()
            print("\n".join(f"   SQL {s}" for s in counter.statements), flush=True)
            counter.keep = False
        # The orders' profile, or the replays' (the guard's fixed cost).
        profiled = os.environ.get("ISOKO_BENCH_PROFILE_CPROFILE") == "replay"
        if profiler and not profiled:
            profiler.enable()
        for _ in range(ORDERS):
            ms, cpu, queries = _timed(create, counter)
            created_ms.append(ms)
            created_cpu.append(cpu)
            created_q.append(queries)
        if profiler:
            profiler.disable()
        if profiler and profiled:
            profiler.enable()
        for key, body in sent[-ORDERS:]:
            ms, cpu, queries = _timed(lambda k=key, b=body: replay(k, b), counter)
            replay_ms.append(ms)
            replay_cpu.append(cpu)
            replay_q.append(queries)
        if profiler:
            profiler.disable()
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(
            int(os.environ.get("ISOKO_BENCH_PROFILE_TOP") or 40)
        )
        stats.sort_stats("tottime").print_stats(25)
        print(out.getvalue(), _by_package(stats), sep="\n", flush=True)
    queries, replays = sum(created_q) / ORDERS, sum(replay_q) / ORDERS
    return [
        heading(
            f"One API order in process: {ORDERS} orders of 1–5 lines through the Flask test "
            "client, PostgreSQL",
            "baseline: the same request replayed with its key (the guard's fixed cost)",
        ),
        Row(
            "queries per order",
            number(queries, 1),
            number(replays, 1),
            queries / max(replays, 1e-9),
            f"min {min(created_q)}, max {max(created_q)} per order; an executemany counts as one",
        ),
        timing_row(
            "time per order (p50 / p95)",
            created_ms,
            replay_ms,
            f"{number(ORDERS / (sum(created_ms) / 1000), 1)} orders/s in one thread",
        ),
        timing_row(
            "Python CPU time per order (p50 / p95)",
            created_cpu,
            replay_cpu,
            "this thread's CPU only (the database's own work is not in it): "
            "less sensitive than wall time to a shared machine",
        ),
    ]
