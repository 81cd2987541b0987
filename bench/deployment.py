"""The documented deployment, on this machine: nginx with deploy/nginx-isoko.conf in front
of gunicorn (deploy/gunicorn.conf.py), `isoko worker`, Redis and PostgreSQL.

Used by the deployment test (tests/test_deploy.py) and by the page-weight benchmark
(bench/page_weight.py). Everything runs on 127.0.0.1 on free ports, in a folder of its
own: a private Redis, nginx with the repository's site file filled in by
deploy/nginx_config.py (paths, ports and a self-signed certificate: nothing else) inside a
minimal main configuration, and the console's processes with production settings.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT
from bench.load.processes import (
    Service,
    app_environment,
    free_port,
    gunicorn_service,
    redis_service,
    tracebacks,
    wait_for_redis,
    worker_service,
)

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
)
MIME_TYPES = "/etc/nginx/mime.types"


def missing_tools() -> list[str]:
    """What the deployment needs and this machine lacks (Debian package names)."""
    missing = [] if NGINX else ["nginx-light"]
    if not Path(MIME_TYPES).is_file() and "nginx-light" not in missing:
        missing.append("nginx-common")
    missing += [name for name in ("openssl", "redis-server") if not shutil.which(name)]
    return missing


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, valid two days; return (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_site(upstream: str, https_port: int, http_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx-isoko.conf filled in by deploy/nginx_config.py, as an operator does."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "deploy" / "nginx_config.py"),
            "--precompress",
            "--server-name",
            "127.0.0.1 localhost",
            "--upstream",
            upstream,
            "--https-port",
            str(https_port),
            "--http-port",
            str(http_port),
            "--certificate",
            str(cert),
            "--certificate-key",
            str(key),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return done.stdout


def nginx_main(workdir: Path, site: Path) -> str:
    """The main configuration around the site file (Debian's /etc/nginx/nginx.conf does the
    same): our own pid, logs and temporary folders, so that no root-owned path is needed."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the checkout
    temp = "\n".join(
        f"    {kind}_temp_path {workdir / ('tmp-' + kind)};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
daemon off;
pid {workdir / "nginx.pid"};
error_log {workdir / "nginx-error.log"} warn;
events {{ worker_connections 512; }}
http {{
    include {MIME_TYPES};
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log {workdir / "nginx-access.log"};
{temp}
    include {site};
}}
"""


@dataclass
class Deployment:
    """The running processes and where to reach them."""

    database_url: str
    workdir: Path
    https_port: int = 0
    services: list[Service] = field(default_factory=list)
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    # Where nginx's error log stood when the console first answered through it.
    errors_from: int = 0

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def environment(self) -> dict[str, str]:
        """What gunicorn and the worker run with (and what `isoko` commands need)."""
        return self._env

    def start(self, gunicorn_workers: int = 2) -> None:
        """Start Redis, gunicorn, the worker and nginx; wait until a page answers through nginx."""
        redis_port, app_port = free_port(), free_port()
        self.https_port, http_port = free_port(), free_port()
        self._env = app_environment(
            self.database_url,
            f"redis://127.0.0.1:{redis_port}/0",
            self.workdir,
            ISOKO_SECRET_KEY=self.secret_key,
            ISOKO_WORKER_NICE="0",
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        # Reports are archived under the instance folder, as in production (and backed up).
        self._env.pop("ISOKO_REPORTS_DIR", None)
        cert, key = self_signed_certificate(self.workdir)
        site = self.workdir / "isoko-site.conf"
        site.write_text(nginx_site(f"127.0.0.1:{app_port}", self.https_port, http_port, cert, key))
        main = self.workdir / "nginx.conf"
        main.write_text(nginx_main(self.workdir, site))
        check = subprocess.run(
            [NGINX, "-t", "-q", "-c", str(main), "-p", str(self.workdir)],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx refuse la configuration :\n{check.stderr}")
        redis = redis_service(self.workdir, redis_port)
        nginx = Service(
            "nginx",
            [NGINX, "-c", str(main), "-p", str(self.workdir)],
            dict(os.environ),
            self.workdir / "nginx.log",
        )
        self.services = [
            redis,
            gunicorn_service(self._env, self.workdir, app_port, gunicorn_workers),
            worker_service(self._env, self.workdir),
            nginx,
        ]
        redis.start()
        wait_for_redis(redis_port)
        for service in self.services[1:]:
            service.start()
        self.wait_until_serving()

    def wait_until_serving(self, timeout: float = 120.0) -> None:
        """Block until the sign-in page answers 200 through nginx over HTTPS."""
        context = ssl._create_unverified_context()  # our self-signed certificate
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            dead = [s for s in self.services if not s.alive]
            if dead:
                raise RuntimeError("\n".join(f"{s.name} s'est arrêté :\n{s.tail()}" for s in dead))
            try:
                with urllib.request.urlopen(
                    self.base_url + "/login/", timeout=5, context=context
                ) as response:
                    if response.status == 200:
                        # nginx logged a refused upstream for each poll made before gunicorn
                        # listened: the start's own noise, not an error of the run.
                        self.errors_from = self._error_log_size()
                        return
            except (urllib.error.URLError, OSError) as error:
                last = str(error)
            time.sleep(0.5)
        raise RuntimeError(
            f"la console ne répond pas par nginx ({last}) :\n"
            + "\n".join(s.tail(15) for s in self.services)
        )

    def _error_log_size(self) -> int:
        error_log = self.workdir / "nginx-error.log"
        return error_log.stat().st_size if error_log.exists() else 0

    def errors(self) -> list[str]:
        """Exceptions logged by gunicorn and the worker, and nginx's errors once it served."""
        found = [f"{s.name}: {line}" for s in self.services[1:3] for line in tracebacks(s.log)]
        error_log = self.workdir / "nginx-error.log"
        if error_log.exists():
            with error_log.open("rb") as log:
                log.seek(self.errors_from)
                lines = log.read().decode(errors="replace").splitlines()
            found += [
                f"nginx: {line}"
                for line in lines
                if "[error]" in line or "[crit]" in line or "[emerg]" in line
            ]
        return found

    def stop(self) -> None:
        """Stop nginx, the worker, gunicorn and Redis, in that order."""
        for service in reversed(self.services):
            service.stop(signal.SIGTERM, grace=20)


def prepared_database(url: str, order_lines: int, until: str, seed: int = 11) -> None:
    """Bring an empty database to a seeded console with the documented commands (seed-demo
    builds the dashboards' aggregates; the weekly mévente run is left out: minutes of CPU,
    and its dashboard draws its charts empty)."""
    from bench.common import isoko

    isoko(url, "db", "upgrade", "heads")
    isoko(url, "load-reference")
    isoko(url, "init-roles")
    isoko(url, "seed-demo", "--orders", str(order_lines), "--seed", str(seed), "--until", until)


def new_workdir(prefix: str = "isoko-deploy-") -> Path:
    """A private folder for logs, certificates, Redis data and nginx's temporary files."""
    return Path(tempfile.mkdtemp(prefix=prefix))
