"""What a browser downloads, through nginx over HTTPS: the home page, a list and each
dashboard, with an empty cache (cold) and again (warm); and a coordinator's dashboard on a
provincial mobile connection (1.6 Mbit/s, 150 ms), time to first chart.

The deployment is the documented one (bench/deployment.py: nginx with the repository's
configuration, gunicorn, the worker, Redis) on the benchmark's database. Bytes come from
Chromium's DevTools Network events: ``encodedDataLength`` (on the wire: compressed bodies
and headers) beside the decoded bodies of the same requests.
"""

from __future__ import annotations

import os
import shutil
import statistics

from . import browser as chromium
from .common import PASSWORD, Dataset, add_user
from .deployment import Deployment, missing_tools, new_workdir
from .table import Row, heading, number

# Issue #15's budgets, compressed: a console page and a dashboard, first and later visits.
BUDGET_CONSOLE_COLD = 400_000
BUDGET_DASHBOARD_COLD = 1_500_000
BUDGET_WARM = 100_000
MINISTRY, COORDINATOR = "bench.pages", "bench.coord"
COORDINATOR_PROVINCE = "BI25-GI"
CONSOLE_PAGES = [("home page", "/"), ("cooperatives list", "/cooperativeview/list/")]
DASHBOARDS = [("ventes", 6), ("mevente", 6), ("recettes", 4), ("pilote", 5)]


def kb(size: int) -> str:
    return f"{number(size / 1000, 1)} kB"


def weight_row(label: str, traffic: chromium.Traffic, budget: int, path: str) -> Row:
    """Compressed bytes on the wire beside the same responses decoded, and the budget."""
    verdict = "within" if traffic.transferred <= budget else "OVER"
    note = (
        f"`{path}`; {len(traffic.network_requests)} requests over the network; "
        f"budget {kb(budget)}: {verdict}"
    )
    return Row(
        label,
        kb(traffic.transferred),
        kb(traffic.uncompressed),
        traffic.transferred / max(traffic.uncompressed, 1),
        note,
    )


def load(driver, url: str, charts: int = 0) -> chromium.Traffic:
    """Open ``url``, wait until it is drawn and quiet; what it moved. Fails on a failed
    request or a console error: a broken page has no meaningful weight."""
    chromium.drain(driver)
    driver.get(url)
    if charts:
        chromium.charts_drawn(driver, charts)
    chromium.network_idle(driver)
    traffic = chromium.traffic(driver)
    problems = traffic.failures() + chromium.console_errors(driver)
    if problems:
        raise RuntimeError(f"{url} : {problems}")
    return traffic


def cold_and_warm(driver, base: str, label: str, path: str, charts: int, cold_budget: int):
    chromium.clear_cache(driver)
    cold = load(driver, base + path, charts)
    warm = load(driver, base + path, charts)
    print(
        f"   {label}: froid {kb(cold.transferred)} ({kb(cold.uncompressed)} décompressés), "
        f"chaud {kb(warm.transferred)}",
        flush=True,
    )
    return [
        weight_row(f"{label}, cold cache", cold, cold_budget, path),
        weight_row(f"{label}, warm cache", warm, BUDGET_WARM, path),
    ]


def first_chart_seconds(driver, url: str, samples: int, cold: bool) -> list[float]:
    """Time to first chart, each sample from an empty cache (cold) or a warm one."""
    times = []
    for _ in range(samples):
        if cold:
            chromium.clear_cache(driver)
        times.append(chromium.time_to_first_chart(driver, url))
        chromium.charts_drawn(driver, 6, timeout=180)
        chromium.network_idle(driver, timeout=180)
    return times


def measure(app, data: Dataset, repeat: int) -> list[Row]:
    """Page weights cold and warm through nginx, and the throttled time to first chart."""
    missing = missing_tools() + chromium.missing_browser()
    if missing:
        message = "poids des pages non mesuré, il manque : " + ", ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            raise RuntimeError(message)
        print("   " + message)
        return [heading("Page weight through nginx", message)]
    add_user(app, MINISTRY, "Ministère")
    add_user(app, COORDINATOR, "Coordinateur provincial", COORDINATOR_PROVINCE)
    deployment = Deployment(data.url, new_workdir("isoko-bench-pages-"))
    rows = [
        heading(
            "Page weight through nginx (HTTPS, HTTP/2), compressed on the wire / decoded",
            "Isoko: bytes the browser received (encodedDataLength: compressed bodies and headers); "
            "baseline: the same responses decoded; ratio: the share compression leaves. Cold: "
            "empty HTTP cache, signed in; warm: the same page again. Ministère",
        )
    ]
    completed = False
    try:
        deployment.start()
        base = deployment.base_url
        driver = chromium.start_chromium()
        try:
            chromium.sign_in(driver, base, MINISTRY, PASSWORD)
            for label, path in CONSOLE_PAGES:
                rows += cold_and_warm(driver, base, label, path, 0, BUDGET_CONSOLE_COLD)
            for slug, charts in DASHBOARDS:
                rows += cold_and_warm(
                    driver,
                    base,
                    f"dashboard {slug}",
                    f"/dashboards/{slug}",
                    charts,
                    BUDGET_DASHBOARD_COLD,
                )
        except Exception:
            driver.save_screenshot(str(deployment.workdir / "failure.png"))
            raise
        finally:
            chromium.quit_chromium(driver)
        rows += throttled_rows(base, max(1, min(repeat, 3)))
        completed = True
    finally:
        deployment.stop()
        errors = deployment.errors()
        if completed and not errors:
            shutil.rmtree(deployment.workdir, ignore_errors=True)
        else:
            print(f"   journaux gardés dans {deployment.workdir}", flush=True)
    if errors:
        raise RuntimeError("erreurs pendant la mesure :\n" + "\n".join(errors))
    return rows


def throttled_rows(base: str, samples: int) -> list[Row]:
    """The coordinator's sales dashboard, 1.6 Mbit/s and 150 ms, against no throttling."""
    url = f"{base}/dashboards/ventes"
    driver = chromium.start_chromium()
    try:
        chromium.sign_in(driver, base, COORDINATOR, PASSWORD)
        fast_cold = first_chart_seconds(driver, url, samples, cold=True)
        chromium.throttle(driver, chromium.THROTTLED)
        slow_cold = first_chart_seconds(driver, url, samples, cold=True)
        slow_warm = first_chart_seconds(driver, url, samples, cold=False)
        chromium.throttle(driver, None)
        fast_warm = first_chart_seconds(driver, url, samples, cold=False)
    finally:
        chromium.quit_chromium(driver)
    median = statistics.median
    print(
        f"   premier graphique à 1,6 Mbit/s : {median(slow_cold):.1f} s (cache vide), "
        f"{median(slow_warm):.1f} s (cache chaud)",
        flush=True,
    )
    note = (
        f"coordinator ({COORDINATOR_PROVINCE}), `/dashboards/ventes`, median of {samples}; "
        "baseline: the same without throttling"
    )
    return [
        heading("Time to first chart, 1.6 Mbit/s and 150 ms round trip (DevTools throttling)"),
        Row(
            "coordinator dashboard, cold cache",
            f"{median(slow_cold):.1f} s",
            f"{median(fast_cold):.1f} s",
            median(slow_cold) / median(fast_cold),
            note,
        ),
        Row(
            "coordinator dashboard, warm cache",
            f"{median(slow_warm):.1f} s",
            f"{median(fast_warm):.1f} s",
            median(slow_warm) / median(fast_warm),
            note,
        ),
    ]
