"""The processes under test: our own Redis, gunicorn and the RQ worker, each in its own group.

Each runs in a new session (process group) so that stopping it reaches its children
(gunicorn's workers, the RQ work-horse) and nothing else: the shared Redis on 6379 and
other people's processes are never touched.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.common import HEALTH_TOKEN, ROOT, cli_environment

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1 (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    """One long-running command, its log file, and how it was stopped."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    starts: int = 0
    history: list[str] = field(default_factory=list)

    def start(self) -> None:
        """Start the command in its own process group, output appended to the log."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.starts += 1
        self.history.append(f"{time.strftime('%H:%M:%S')} démarré (pid {self.process.pid})")

    @property
    def alive(self) -> bool:
        """Whether the main process is still running."""
        return self.process is not None and self.process.poll() is None

    def signal_group(self, sig: int) -> None:
        """Send ``sig`` to the whole process group we started (children included)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def descendants(self) -> list:
        """Every live process under ours (the RQ work-horse leaves our group with setsid)."""
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except (psutil.NoSuchProcess, AttributeError):
            return []

    def signal_all(self, sig: int, processes: list) -> None:
        """``sig`` to our group and to each of ``processes``, as systemd's KillMode=control-group."""
        self.signal_group(sig)
        for child in processes:
            try:
                child.send_signal(sig)
            except psutil.NoSuchProcess:
                pass

    def stop(self, sig: int = signal.SIGTERM, grace: float = 30.0) -> None:
        """Stop as systemd does: ``sig`` to every process of the service, SIGKILL after ``grace``."""
        if self.process is None:
            return
        children = self.descendants()
        self.signal_all(sig, children)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.signal_all(signal.SIGKILL, children)
            self.process.wait(timeout=10)
        # Whatever outlived the main process must not linger (systemd kills the cgroup).
        self.signal_all(signal.SIGKILL, [c for c in children if c.is_running()])
        self.history.append(
            f"{time.strftime('%H:%M:%S')} arrêté ({signal.Signals(sig).name}, "
            f"code {self.process.returncode})"
        )

    def tail(self, lines: int = 40) -> str:
        """The end of the log, for error messages."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def redis_service(workdir: Path, port: int) -> Service:
    """A private redis-server on 127.0.0.1:port with an append-only file in ``workdir``.

    The AOF is what a production Redis holding a job queue should have: stopping and
    restarting it must give back the queued reports (the drill checks exactly that).
    """
    data = workdir / "redis"
    data.mkdir(parents=True, exist_ok=True)
    command = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--logfile",
        "",
    ]
    return Service("redis", command, dict(os.environ), workdir / "redis.log")


def app_environment(database_url: str, redis_url: str, workdir: Path, **extra: str) -> dict:
    """The environment of gunicorn and the worker: production settings on our services."""
    return cli_environment(
        database_url,
        ISOKO_REDIS_URL=redis_url,
        ISOKO_REPORTS_DIR=str(workdir / "reports"),
        ISOKO_INSTANCE_DIR=str(workdir / "instance"),
        ISOKO_PROXY_COUNT="1",  # the clients play nginx (bench.load.transport)
        PYTHONPATH=str(ROOT),
        **extra,
    )


def gunicorn_service(env: dict, workdir: Path, port: int, workers: int | None = None) -> Service:
    """gunicorn with deploy/gunicorn.conf.py, bound to 127.0.0.1 only; ``workers`` overrides
    the deployed number (None: the configuration's own, or ``ISOKO_WORKERS`` if set)."""
    env = env | {"ISOKO_BIND": f"127.0.0.1:{port}"}
    if workers is not None:
        env["ISOKO_WORKERS"] = str(workers)
    command = [
        str(VENV_BIN / "gunicorn"),
        "-c",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        "console:create_app()",
    ]
    return Service("gunicorn", command, env, workdir / "gunicorn.log")


def worker_service(env: dict, workdir: Path) -> Service:
    """`isoko worker`, the RQ worker of the reports queue."""
    return Service("worker", [str(VENV_BIN / "isoko"), "worker"], env, workdir / "worker.log")


def wait_for_redis(port: int, timeout: float = 20.0) -> None:
    """Block until Redis answers PING."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.ping():
                return
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"Redis ne répond pas sur le port {port} après {timeout:.0f} s")
        time.sleep(0.2)


def wait_for_health(base_url: str, service: Service, timeout: float = 120.0) -> dict:
    """Block until /health answers 200 with database and Redis ok; return its JSON."""
    import json

    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if not service.alive:
            raise RuntimeError(f"gunicorn s'est arrêté au démarrage :\n{service.tail()}")
        try:
            probe = urllib.request.Request(
                base_url + "/health", headers={"X-Health-Token": HEALTH_TOKEN}
            )
            with urllib.request.urlopen(probe, timeout=5) as response:
                body = json.loads(response.read())
                if body.get("checks", {}).get("redis") == "ok":
                    return body
                last = str(body)
        except (urllib.error.URLError, OSError, ValueError) as error:
            last = str(error)
        time.sleep(0.5)
    raise RuntimeError(f"/health ne répond pas après {timeout:.0f} s ({last}) :\n{service.tail()}")


def _exception_line(line: str) -> bool:
    return (
        bool(line)
        and not line.startswith((" ", "Traceback", "During", "The above"))
        and ":" in line
    )


def tracebacks(log: Path) -> list[str]:
    """The distinct exceptions of a log: the request they answered (Flask's "Exception on
    PATH [METHOD]"), the final exception of the chain and its last frames; counted."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    found: dict[str, int] = {}
    context, block = "", None
    for index, line in enumerate(lines):
        if "Exception on " in line:
            context = line.split("Exception on ", 1)[1]
        elif line.startswith("Traceback (most recent call last)") and block is None:
            block = []
        elif block is not None:
            block.append(line)
            following = next((x for x in lines[index + 1 : index + 4] if x.strip()), "")
            if _exception_line(line) and not following.startswith(("During", "The above")):
                frames = [x.strip() for x in block if x.startswith("  File ")]
                own = [f for f in frames if "/site-packages/" not in f] or [
                    f for f in frames if "/redis/" not in f
                ][-2:]
                key = "\n".join(
                    [f"{context or log.stem} → {line}", *(f"    {f}" for f in own[-4:])]
                )
                found[key] = found.get(key, 0) + 1
                context, block = "", None
    return [f"{count} × {key}" for key, count in found.items()]
