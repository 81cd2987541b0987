"""A signed-in console session for the fault drill (plain requests, outside locust).

Like the locustfile, it speaks HTTPS to the console through bench.load.transport (TLS
ends where nginx would end it), so the app keeps its production settings.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests

from bench.common import PASSWORD

from .transport import install, secure_url

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
TIMEOUT_S = 120  # a saturated server is slow, not down: the drill waits, within bounds


class ConsoleSession(requests.Session):
    """requests.Session against the console at ``base_url``, as one signed-in person."""

    def __init__(self, base_url: str, timeout: float = TIMEOUT_S) -> None:
        super().__init__()
        self.timeout = timeout
        self.base_url = secure_url(base_url.rstrip("/"))
        install(self, base_url, network=30)

    def request(self, method, url, *args, **kwargs):
        """Relative paths, a Referer like a browser's (Flask-WTF checks it), a timeout."""
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", self.timeout)
        headers = kwargs.setdefault("headers", {})
        headers.setdefault("Referer", self.base_url + urlsplit(url).path)
        return super().request(method, url, *args, **kwargs)

    def token(self, path: str) -> str:
        """The CSRF token of the form at ``path``."""
        response = self.get(path)
        match = TOKEN.search(response.text)
        if response.status_code != 200 or match is None:
            raise RuntimeError(f"{path} : HTTP {response.status_code}, pas de jeton CSRF")
        return next(group for group in match.groups() if group)

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        """Sign in through FAB's form; raises unless the home page follows."""
        response = self.post(
            "/login/",
            data={"username": username, "password": password, "csrf_token": self.token("/login/")},
        )
        if response.status_code != 200 or urlsplit(response.url).path.startswith("/login"):
            raise RuntimeError(f"connexion de {username} refusée : HTTP {response.status_code}")
        return response

    def answered(self, response: requests.Response) -> bool:
        """A 200 that is not the login page."""
        return response.status_code == 200 and not urlsplit(response.url).path.startswith("/login")


def warm_up(base_url: str, username: str, sessions: int = 8) -> int:
    """Open each kind of page once per new connection, unmeasured: each gunicorn worker
    imports its views, compiles its templates and builds Dash's layout on first use,
    which a server that has been running for hours has long done. Best effort: returns
    how many visits failed. (The orders list is left out: it is slow at 1M lines, which
    the measured run shows.)"""
    from concurrent.futures import ThreadPoolExecutor

    paths = [
        "/",
        "/cooperativeview/list/",
        "/deviceview/list/",
        "/rapports/mes-rapports/",
        "/dashboards/_dash-layout",
        "/dashboards/_dash-dependencies",
        *(f"/dashboards/{slug}" for slug in ("ventes", "mevente", "recettes", "pilote")),
    ]

    def visit(_index: int) -> int:
        failed = 0
        with ConsoleSession(base_url) as session:
            try:
                session.login(username)
                for path in paths:
                    failed += not session.answered(session.get(path))
            except (requests.RequestException, RuntimeError):
                failed += 1
        return failed

    with ThreadPoolExecutor(max_workers=sessions) as pool:
        return sum(pool.map(visit, range(sessions)))
