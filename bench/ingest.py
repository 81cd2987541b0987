"""Live ingest: 20 clients posting orders to the integration API through gunicorn, as deployed.

Against the seeded PostgreSQL database: gunicorn with deploy/gunicorn.conf.py and our
own Redis (bench.load.processes), 20 storefront clients, each in its own thread with a
keep-alive connection, posting orders of 1–5 lines for ``INGEST_SECONDS``; each resends
a random 5 % of its requests with the same Idempotency-Key and body (a retry after a
timeout). Measured: orders/s and p50/p95 of the calls; checked: exactly one order per key
that was answered 201, and the tax the database holds for them equals the sum of the
answers. Baseline: the bulk orders importer on as many lines (bench.orders_import).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa

from .common import Dataset, logged_in_client
from .load.processes import (
    app_environment,
    free_port,
    gunicorn_service,
    redis_service,
    wait_for_health,
    wait_for_redis,
)
from .orders_import import sellers, timed_import, write_orders
from .table import Row, heading, number, rate_row, timing_row

CLIENTS = 20
INGEST_SECONDS = float(os.environ.get("ISOKO_BENCH_INGEST_S") or 60)
RETRY_SHARE = 0.05
# The dashboards meanwhile: a ministry officer opening the Ministère's charts (one pass
# of every callback) every DASHBOARD_EVERY_S seconds. Callbacks fired back to back would
# measure a second load generator (a whole core of pandas) rather than what an officer
# waits for while the API writes.
DASHBOARD_EVERY_S = float(os.environ.get("ISOKO_BENCH_DASH_EVERY_S") or 5)


def _clients(app, n: int, prefix: str) -> list[str]:
    """``n`` storefront clients' tokens, named ``prefix`` and a number."""
    from console import models as m
    from console.extensions import db
    from console.services.api_clients import create_client

    with app.app_context():
        tokens = [
            create_client(db.session, name=f"{prefix}{i}", kind=m.ApiClientKind.STOREFRONT).token
            for i in range(n)
        ]
        db.session.commit()
    return tokens


def _catalogue(app) -> list[tuple[int, list[int]]]:
    """(seller id, product ids) of the active sellers."""
    from console.extensions import db

    with app.app_context():
        rows = db.session.execute(
            sa.text(
                "SELECT c.id, array_agg(p.id ORDER BY p.id) FROM cooperative c JOIN product p "
                "ON p.cooperative_id = c.id WHERE c.status = 'active' GROUP BY c.id ORDER BY c.id"
            )
        ).all()
    return [(seller, list(products)) for seller, products in rows]


def _body(rng: random.Random, catalogue) -> dict:
    seller, products = catalogue[rng.randrange(len(catalogue))]
    placed = time.strftime(
        "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - rng.randrange(3600))
    )
    return {
        "seller_id": seller,
        "placed_at": placed,
        "prices_include_tax": rng.random() < 0.5,
        "lines": [
            {
                "product_id": rng.choice(products),
                "quantity": rng.randrange(1, 50),
                "unit_price": rng.randrange(100, 60000),
            }
            for _ in range(rng.randrange(1, 6))
        ],
    }


class Tally:
    """What the clients saw: latencies, answers per key, statuses."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.answers: dict[str, dict] = {}
        self.statuses: dict[int, int] = {}
        self.lines = 0

    def add(self, key: str, status: int, seconds: float, body: dict | None) -> None:
        with self.lock:
            self.latencies.append(seconds * 1000)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 201 and body is not None:
                first = self.answers.setdefault(key, body)
                if first["id"] != body["id"]:
                    raise AssertionError(f"deux commandes pour la clé {key}")


class Connection:
    """One client's keep-alive connection, with http.client: the lightest client there is.
    The load generator shares the server's two cores, so every millisecond it spends is
    one the server does not get. A connection that fails is opened again at the next send."""

    def __init__(self, base_url: str, token: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.http: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, key: str) -> tuple[int, dict | None]:
        """(status, JSON answer or None); OSError or HTTPException when the call failed."""
        if self.http is None:
            self.http = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            self.http.request("POST", path, body, {**self.headers, "Idempotency-Key": key})
            response = self.http.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.http.close()
            self.http = None
            raise
        if response.will_close:
            self.http.close()
            self.http = None
        is_json = (response.getheader("Content-Type") or "").startswith("application/json")
        return response.status, json.loads(raw) if is_json else None


ORDERS_PATH = "/api/v1/integration/orders"


def _post(connection: Connection, key: str, body: bytes, tally: Tally) -> dict | None:
    """Send until an answer comes: a lost connection or a 5xx is retried with the same key."""
    for _attempt in range(10):
        started = time.perf_counter()
        try:
            status, answer = connection.post(ORDERS_PATH, body, key)
        except (OSError, http.client.HTTPException):
            tally.add(key, 0, time.perf_counter() - started, None)
            time.sleep(0.2)
            continue
        tally.add(key, status, time.perf_counter() - started, answer)
        if status < 500 and status != 409:
            return answer
        time.sleep(0.2)
    return None


def _client_loop(
    base_url: str, token: str, catalogue, seed: int, until: float, tally: Tally
) -> None:
    rng = random.Random(seed)
    connection = Connection(base_url, token)
    while time.monotonic() < until:
        key, order = str(uuid.uuid4()), _body(rng, catalogue)
        body = json.dumps(order).encode()
        if _post(connection, key, body, tally) is not None:
            with tally.lock:
                tally.lines += len(order["lines"])
        if rng.random() < RETRY_SHARE:  # the answer was lost: the client sends it again
            _post(connection, key, body, tally)


def _dashboard_posts(app) -> list:
    """The Ministère's chart callbacks (bench.dashboards: full request, cache off) over the
    last twelve months, the month the API is writing into included."""
    from console.services.periods import add_months, today_local

    from .dashboards import callback, cases

    month = today_local().replace(day=1)
    values = {"du": f"{add_months(month, -11):%Y-%m}", "au": f"{month:%Y-%m}", "carte": "2025"}
    client = logged_in_client(app, "bench.ministere", "Ministère")
    return [
        callback(client, key, {**values, **extra})[0]
        for _label, key, extra in cases()
        if "TOP_SELLER" not in extra.values()
    ]


def _timed_passes(posts: list, more, every: float = 0.0) -> list[float]:
    """Milliseconds of each callback: a pass over ``posts``, then another every ``every``
    seconds (at once if 0) while ``more()``."""
    latencies: list[float] = []
    while True:
        started_pass = time.monotonic()
        for post in posts:
            started = time.perf_counter()
            post()
            latencies.append((time.perf_counter() - started) * 1000)
        while more() and time.monotonic() < started_pass + every:
            time.sleep(0.05)
        if not posts or not more():
            return latencies


class DashboardWatcher:
    """The Ministère's chart callbacks in a process of its own (spawned): two quiet passes
    at once, then, from :meth:`go` to :meth:`finish`, a pass every DASHBOARD_EVERY_S s."""

    def __init__(self, url: str) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.ready, self.start, self.stop = context.Event(), context.Event(), context.Event()
        self.answers, theirs = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_watch,
            args=(url, self.ready, self.start, self.stop, theirs, os.getpid()),
            daemon=True,
        )
        self.process.start()
        if not self.ready.wait(600):
            self.process.kill()
            raise RuntimeError("les tableaux de bord ne sont pas prêts après 600 s")
        self.backends: set[int] = self.answers.recv()

    def go(self) -> None:
        self.start.set()

    def finish(self) -> dict:
        self.stop.set()
        seen = self.answers.recv() if self.answers.poll(600) else {"failures": ["pas de réponse"]}
        self.process.join(30)
        return seen


def _exit_with(parent: int) -> None:
    """End this process when ``parent`` is gone: a bench killed mid-run must not leave its
    dashboards' process polling the database (it held sessions open in a transaction)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _watch(url: str, ready, start, stop, answers, parent: int) -> None:
    """The watcher process: sends its database backends, then what it measured."""
    _exit_with(parent)
    from console import create_app
    from console.extensions import db

    from .common import bench_config

    app = create_app(bench_config(url))
    backends: set[int] = set()
    with app.app_context():
        sa.event.listen(
            db.engine,
            "connect",
            lambda connection, _record: backends.add(connection.info.backend_pid),
        )
    posts = _dashboard_posts(app)
    passes = iter(range(1))  # the quiet baseline: two passes before the ingest
    seen: dict = {"charts": len(posts), "failures": []}
    seen["quiet"] = _timed_passes(posts, lambda: next(passes, None) is not None)
    answers.send(backends)
    ready.set()
    start.wait()
    cpu = time.process_time()
    try:
        seen["busy"] = _timed_passes(posts, lambda: not stop.is_set(), DASHBOARD_EVERY_S)
    except Exception as exc:  # reported in the row, the ingest goes on
        seen["failures"].append(str(exc)[:200])
    seen["cpu_s"] = time.process_time() - cpu
    stop.wait()
    answers.send(seen)


def _run_clients(base_url: str, tokens: list[str], catalogue, kill=None) -> tuple[Tally, float]:
    """The clients' run; ``kill`` (the drill) is called half-way through."""
    tally = Tally()
    until = time.monotonic() + INGEST_SECONDS
    threads = [
        threading.Thread(target=_client_loop, args=(base_url, token, catalogue, i, until, tally))
        for i, token in enumerate(tokens)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    if kill is not None:
        time.sleep(INGEST_SECONDS / 2)
        kill()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - started


def _kill_a_worker(gunicorn) -> None:
    """SIGKILL one gunicorn worker mid-request (the master starts another)."""
    import signal

    workers = gunicorn.descendants()
    if workers:
        workers[0].send_signal(signal.SIGKILL)


def _cpu_seconds(gunicorn, url: str, watcher=None) -> tuple[float, float]:
    """CPU seconds so far of gunicorn's processes, and of the database's server processes
    (PostgreSQL backends of this database): CPU per order is the figure a shared machine
    disturbs least. A process ended meanwhile (a backend closed) takes its seconds away."""
    import psutil

    def used(processes) -> float:
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    database = url.rsplit("/", 1)[-1]
    backends = []
    # The dashboards' own backends are left out: their work is not the API's.
    theirs = watcher.backends if watcher is not None else set()
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            if process.pid in theirs:
                continue
            if process.info["name"] == "postgres" and database in " ".join(process.info["cmdline"]):
                backends.append(process)
        except (psutil.Error, TypeError):
            continue
    workers = gunicorn.descendants()
    if gunicorn.process is not None:
        workers.append(psutil.Process(gunicorn.process.pid))
    return used(workers), used(backends)


def _machine_use(before, after) -> tuple[float, float]:
    """Share of the machine's CPU time busy between two ``psutil.cpu_times()``, and the share
    the hypervisor gave to other machines (steal): what this run did not have."""
    spent = {field: getattr(after, field) - getattr(before, field) for field in after._fields}
    total = sum(spent.values()) or 1.0
    idle = spent.get("idle", 0.0) + spent.get("iowait", 0.0)
    return 1 - idle / total, spent.get("steal", 0.0) / total


def _stored(app, tokens_prefix: str) -> tuple[int, int, int]:
    """(orders, distinct keys, tax) the bench clients' orders hold in the database."""
    from console.extensions import db

    with app.app_context():
        return tuple(
            db.session.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM sale_order o JOIN api_client c ON c.id = o.api_client_id "
                    "        WHERE c.name LIKE :p), "
                    "       (SELECT count(*) FROM api_idempotency_key k JOIN api_client c ON c.id = k.client_id "
                    "        WHERE c.name LIKE :p AND k.status = 201), "
                    "       (SELECT coalesce(sum(l.tax), 0) FROM order_line l JOIN sale_order o ON o.id = l.order_id "
                    "        JOIN api_client c ON c.id = o.api_client_id WHERE c.name LIKE :p)"
                ),
                {"p": tokens_prefix + "%"},
            ).one()
        )


def measure(app, data: Dataset, repeat: int) -> list[Row]:
    """The ingest rate and latencies against the bulk importer's rate on as many lines."""
    return _measure(app, data, drill=False)


def measure_drill(app, data: Dataset, repeat: int) -> list[Row]:
    """The same load while a gunicorn worker is killed mid-request: still one order per key."""
    return _measure(app, data, drill=True)


def _measure(app, data: Dataset, drill: bool) -> list[Row]:
    import psutil

    # Unique per run: a database kept from an earlier run (--database) holds its clients.
    prefix = f"{'Exercice' if drill else 'Banc'} {uuid.uuid4().hex[:6]} "
    tokens = _clients(app, CLIENTS, prefix)
    catalogue = _catalogue(app)
    with tempfile.TemporaryDirectory(prefix="isoko-ingest-") as folder:
        workdir = Path(folder)
        redis_port, port = free_port(), free_port()
        redis = redis_service(workdir, redis_port)
        redis.start()
        try:
            wait_for_redis(redis_port)
            env = app_environment(
                data.url,
                f"redis://127.0.0.1:{redis_port}/0",
                workdir,
                ISOKO_API_RATE_LIMIT="1000000 per minute",
            )
            env.pop("ISOKO_PROXY_COUNT", None)
            gunicorn = gunicorn_service(env, workdir, port)  # as deployed
            gunicorn.start()
            try:
                base_url = f"http://127.0.0.1:{port}"
                wait_for_health(base_url, gunicorn)
                kill = (lambda: _kill_a_worker(gunicorn)) if drill else None
                # The dashboards meanwhile: their own process, as an officer's browser is
                # not in the load generator (whose 20 client threads would hold its GIL).
                watcher = None if drill else DashboardWatcher(data.url)
                before = _cpu_seconds(gunicorn, data.url, watcher)
                bench_before, machine_before = time.process_time(), psutil.cpu_times()
                if watcher:
                    watcher.go()
                try:
                    tally, seconds = _run_clients(base_url, tokens, catalogue, kill)
                finally:
                    seen = watcher.finish() if watcher else {}
                after = _cpu_seconds(gunicorn, data.url, watcher)
                bench_cpu = time.process_time() - bench_before
                machine = _machine_use(machine_before, psutil.cpu_times())
            finally:
                gunicorn.stop()
        finally:
            redis.stop()
        orders, keys, tax = _stored(app, prefix)
        answered_tax = sum(answer["totals"]["tax"] for answer in tally.answers.values())
        if orders != len(tally.answers) or keys != orders or tax != answered_tax:
            raise RuntimeError(
                f"ingest incohérent : {orders} commandes, {keys} clés, {len(tally.answers)} "
                f"réponses 201 ; taxe {tax} en base contre {answered_tax} répondue"
            )
        path = workdir / "commandes.csv"
        # References of their own: a database kept from an earlier run holds the last ones.
        write_orders(path, max(tally.lines, 1), sellers(app), prefix=f"ING{uuid.uuid4().hex[:8]}")
        import_s, _result, _refresh = timed_import(app, path)
    retries = tally.statuses.get(201, 0) - len(tally.answers)
    written = max(len(tally.answers), 1)
    app_cpu, db_cpu = ((a - b) * 1000 / written for a, b in zip(after, before, strict=True))
    bench_ms = bench_cpu * 1000 / written
    dashboards_ms = seen.get("cpu_s", 0) * 1000 / written
    cores = len(os.sched_getaffinity(0))
    capacity = cores * 1000 / max(app_cpu + db_cpu + dashboards_ms, 1e-9)
    rate = len(tally.answers) / seconds
    busy_ms, quiet_ms = seen.get("busy") or [float("nan")], seen.get("quiet") or [float("nan")]
    failures = seen.get("failures") or []
    statuses = ", ".join(f"{status}: {number(n)}" for status, n in sorted(tally.statuses.items()))
    base = [import_s * 1000 / max(len(tally.answers), 1)] * 2
    if drill:
        return [
            heading(
                f"Drill: a gunicorn worker killed mid-request while {CLIENTS} clients post, "
                "every client retrying with its key"
            ),
            Row(
                "orders per key, tax in the database = tax answered",
                f"{number(orders)} orders",
                f"{number(len(tally.answers))} keys answered",
                orders / max(len(tally.answers), 1),
                f"tax {number(tax)} F in both; answers {statuses}",
            ),
        ]
    return [
        heading(
            f"Live ingest: {CLIENTS} clients posting orders of 1–5 lines for {INGEST_SECONDS:.0f} s "
            "through gunicorn",
            f"{RETRY_SHARE:.0%} of the requests resent with the same key; "
            "exactly one order per key, checked in the database",
        ),
        rate_row(
            "orders written through the API",
            len(tally.answers),
            seconds,
            import_s,
            "orders/s",
            f"{number(len(tally.answers))} orders ({number(tally.lines)} lines), {number(retries)} "
            f"replays; answers {statuses}; baseline: the bulk importer on as many lines",
        ),
        timing_row(
            "API call latency (p50 / p95)",
            tally.latencies,
            base,
            "baseline: the importer's time per order, for scale",
        ),
        timing_row(
            "dashboard callbacks while the clients post (p50 / p95)",
            busy_ms,
            quiet_ms,
            f"{number(len(seen.get('busy') or []))} callbacks: the Ministère's "
            f"{number(seen.get('charts', 0))} charts over the last 12 months (cache off) every "
            f"{DASHBOARD_EVERY_S:g} s, in a process of their own on the same database; "
            "baseline: the same callbacks just before the ingest"
            + (f"; **a callback failed: {failures[0]}**" if failures else ""),
        ),
        Row(
            "CPU per order: gunicorn workers + PostgreSQL backends",
            f"{number(app_cpu, 1)} + {number(db_cpu, 1)} ms",
            "",
            None,
            "CPU seconds used during the run ÷ orders written: what bounds the rate on "
            f"{cores} cores, and the figure a shared machine disturbs least; on the same cores "
            f"the {CLIENTS} clients used {number(bench_ms, 1)} ms more per order and the dashboards "
            f"{number(dashboards_ms, 1)} ms",
        ),
        Row(
            f"what the server's CPU allows on {cores} cores",
            f"{number(capacity)} orders/s",
            f"{number(rate)} orders/s",
            capacity / max(rate, 1e-9),
            f"{cores} cores ÷ (gunicorn + PostgreSQL + the dashboards' CPU per order): the "
            "rate if the load generator, which stands for the storefront and the tablets, ran "
            "on machines of its own; baseline: the rate measured here. During the run the "
            f"machine's CPU was {machine[0]:.0%} busy, and {machine[1]:.0%} of it went to other "
            "virtual machines (steal)",
        ),
    ]
