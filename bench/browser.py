"""Headless Chromium that reports what crossed the network: the deployment test and the
page-weight benchmark read the same figures.

Chromium's performance log carries the DevTools Network events: per request its status,
protocol, whether it came from the cache, the bytes received on the wire
(``encodedDataLength``: compressed bodies plus headers) and the decoded body bytes
(``dataLength`` of the data chunks). Debian's ``chromium`` and ``chromium-driver``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from tests.chromium import missing_browser, quit_chromium  # noqa: F401  (used by bench, tests)
from tests.chromium import start_chromium as _start

WAIT_S = 120  # generous: a loaded 2-core machine renders slowly; a healthy page takes seconds
# A provincial coordinator's mobile connection (issue #15): 1.6 Mbit/s, 150 ms round trip.
THROTTLED = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 1_600_000 / 8,
}


def start_chromium(download_dir: str | None = None):
    """A headless Chromium trusting our self-signed certificate, logging the network."""
    return _start(WAIT_S * 3, download_dir)


@dataclass
class Request:
    """One network request as DevTools saw it."""

    url: str
    status: int = 0
    protocol: str = ""
    mime_type: str = ""
    headers: dict = field(default_factory=dict)
    from_cache: bool = False
    encoded: int = 0  # bytes on the wire, headers included
    decoded: int = 0  # body bytes after decompression
    failed: str = ""  # net::ERR_… when it failed


@dataclass
class Traffic:
    """What a page load moved, request by request."""

    requests: list[Request]

    @property
    def transferred(self) -> int:
        return sum(r.encoded for r in self.requests)

    @property
    def uncompressed(self) -> int:
        return sum(r.decoded for r in self.requests if not r.from_cache)

    @property
    def network_requests(self) -> list[Request]:
        return [r for r in self.requests if not r.from_cache and r.encoded]

    def failures(self) -> list[str]:
        """Requests that answered ≥ 400 or never completed (a navigation away is no failure)."""
        return [
            f"{r.status or r.failed} {r.url}"
            for r in self.requests
            if r.status >= 400 or (r.failed and r.failed != "net::ERR_ABORTED")
        ]


def drain(driver) -> None:
    """Forget what is logged so far (the next Traffic starts here)."""
    driver.get_log("performance")


def traffic(driver) -> Traffic:
    """The requests logged since the last drain."""
    by_id: dict[str, Request] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message["method"], message.get("params", {})
        request_id = params.get("requestId")
        if method == "Network.requestWillBeSent":
            by_id.setdefault(request_id, Request(params["request"]["url"]))
        elif request_id not in by_id:
            continue
        elif method == "Network.responseReceived":
            response = params["response"]
            request = by_id[request_id]
            request.status = response.get("status", 0)
            request.protocol = response.get("protocol", "")
            request.mime_type = response.get("mimeType", "")
            request.headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
            request.from_cache = request.from_cache or bool(
                response.get("fromDiskCache") or response.get("fromPrefetchCache")
            )
        elif method == "Network.requestServedFromCache":
            by_id[request_id].from_cache = True
        elif method == "Network.dataReceived":
            by_id[request_id].decoded += params.get("dataLength", 0)
        elif method == "Network.loadingFinished":
            by_id[request_id].encoded = int(params.get("encodedDataLength", 0))
        elif method == "Network.loadingFailed":
            by_id[request_id].failed = params.get("errorText", "échec")
    return Traffic([r for r in by_id.values() if not r.url.startswith("data:")])


def console_errors(driver) -> list[str]:
    """The browser console's errors since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait(driver, condition, message: str, timeout: float = WAIT_S):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
    ).until(condition, message)


def charts_drawn(driver, at_least: int, timeout: float = WAIT_S) -> None:
    """Wait until Dash has drawn ``at_least`` Plotly charts and nothing is loading."""

    def ready(d):
        plots = d.find_elements("css selector", ".js-plotly-plot .main-svg")
        loading = d.find_elements("css selector", "[data-dash-is-loading='true']")
        return len(plots) >= at_least and not loading

    wait(driver, ready, f"moins de {at_least} graphiques affichés", timeout)


def network_idle(driver, quiet_s: float = 0.5, timeout: float = WAIT_S) -> None:
    """Wait until the page has loaded and no request started for ``quiet_s``."""
    wait(
        driver,
        lambda d: d.execute_script("return document.readyState") == "complete",
        "la page ne finit pas de charger",
        timeout,
    )
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        count = driver.execute_script("return performance.getEntriesByType('resource').length")
        if count == last:
            return
        last = count
        time.sleep(quiet_s)


def sign_in(driver, base_url: str, username: str, password: str) -> None:
    """The console's sign-in form, as a person fills it."""
    driver.get(f"{base_url}/login/")
    driver.find_element("name", "username").send_keys(username)
    driver.find_element("name", "password").send_keys(password)
    driver.find_element("css selector", "form input[type=submit], form button[type=submit]").click()
    wait(driver, lambda d: "/login" not in d.current_url, f"la connexion de {username} a échoué")


def throttle(driver, conditions: dict | None) -> None:
    """Emulate a slow connection (None: the real one)."""
    if conditions is None:
        conditions = {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": -1,
        }
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", conditions)


def clear_cache(driver) -> None:
    """Empty the HTTP cache (cookies stay: still signed in)."""
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})


def time_to_first_chart(driver, url: str, timeout: float = WAIT_S * 3) -> float:
    """Seconds from asking for ``url`` until the first Plotly chart is on screen."""
    started = time.perf_counter()
    driver.get(url)
    wait(
        driver,
        lambda d: d.find_elements("css selector", ".js-plotly-plot .main-svg"),
        "aucun graphique",
        timeout,
    )
    return time.perf_counter() - started
