"""The documented deployment, for real: nginx (deploy/nginx-isoko.conf) over HTTPS and
HTTP/2 in front of gunicorn (deploy/gunicorn.conf.py), `isoko worker`, Redis and a fresh
PostgreSQL database prepared with the operator's commands (bench/deployment.py).

A browser signs in through nginx, opens every dashboard, generates a report, downloads
and verifies it; any failed asset or console error fails. Then deploy/backup.sh and
deploy/restore.sh round-trip the database. Marked `deploy` (run by .ci/run's deployment
stage: `pytest -m deploy`); outside CI it skips, saying why, when nginx, Chromium or
PostgreSQL is missing; under CI=true that is a failure.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from plotly.offline import get_plotlyjs_version

from bench import browser as chromium
from bench.common import PASSWORD, add_user, bench_config
from bench.deployment import Deployment, missing_tools, new_workdir, prepared_database
from console.security.headers import CONTENT_SECURITY_POLICY

from .conftest import IN_CI, PG_ADMIN_URL, require_postgres
from .databases import create_database, drop_database

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "deploy"
COORDINATOR_PROVINCE = "BI25-GI"  # Gitega, 2025 map
# slug, the number of Plotly charts the page draws (as tests/test_browser_dashboards.py)
DASHBOARDS = [("ventes", 6), ("mevente", 6), ("recettes", 4), ("pilote", 5)]
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
}


def _tools_or_skip() -> None:
    missing = missing_tools() + chromium.missing_browser()
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        missing.append("postgresql-client")
    if missing:
        reason = "déploiement impossible à tester ici, il manque : " + ", ".join(missing)
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    require_postgres()


@pytest.fixture(scope="module")
def deployment():
    """A seeded database and the running deployment; everything stopped and dropped after."""
    _tools_or_skip()
    url = create_database("ci", PG_ADMIN_URL, prefix="isoko_deploy")
    started = None
    try:
        prepared_database(url, order_lines=3000, until="2025-06-30")
        from console import create_app

        app = create_app(bench_config(url))
        add_user(app, "ministere", "Ministère")
        add_user(app, "coord.gitega", "Coordinateur provincial", COORDINATOR_PROVINCE)
        with app.app_context():
            from console.extensions import db

            db.session.remove()
            db.engine.dispose()
        started = Deployment(url, new_workdir())
        started.start()
        yield started
    finally:
        if started is not None:
            started.stop()
            (ARTIFACTS / "logs").mkdir(parents=True, exist_ok=True)
            for log in started.workdir.glob("*.log"):
                shutil.copy(log, ARTIFACTS / "logs" / log.name)
            shutil.rmtree(started.workdir, ignore_errors=True)
        drop_database(url, PG_ADMIN_URL)


@pytest.fixture(scope="module")
def downloads():
    folder = tempfile.mkdtemp(prefix="isoko-downloads-")
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(deployment, downloads):
    driver = chromium.start_chromium(str(downloads))
    yield driver
    chromium.quit_chromium(driver)


def _get(url: str, **headers) -> tuple[int, dict, bytes]:
    """One HTTPS request through nginx (self-signed certificate); status, headers, raw body."""
    import ssl

    request = urllib.request.Request(url, headers=headers)
    context = ssl._create_unverified_context()
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return response.status, _header_lists(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, _header_lists(error.headers), error.read()


def _header_lists(message) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in message.items():
        found.setdefault(name.lower(), []).append(value)
    return found


def _clean(driver, where: str) -> chromium.Traffic:
    """No request of the page failed (HTTP ≥ 400 or never completed), no console error."""
    traffic = chromium.traffic(driver)
    assert traffic.failures() == [], where
    assert chromium.console_errors(driver) == [], where
    protocols = {r.protocol for r in traffic.network_requests if r.protocol}
    assert protocols <= {"h2"}, (where, protocols)  # every request over HTTP/2 through nginx
    return traffic


# Trace types each chart asked for that Plotly did not know (the dashboards' Plotly bundle,
# dashboards/assets/plotly-isoko.min.js, holds only the types they draw).
UNKNOWN_TRACES_JS = """
return Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(
  g => (g.data || []).filter((t, i) => !g._fullData[i] || g._fullData[i].type !== (t.type || 'scatter'))
                     .map(t => t.type));
"""


def _static_urls(deployment, browser) -> dict[str, str]:
    """One URL of each kind of static file, as a dashboard page names them."""
    browser.get(f"{deployment.base_url}/dashboards/ventes")
    chromium.charts_drawn(browser, 6)
    urls = [
        e.get_attribute("src") or e.get_attribute("href")
        for e in browser.find_elements("css selector", "script[src], link[rel=stylesheet]")
    ]

    def first(pattern: str) -> str:
        return next(u for u in urls if re.search(pattern, u))

    return {
        "flask_appbuilder": first(r"/static/appbuilder/js/jquery"),
        "console": first(r"/static/isoko/isoko\.css"),
        "dash_fingerprinted": first(r"/_dash-component-suites/dash/.*dash_renderer\.v[\w-]+m\d+"),
        "dash_assets": first(r"/dashboards/assets/.*\.css\?m="),
    }


def test_nginx_serves_every_static_file_compressed_cached_and_with_the_apps_headers(
    deployment, browser
):
    chromium.sign_in(browser, deployment.base_url, "ministere", PASSWORD)
    urls = _static_urls(deployment, browser)
    for kind, url in urls.items():
        status, headers, body = _get(url, **{"Accept-Encoding": "gzip"})
        assert status == 200, (kind, url)
        assert headers.get("content-encoding") == ["gzip"] or len(body) < 1024, (kind, url)
        content = gzip.decompress(body) if headers.get("content-encoding") else body
        assert content and b"<html" not in content[:200].lower(), (
            kind,
            url,
        )  # the file, not a page
        age = int(re.search(r"max-age=(\d+)", headers["cache-control"][0]).group(1))
        fingerprinted = kind in {"dash_fingerprinted", "dash_assets"}
        assert age >= (31536000 if fingerprinted else 3600), (kind, url, age)
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name) == [value], (kind, name, headers.get(name))
    # The files nginx serves are the installed packages' own.
    import dash

    renderer = Path(dash.__file__).parent / "dash-renderer" / "build" / "dash_renderer.min.js"
    _, headers, body = _get(urls["dash_fingerprinted"], **{"Accept-Encoding": "gzip"})
    assert gzip.decompress(body) == renderer.read_bytes()


def test_a_page_from_the_app_is_compressed_with_one_copy_of_each_security_header(deployment):
    status, headers, body = _get(f"{deployment.base_url}/login/", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("content-encoding") == ["gzip"]
    assert b"password" in gzip.decompress(body)
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == [value], (name, headers.get(name))
    assert _get(f"{deployment.base_url}/favicon.ico")[0] == 200


def test_signed_in_through_nginx_every_dashboard_loads_without_a_failed_asset_or_console_error(
    deployment, browser
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.delete_all_cookies()
    chromium.clear_cache(browser)
    chromium.drain(browser)
    chromium.console_errors(browser)
    chromium.sign_in(browser, deployment.base_url, "ministere", PASSWORD)
    chromium.network_idle(browser)
    _clean(browser, "connexion")
    for slug, charts in DASHBOARDS:
        chromium.drain(browser)
        browser.get(f"{deployment.base_url}/dashboards/{slug}")
        chromium.charts_drawn(browser, charts)
        chromium.network_idle(browser)
        assert "isoko-banner" in browser.page_source
        browser.save_screenshot(str(ARTIFACTS / f"{slug}.png"))
        traffic = _clean(browser, slug)
        # The small Plotly bundle, of the version the plotly package describes figures for,
        # drew every chart; the full bundle (4.8 MB) was never asked for.
        assert browser.execute_script("return window.Plotly.version") == get_plotlyjs_version()
        assert browser.execute_script(UNKNOWN_TRACES_JS) == [], slug
        assert not [r.url for r in traffic.requests if "package_data/plotly" in r.url]
    for page in ("/", "/cooperativeview/list/", "/orderview/list/"):
        chromium.drain(browser)
        browser.get(deployment.base_url + page)
        chromium.network_idle(browser)
        _clean(browser, page)


def _pdf_code(path: Path) -> str:
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"\b([A-Z0-9]{5}-[A-Z0-9]{5})\b", text)
    assert match, "pas de code de vérification dans le PDF"
    return match.group(1)


def test_a_report_generated_through_nginx_downloads_and_verifies_as_authentic(
    deployment, browser, downloads
):
    from selenium.common.exceptions import StaleElementReferenceException

    if "/login" in browser.current_url or not browser.get_cookies():
        chromium.sign_in(browser, deployment.base_url, "ministere", PASSWORD)
    chromium.drain(browser)
    chromium.console_errors(browser)
    browser.get(f"{deployment.base_url}/rapports/ventes-mensuel/")
    period = browser.find_element("id", "period")
    period.clear()
    period.send_keys("2025-05")
    browser.find_element("css selector", "input[name=format][value=pdf]").click()
    browser.find_element("xpath", "//button[contains(., 'Générer le rapport')]").click()
    # `isoko worker` renders it: a small report is sent as the request waits; a national
    # one is queued and « Mes rapports » (refreshed every 5 s) offers it once ready.
    deadline = time.monotonic() + 180
    files: list[Path] = []
    clicked = False
    while time.monotonic() < deadline:
        files = [f for f in downloads.iterdir() if f.suffix == ".pdf" and f.stat().st_size]
        if files:
            break
        links = browser.find_elements("css selector", "a[href*='/telecharger']")
        if links and not clicked and "/mes-rapports" in browser.current_url:
            try:
                links[0].click()
                clicked = True
            except StaleElementReferenceException:  # the list reloaded meanwhile
                pass
        time.sleep(0.5)
    assert files, "le rapport n'a pas été téléchargé"
    report = files[0]
    assert report.read_bytes().startswith(b"%PDF")
    code = _pdf_code(report)

    browser.get(f"{deployment.base_url}/rapports/verifier/")
    browser.find_element("id", "code").send_keys(code)
    browser.find_element("id", "file").send_keys(str(report))
    browser.find_element("xpath", "//button[contains(., 'Vérifier')]").click()
    verdict = chromium.wait(
        browser,
        lambda d: d.find_elements("css selector", ".alert-success, .alert-danger"),
        "pas de verdict",
    )[0].text
    assert verdict.startswith("Document authentique"), verdict
    _clean(browser, "rapport")


def test_a_coordinator_dashboard_is_usable_on_a_throttled_mobile_connection(deployment):
    """1.6 Mbit/s and 150 ms RTT, cache empty: the charts come, scoped, without errors."""
    driver = chromium.start_chromium()
    try:
        chromium.sign_in(driver, deployment.base_url, "coord.gitega", PASSWORD)
        chromium.clear_cache(driver)
        chromium.drain(driver)
        chromium.console_errors(driver)
        chromium.throttle(driver, chromium.THROTTLED)
        seconds = chromium.time_to_first_chart(driver, f"{deployment.base_url}/dashboards/ventes")
        chromium.charts_drawn(driver, 6, timeout=180)
        chromium.network_idle(driver, timeout=180)
        driver.save_screenshot(str(ARTIFACTS / "ventes-coordinateur-3g.png"))
        print(f"premier graphique après {seconds:.1f} s (1,6 Mbit/s, 150 ms)")
        provinces = driver.find_element("id", "ventes-provinces").text
        assert "Gitega" in provinces and "Bujumbura" not in provinces  # own province only
        _clean(driver, "tableau de bord du coordinateur, connexion lente")
    finally:
        chromium.quit_chromium(driver)


# Money columns: every bigint column that is not a key (console.models.types.Money is the
# only BigInteger the models use for values).
MONEY_COLUMNS_SQL = """
SELECT c.table_name, c.column_name
FROM information_schema.columns c
WHERE c.table_schema = 'public' AND c.data_type = 'bigint'
  AND NOT EXISTS (
    SELECT 1 FROM information_schema.key_column_usage k
    WHERE k.table_schema = 'public' AND k.table_name = c.table_name
      AND k.column_name = c.column_name)
ORDER BY 1, 2
"""


def _fingerprint(url: str) -> dict[str, tuple]:
    """Per table: its row count; per money column: its sum and an md5 of its values in key
    order (all computed by PostgreSQL)."""
    engine = sa.create_engine(url)
    found: dict[str, tuple] = {}
    with engine.connect() as conn:
        tables = conn.scalars(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ).all()
        for table in tables:
            found[table] = (conn.scalar(sa.text(f'SELECT count(*) FROM "{table}"')),)
        for table, column in conn.execute(sa.text(MONEY_COLUMNS_SQL)):
            found[f"{table}.{column}"] = tuple(
                conn.execute(
                    sa.text(
                        f"SELECT sum(\"{column}\"), md5(string_agg(coalesce(\"{column}\"::text, '-'), ',' "
                        f'ORDER BY t::text)) FROM "{table}" t'
                    )
                ).one()
            )
    engine.dispose()
    return found


def test_backup_then_drop_then_restore_gives_back_every_row_and_every_franc(deployment):
    env = deployment.environment
    url = env["ISOKO_DATABASE_URL"]
    # The app and the worker stop first (as for an upgrade): nothing writes meanwhile.
    for service in deployment.services[1:3]:
        service.stop()
    before = _fingerprint(url)
    assert before["order_line.gross"][0] > 0 and before["payment.amount"][0] > 0
    assert before["sale_order"][0] > 0
    destination = deployment.workdir / "backups"
    done = subprocess.run(
        ["bash", str(ROOT / "deploy" / "backup.sh"), str(destination)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    dump = next(destination.glob("isoko-*.dump"))
    archive = next(destination.glob("isoko-files-*.tar.gz"))
    listing = subprocess.run(["tar", "-tzf", str(archive)], capture_output=True, text=True).stdout
    if before["report_archive"][0]:  # the report generated above
        assert ".pdf" in listing  # the archived report files are in the backup too

    name = url.rsplit("/", 1)[1]
    drop_database(url, PG_ADMIN_URL)
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    assert _fingerprint(url) == {}

    done = subprocess.run(
        ["bash", str(ROOT / "deploy" / "restore.sh"), str(dump)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _fingerprint(url) == before
