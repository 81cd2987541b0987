"""The dashboards in a real browser: log in, open each one, change a filter, no console errors.

Headless Chromium (Debian's `chromium` and `chromium-driver`) driven by Selenium, against
the app served on a free localhost port with demo data and CSRF protection on.
Screenshots go to test-artifacts/dashboards/. Outside CI the test skips, saying why,
when Chromium is not installed; under CI=true it must run.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from .chromium import missing_browser, quit_chromium, start_chromium
from .conftest import IN_CI, PASSWORD, build_app, close_app, create_user, make_database_url

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "dashboards"
WAIT_S = 60

pytestmark = pytest.mark.browser


def _browser_or_skip():
    missing = missing_browser()
    if missing:
        reason = "navigateur absent pour le test des tableaux de bord : " + ", ".join(missing)
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def served(backend, tmp_path_factory):
    """A seeded app (CSRF on) served on 127.0.0.1 in a thread; yields its base URL."""
    _browser_or_skip()
    from werkzeug.serving import make_server

    from console.demo.seed import seed_demo
    from console.extensions import db
    from console.services.facts import refresh_facts

    url = make_database_url(backend, tmp_path_factory)
    app = build_app(url, {"WTF_CSRF_ENABLED": True})
    with app.app_context():
        seed_demo(db, order_lines=4000, seed=11, until=dt.date(2025, 6, 30))
        refresh_facts(db.session)
        db.session.commit()
    create_user(app, "ministere", "Ministère")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    close_app(app, url)


@pytest.fixture(scope="module")
def browser(served):
    driver = start_chromium(WAIT_S)
    yield driver
    quit_chromium(driver)


def _wait(driver, condition, message):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # An element re-drawn while it is read (select2's results as they arrive) is read again.
    return WebDriverWait(
        driver, WAIT_S, poll_frequency=0.25, ignored_exceptions=(StaleElementReferenceException,)
    ).until(condition, message)


def _charts_rendered(driver, at_least: int):
    """Wait until Dash has drawn ``at_least`` Plotly charts and nothing is loading."""

    def ready(d):
        plots = d.find_elements("css selector", ".js-plotly-plot")
        loading = d.find_elements("css selector", "[data-dash-is-loading='true']")
        return len(plots) >= at_least and not loading

    _wait(driver, ready, f"moins de {at_least} graphiques affichés")


def _severe_logs(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _log_in(driver, base):
    driver.get(f"{base}/login/")
    driver.find_element("name", "username").send_keys("ministere")
    driver.find_element("name", "password").send_keys(PASSWORD)
    driver.find_element("css selector", "form input[type=submit], form button[type=submit]").click()
    _wait(driver, lambda d: "/login" not in d.current_url, "la connexion a échoué")


# slug, the number of Plotly charts the page draws
PAGES = [("ventes", 6), ("mevente", 6), ("recettes", 4), ("pilote", 5)]


def test_each_dashboard_renders_its_charts_after_a_real_login(served, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _log_in(browser, served)
    browser.get_log("browser")  # the login page's messages are not the dashboards'
    for slug, charts in PAGES:
        browser.get(f"{served}/dashboards/{slug}")
        _charts_rendered(browser, charts)
        assert "isoko-banner" in browser.page_source  # the console's banner and menu around it
        browser.save_screenshot(str(ARTIFACTS / f"{slug}.png"))
        assert _severe_logs(browser) == [], slug


def test_changing_a_filter_redraws_the_charts_and_records_it_in_the_url(served, browser):
    browser.get(f"{served}/dashboards/ventes")
    _charts_rendered(browser, 6)
    browser.find_element("css selector", "#f-carte input[value='2025']").click()
    _wait(
        browser,
        lambda d: "carte=2025" in d.current_url,
        "la carte choisie n'est pas dans l'adresse",
    )
    grain = browser.find_element("css selector", "input[value='semaine']")
    grain.click()
    _wait(
        browser,
        lambda d: "grain=semaine" in d.current_url,
        "le regroupement n'est pas dans l'adresse",
    )
    _wait(
        browser,
        lambda d: len(d.find_elements("css selector", "#ventes-evolution .bars .point")) > 40,
        "le graphique ne s'est pas redessiné par semaine (une barre par semaine)",
    )
    _charts_rendered(browser, 6)
    provinces = browser.find_element("id", "ventes-provinces").text
    assert any(name in provinces for name in ("Buhumuza", "Burunga", "Butanyerera"))  # 2025 map
    browser.save_screenshot(str(ARTIFACTS / "ventes-filtre.png"))
    assert _severe_logs(browser) == []

    # The link reproduces the view: opening it afresh shows the same choices.
    browser.get(browser.current_url)
    _charts_rendered(browser, 6)
    assert browser.find_element("css selector", "#f-carte input[value='2025']").is_selected()
    assert len(browser.find_elements("css selector", "#ventes-evolution .bars .point")) > 40


def test_a_leakage_flag_drills_down_to_the_sellers_stamped_lines(served, browser):
    browser.get(f"{served}/dashboards/recettes")
    _charts_rendered(browser, 4)
    _wait(
        browser,
        lambda d: d.find_elements("css selector", "#recettes-alertes button"),
        "aucun signalement",
    )
    browser.find_elements("css selector", "#recettes-alertes button")[0].click()
    _wait(browser, lambda d: "cooperative=" in d.current_url, "le vendeur n'est pas dans l'adresse")
    _wait(
        browser,
        lambda d: d.find_elements("css selector", "#recettes-lignes table tbody tr"),
        "les lignes du vendeur ne s'affichent pas",
    )
    browser.save_screenshot(str(ARTIFACTS / "recettes-lignes.png"))
    headers = [th.text for th in browser.find_elements("css selector", "#recettes-lignes th")]
    assert {"Règle", "Taux", "Taxe"} <= set(headers)  # the rule and rate stamped on each line
    assert _severe_logs(browser) == []


def test_the_orders_seller_filter_fetches_its_options_as_the_user_types(served, browser):
    """The console's relation filter on a large table (console/static/isoko/choices.js)."""
    browser.get(f"{served}/orderview/list/")
    if "/login" in browser.current_url:  # run on its own
        _log_in(browser, served)
        browser.get(f"{served}/orderview/list/")
    _severe_logs(browser)  # read (and so drop) what earlier pages logged, e.g. a favicon
    rows = "table.table:not(.filters) tbody tr"
    headers = [
        th.text for th in browser.find_elements("css selector", "table.table:not(.filters) th")
    ]
    column = headers.index("Vendeur")
    seller_name = (
        browser.find_elements("css selector", rows)[0]
        .find_elements("css selector", "td")[column]
        .text
    )
    browser.find_element("css selector", "a.accordion-toggle").click()  # the search panel
    _wait(
        browser,
        lambda d: d.find_element("css selector", "#filter_form .dropdown-toggle").is_displayed(),
        "le panneau de recherche ne s'ouvre pas",
    )
    browser.find_element("css selector", "#filter_form .dropdown-toggle").click()
    seller = "#filter_form a.filter[name='seller']"
    _wait(browser, lambda d: d.find_element("css selector", seller).is_displayed(), "menu fermé")
    browser.find_element("css selector", seller).click()
    box = "select.isoko-choice-search + .select2-container .select2-selection"  # not the operator's
    _wait(
        browser,
        lambda d: d.find_elements("css selector", box),
        "le filtre vendeur n'est pas devenu une boîte de recherche",
    )
    browser.find_element("css selector", box).click()
    search = _wait(
        browser,
        lambda d: d.find_elements(
            "css selector", ".select2-container--open .select2-search__field"
        ),
        "pas de champ de recherche",
    )[0]
    search.send_keys(seller_name)
    options = _wait(
        browser,
        lambda d: [
            o
            for o in d.find_elements("css selector", ".select2-results__option")
            if o.text == seller_name
        ],
        f"« {seller_name} » n'est pas proposé",
    )
    chosen = options[0].text
    options[0].click()
    browser.find_element("css selector", "#filter_form button[type='submit']").click()
    _wait(browser, lambda d: "_flt_0_seller=" in d.current_url, "le filtre n'est pas appliqué")
    found = browser.find_elements("css selector", rows)
    assert found and all(chosen in row.text for row in found)
    # The chosen seller is shown again in the filter after the page reloads (in the
    # search panel, folded: its text is read, not its display).
    rendered = "select.isoko-choice-search + .select2-container .select2-selection__rendered"
    _wait(
        browser,
        lambda d: any(
            chosen in e.get_attribute("textContent")
            for e in d.find_elements("css selector", rendered)
        ),
        "le vendeur choisi n'est plus affiché",
    )
    browser.save_screenshot(str(ARTIFACTS / "commandes-filtre-vendeur.png"))
    assert _severe_logs(browser) == []


def _province_labels(text: str) -> set[str]:
    """The 2015 provinces a chart's text names."""
    from console.reference.geography_data import PROVINCES_2015

    return {name for _, name, _, _ in PROVINCES_2015 if name in text}


def _map_drawn(driver, slug: str, provinces: int):
    """Wait until the page's map shows ``provinces`` filled shapes and its clickable markers."""

    def drawn(d):
        shapes = d.find_elements("css selector", f"#{slug}-carte .scatterlayer .trace path.js-fill")
        points = d.find_elements("css selector", f"#{slug}-carte .scatterlayer .trace path.point")
        loading = d.find_elements("css selector", "[data-dash-is-loading='true']")
        return len(shapes) >= provinces and points and not loading

    _wait(driver, drawn, f"la carte de {slug} n'affiche pas {provinces} provinces")


def test_the_province_maps_draw_offline_and_a_click_filters_the_province(served, browser):
    """Both maps on the three pages, from the console's own files only (the CSP allows
    'self': a request elsewhere would be a console error); a click on a province's marker
    sets the province filter, and the charts follow."""
    from selenium.webdriver.common.action_chains import ActionChains

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.get(f"{served}/dashboards/")
    if "/login" in browser.current_url:  # run on its own
        _log_in(browser, served)
    _severe_logs(browser)
    period = "du=2024-07&au=2025-06"
    for slug in ("ventes", "mevente", "pilote"):
        for version, provinces in (("2015", 18), ("2025", 5)):
            browser.get(f"{served}/dashboards/{slug}?{period}&carte={version}")
            _map_drawn(browser, slug, provinces)
            text = browser.find_element("id", f"{slug}-carte").text
            assert "geoBoundaries" in text
            assert ("approximative" in text) == (version == "2025")
            assert _severe_logs(browser) == [], (slug, version)
    browser.save_screenshot(str(ARTIFACTS / "carte-pilote-2025.png"))

    browser.get(f"{served}/dashboards/ventes?{period}&carte=2015")
    _map_drawn(browser, "ventes", 18)
    _charts_rendered(browser, 6)
    # Trace 19, after the 18 shapes: the markers, by province code (Gitega, BI-GI, seventh).
    marker_trace = "#ventes-carte .scatterlayer .trace:nth-of-type(19) path.point"
    points = browser.find_elements("css selector", marker_trace)
    assert len(points) == 18
    ActionChains(browser).move_to_element(points[6]).click().perform()
    _wait(browser, lambda d: "province=BI-GI" in d.current_url, "le clic n'a pas filtré Gitega")
    _wait(
        browser,
        lambda d: _province_labels(d.find_element("id", "ventes-provinces").text) == {"Gitega"},
        "les graphiques ne montrent pas la seule province de Gitega",
    )
    browser.save_screenshot(str(ARTIFACTS / "carte-clic-gitega.png"))
    assert _severe_logs(browser) == []


_RECTS = """
const rect = (el) => { const r = el.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
const chart = document.querySelector(arguments[0] + ' .js-plotly-plot');
// A label's box in its own (rotated) frame: angled labels' screen boxes overlap even
// when their text does not, so they are compared upright.
const upright = (el) => { const b = el.getBBox(), m = el.getScreenCTM();
  const angle = Math.atan2(m.b, m.a), cos = Math.cos(-angle), sin = Math.sin(-angle);
  const pts = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height],
               [b.x + b.width, b.y + b.height]].map(([x, y]) => {
    const sx = m.a * x + m.c * y + m.e, sy = m.b * x + m.d * y + m.f;
    return [cos * sx - sin * sy, sin * sx + cos * sy]; });
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  return {left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys),
          bottom: Math.max(...ys), angle: angle * 180 / Math.PI}; };
const all = (sel) => Array.from(chart.querySelectorAll(sel)).map(rect);
return {svg: rect(chart.querySelector('.main-svg')), legend: all('.legend'),
        modebar: all('.modebar'), y2title: all('.g-y2title text'), y2ticks: all('.y2tick text'),
        xticks: all('.xtick text'), xlabels: Array.from(chart.querySelectorAll('.xtick text'))
          .map(upright)};
"""


def _overlap(a, b, slack=0.5) -> bool:
    return (
        a["left"] < b["right"] - slack
        and b["left"] < a["right"] - slack
        and a["top"] < b["bottom"] - slack
        and b["top"] < a["bottom"] - slack
    )


def _inside(inner, outer) -> bool:
    return (
        inner["left"] >= outer["left"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
        and inner["top"] >= outer["top"] - 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
    )


def _chart_rects(driver, chart_id: str) -> dict:
    from selenium.webdriver.common.action_chains import ActionChains

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    graph = driver.find_element("css selector", f"#{chart_id} .js-plotly-plot")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", graph)
    ActionChains(driver).move_to_element(graph).perform()  # the toolbar shows on hover
    return driver.execute_script(_RECTS, f"#{chart_id}")


def test_right_axes_fit_the_chart_and_the_toolbar_stays_off_the_legend(served, browser):
    browser.get(f"{served}/dashboards/ventes")
    if "/login" in browser.current_url:  # run on its own
        _log_in(browser, served)
        browser.get(f"{served}/dashboards/ventes")
    _charts_rendered(browser, 6)
    for slug, chart_id in (("ventes", "ventes-evolution"), ("mevente", "mevente-offre-vente")):
        if slug != "ventes":
            browser.get(f"{served}/dashboards/{slug}")
            _charts_rendered(browser, 6)
        rects = _chart_rects(browser, chart_id)
        right_axis = rects["y2ticks"] + rects["y2title"]
        assert rects["y2ticks"], chart_id
        assert all(_inside(r, rects["svg"]) for r in right_axis), (chart_id, rects)
        if chart_id == "ventes-evolution":
            assert rects["y2title"], "le titre de l'axe de droite « commandes » manque"
        assert rects["legend"] and rects["modebar"], chart_id
        assert not any(
            _overlap(legend, bar) for legend in rects["legend"] for bar in rects["modebar"]
        ), (chart_id, rects["legend"], rects["modebar"])
        browser.save_screenshot(str(ARTIFACTS / f"{chart_id}-axes.png"))


def test_province_names_under_columns_are_all_shown_and_do_not_overlap(served, browser):
    browser.get(f"{served}/dashboards/pilote")
    if "/login" in browser.current_url:
        _log_in(browser, served)
    try:
        for width, slug, charts, chart_id in (
            (900, "pilote", 5, "pilote-tablettes"),
            (900, "pilote", 5, "pilote-actives"),
            (900, "recettes", 4, "recettes-provinces"),
            # A phone: the 18 names must angle, not collide or be skipped.
            (420, "recettes", 4, "recettes-provinces"),
        ):
            browser.set_window_size(width, 2400)
            browser.get(f"{served}/dashboards/{slug}?carte=2015")
            _charts_rendered(browser, charts)
            rects = _chart_rects(browser, chart_id)
            browser.save_screenshot(str(ARTIFACTS / f"{chart_id}-provinces-{width}.png"))
            ticks = rects["xticks"]
            assert len(ticks) >= 10, (chart_id, len(ticks))  # every province, none skipped
            assert all(_inside(t, rects["svg"]) for t in ticks), chart_id
            labels = rects["xlabels"]
            overlapping = [
                (a, b) for i, a in enumerate(labels) for b in labels[i + 1 :] if _overlap(a, b)
            ]
            assert not overlapping, (chart_id, overlapping)
    finally:
        browser.set_window_size(1400, 2400)


def test_wide_tables_scroll_inside_their_box_on_a_phone(served, browser):
    browser.get(f"{served}/orderview/list/")
    if "/login" in browser.current_url:
        _log_in(browser, served)
    browser.set_window_size(390, 844)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pages = {
            "orderview": ("/orderview/list/", "table.table:not(.filters)"),
            "recettes-lignes": ("/dashboards/recettes", "#recettes-alertes table"),
        }
        for name, (path, selector) in pages.items():
            browser.get(f"{served}{path}")
            _wait(
                browser,
                lambda d, s=selector: d.find_elements("css selector", s),
                f"pas de tableau sur {path}",
            )
            found = browser.execute_script(
                """
                const table = document.querySelector(arguments[0]);
                let box = table.parentElement;
                while (box && getComputedStyle(box).overflowX !== 'auto'
                       && getComputedStyle(box).overflowX !== 'scroll') box = box.parentElement;
                return {page: document.documentElement.scrollWidth, view: window.innerWidth,
                        table: table.scrollWidth,
                        box: box ? box.clientWidth : null};
                """,
                selector,
            )
            browser.save_screenshot(str(ARTIFACTS / f"{name}-phone.png"))
            assert found["box"] is not None, (name, found)  # a scrolling container holds it
            assert found["box"] <= found["view"], (name, found)
            assert found["page"] <= found["view"] + 1, (name, found)  # the page does not scroll
            # The table keeps readable columns (not one word a line): far wider than the
            # phone, it scrolls sideways inside its box.
            assert found["table"] >= 1.5 * found["view"], (name, found)
    finally:
        browser.set_window_size(1400, 2400)
