"""HTTPS as the browser sees it, plain HTTP on the wire: what nginx in front of gunicorn does.

deploy/nginx-isoko.conf terminates TLS and forwards to gunicorn on 127.0.0.1 with
``X-Forwarded-Proto: https`` and ``X-Forwarded-For``. The load clients do the same without
the TLS cost: their URLs are https:// (so the console's Secure cookies, its HTTPS-only
Referer check and its redirects behave as in production), this adapter sends the bytes in
clear to the port, and each simulated person has an address of their own, which the app
reads with ISOKO_PROXY_COUNT=1 as in deploy/isoko.env.example: the sign-in rate limit
then counts each person, as it would for fifty people on fifty machines.
"""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

_addresses = itertools.count()


class LoopbackTLSAdapter(HTTPAdapter):
    """Mounted for ``https://127.0.0.1:PORT``: opens a plain connection to that port.

    Like a browser, it sends a GET again, once, when the server closed the kept-alive
    connection just as the request left (gunicorn's keepalive is 5 s, the "Mes rapports"
    page refreshes every 5 s): that race is the client's, not an error of the console.
    """

    def __init__(self) -> None:
        super().__init__(
            max_retries=Retry(
                total=1,
                connect=1,
                read=1,
                status=0,
                redirect=0,
                allowed_methods={"GET", "HEAD"},
                raise_on_status=False,
            )
        )

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        netloc = urlsplit(request.url).netloc
        return self.poolmanager.connection_from_url(f"http://{netloc}")

    def cert_verify(self, conn, url, verify, cert):
        """No certificate: the link is the loopback, as between nginx and gunicorn."""


def secure_url(base_url: str) -> str:
    """The https:// address clients use for the plain-HTTP ``base_url``."""
    return "https://" + base_url.split("://", 1)[1]


def client_address(network: int) -> str:
    """A private address of its own for each simulated person (10.network.x.y)."""
    index = next(_addresses)
    return f"10.{network}.{index // 250 % 250}.{index % 250 + 1}"


def install(session, base_url: str, network: int) -> None:
    """Route ``session``'s https:// requests for ``base_url`` in clear, with the headers
    nginx adds, from an address of its own in 10.network.0.0/16."""
    session.mount(secure_url(base_url), LoopbackTLSAdapter())
    session.headers.update(
        {"X-Forwarded-Proto": "https", "X-Forwarded-For": client_address(network)}
    )
