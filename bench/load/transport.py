"""HTTPS as the browser sees it, plain HTTP on the wire: what nginx in front of gunicorn does.

deploy/nginx-isoko.conf terminates TLS and forwards to gunicorn on 127.0.0.1 with
``X-Forwarded-Proto: https``. The load clients do the same without the TLS cost: their
URLs are https:// (so the console's Secure cookies, its HTTPS-only Referer check and its
redirects behave as in production) and this adapter sends the bytes in clear to the port.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter

FORWARDED = {"X-Forwarded-Proto": "https"}


class LoopbackTLSAdapter(HTTPAdapter):
    """Mounted for ``https://127.0.0.1:PORT``: opens a plain connection to that port."""

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        netloc = urlsplit(request.url).netloc
        return self.poolmanager.connection_from_url(f"http://{netloc}")

    def cert_verify(self, conn, url, verify, cert):
        """No certificate: the link is the loopback, as between nginx and gunicorn."""


def secure_url(base_url: str) -> str:
    """The https:// address clients use for the plain-HTTP ``base_url``."""
    return "https://" + base_url.split("://", 1)[1]


def install(session, base_url: str) -> None:
    """Route ``session``'s https:// requests for ``base_url`` in clear, as nginx would."""
    session.mount(secure_url(base_url), LoopbackTLSAdapter())
    session.headers.update(FORWARDED)
