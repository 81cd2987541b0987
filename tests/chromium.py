"""Headless Chromium for the browser tests, the deployment test and the page benchmarks.

Debian's ``chromium`` and ``chromium-driver`` driven by Selenium. One start-up for all:
a throw-away profile, French, no background traffic, the browser console logged and,
for the page-weight figures, the DevTools performance log of every network event.
"""

from __future__ import annotations

import shutil
import tempfile

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def missing_browser() -> list[str]:
    """What the browser needs and this machine lacks."""
    missing = [
        name
        for name, path in (("chromium", CHROMIUM), ("chromium-driver", CHROMEDRIVER))
        if not path
    ]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (extra [test])")
    return missing


def start_chromium(page_load_s: float, download_dir: str | None = None):
    """A headless Chromium trusting self-signed certificates, logging console and network."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="isoko-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1400,2400",
        "--lang=fr-FR",
    ):
        options.add_argument(flag)
    options.accept_insecure_certs = True  # the deployment's self-signed certificate
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(page_load_s)
    driver.execute_cdp_cmd("Network.enable", {})
    if download_dir:
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir}
        )
    driver.isoko_profile = profile
    return driver


def quit_chromium(driver) -> None:
    driver.quit()
    shutil.rmtree(driver.isoko_profile, ignore_errors=True)
