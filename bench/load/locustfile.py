"""Simulated console users: log in once, then lists, searches, dashboards and reports.

Run by ``python -m bench.load`` (``locust -f bench/load/locustfile.py --headless …``) with
ISOKO_LOAD_PLAN (accounts, search words, charts per role: see bench/load/plan.py) and
ISOKO_LOAD_SAMPLES (where every request's name, time and outcome is written at the end).

The client speaks HTTPS to the console, carried in clear on the loopback as between
nginx and gunicorn (bench.load.transport), so the app runs with its production settings
unchanged: Secure cookies, CSRF with its HTTPS Referer check. Every
response is checked: a status other than 200, a detour to /login/ or a missing marker
is a failure, so nothing fails silently.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections import defaultdict
from urllib.parse import urlencode, urlsplit

from locust import HttpUser, between, events, task

from bench.load.transport import install, secure_url
from tests.dash_requests import charts_body, page_body, search_body

PLAN = json.loads(open(os.environ["ISOKO_LOAD_PLAN"], encoding="utf-8").read())
SAMPLES: list[tuple] = []
_next_account = defaultdict(itertools.count)
# Share of each population that generates one report during the run (seeded per account):
# a report is an occasional act, and a WeasyPrint PDF costs seconds of CPU.
REPORT_SHARE = {"ministere": 0.2, "pnud": 0.0, "coordinateur": 0.2, "auditeur": 0.5}
# --skip-order-lists: a diagnostic run without the orders list and search.
SKIP_ORDERS = os.environ.get("ISOKO_LOAD_SKIP_ORDERS") == "1"
REPORT_POLL_S = 5  # "Mes rapports" refreshes itself every 5 s while a report is pending
REPORT_POLLS = 12
CSRF_INPUT = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)
FIRST_ROW = re.compile(r"<tbody>\s*<tr>(.*?)</tr>", re.S)
CODE = re.compile(r"<code>([^<]+)</code>")
DOWNLOAD = re.compile(r"/rapports/mes-rapports/(\d+)/telecharger")
MAGIC = {"pdf": b"%PDF", "xlsx": b"PK"}


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **_kw):
    """Keep every sample: exact percentiles, and errors dated against the fault drill."""
    SAMPLES.append(
        (
            time.time(),
            name,
            round(response_time, 1),
            None if exception is None else str(exception)[:300],
        )
    )


@events.quitting.add_listener
def _dump(**_kw):
    with open(os.environ["ISOKO_LOAD_SAMPLES"], "w", encoding="utf-8") as out:
        json.dump(SAMPLES, out)


class ConsoleUser(HttpUser):
    """A person at the console: signs in, then acts every 1 to 3 seconds."""

    abstract = True
    wait_time = between(1, 3)
    role = ""
    dashboards: tuple[str, ...] = ()

    def on_start(self) -> None:
        accounts = PLAN["accounts"][self.role]
        self.username = accounts[next(_next_account[self.role]) % len(accounts)]
        self.rng = random.Random(self.username)
        self.reports_left = int(self.rng.random() < REPORT_SHARE[self.role])
        self.requested = False  # earlier runs' reports (a reused database) are not ours to fetch
        self.failures_seen: set[str] = set()
        install(self.client, self.host, network=20)
        self.client.base_url = secure_url(self.host)
        self.login()

    # -- checks ------------------------------------------------------------------------

    def referer(self, path: str) -> str:
        """The Referer a browser sends; Flask-WTF checks it on HTTPS posts."""
        return secure_url(self.host) + path

    def check(self, response, expect: str | None = None, status: int = 200) -> bool:
        """Fail the sample unless the status, the final address and the content are right."""
        if response.status_code == 0:  # no HTTP answer at all: say what the socket said
            response.failure(
                f"pas de réponse : {type(response.error).__name__}: {response.error}"[:200]
            )
            return False
        if response.status_code != status:
            response.failure(f"HTTP {response.status_code}")
            return False
        if urlsplit(response.url).path.startswith("/login"):
            response.failure("renvoyé vers la page de connexion")
            return False
        if expect is not None and expect not in response.text:
            response.failure(f"contenu attendu absent : {expect!r}")
            return False
        response.success()
        return True

    def page(self, path: str, name: str, expect: str | None = None):
        """GET a console page and check it."""
        with self.client.get(path, name=name, catch_response=True) as response:
            return response if self.check(response, expect) else None

    def csrf_of(self, path: str, name: str) -> str | None:
        """The CSRF token of a form page."""
        response = self.page(path, name, "csrf_token")
        if response is None:
            return None
        match = CSRF_INPUT.search(response.text)
        return next(g for g in match.groups() if g) if match else None

    # -- login -------------------------------------------------------------------------

    def login(self) -> None:
        """FAB's login form, with its CSRF token; must land on the home page."""
        token = None
        with self.client.get(
            "/login/", name="[page] connexion (formulaire)", catch_response=True
        ) as response:
            match = CSRF_INPUT.search(response.text)
            if response.status_code == 200 and match:
                token = next(g for g in match.groups() if g)
                response.success()
            else:
                response.failure(f"HTTP {response.status_code} ou jeton CSRF absent")
        if token is None:
            return
        data = {"username": self.username, "password": PLAN["password"], "csrf_token": token}
        with self.client.post(
            "/login/",
            data=data,
            name="[page] connexion",
            headers={"Referer": self.referer("/login/")},
            catch_response=True,
        ) as response:
            self.check(response, "logout")

    # -- console pages -------------------------------------------------------------------

    @task(2)
    def home(self) -> None:
        self.page("/", "[page] accueil", "logout")

    def list_page(self, view: str, label: str, filters: dict | None = None) -> None:
        query = f"?{urlencode(filters)}" if filters else ""
        kind = "recherche" if filters else "liste"
        self.page(f"/{view}/list/{query}", f"[page] {kind} {label}", "logout")

    def orders(self) -> None:
        if SKIP_ORDERS:
            return
        roll = self.rng.random()
        if roll < 0.4:
            self.list_page("orderview", "commandes")
        elif roll < 0.7:
            self.list_page(
                "orderview",
                "commandes",
                {"_flt_0_reference": self.rng.choice(PLAN["order_prefixes"])},
            )
        else:  # paging back through recent orders
            self.page(
                f"/orderview/list/?page_OrderView={self.rng.randint(1, 20)}",
                "[page] liste commandes (page suivante)",
                "logout",
            )

    def list_or_search(self, view: str, label: str, field: str, values: list[str]) -> None:
        """The list as it opens (60 %), or filtered by a value typed in one search field."""
        if self.rng.random() < 0.6:
            self.list_page(view, label)
        else:
            self.list_page(view, label, {field: self.rng.choice(values)})

    def cooperatives(self) -> None:
        self.list_or_search(
            "cooperativeview", "coopératives", "_flt_2_name", PLAN["cooperative_words"]
        )

    def devices(self) -> None:
        self.list_or_search("deviceview", "tablettes", "_flt_0_asset_tag", PLAN["device_prefixes"])

    # -- dashboards --------------------------------------------------------------------

    def filter_values(self) -> dict:
        start, end = self.rng.choice(PLAN["periods"])
        province = None
        if self.role != "coordinateur" and self.rng.random() < 0.3:
            province = self.rng.choice(PLAN["provinces"])
        return {
            "du": start,
            "au": end,
            "carte": "2015",
            "province": province,
            "grain": self.rng.choice(["mois", "mois", "semaine"]),
            "jours": 90,
        }

    def callback(self, body: dict, name: str) -> None:
        """POST one Dash callback as the renderer does (CSRF header from the page's cookie)."""
        headers = {
            "X-CSRFToken": self.client.cookies.get("isoko_dash_csrf", ""),
            "Referer": self.referer("/dashboards/"),
        }
        with self.client.post(
            "/dashboards/_dash-update-component",
            json=body,
            name=name,
            headers=headers,
            catch_response=True,
        ) as response:
            if self.check(response) and '"response"' not in response.text:
                response.failure("réponse de rappel sans « response »")

    @task(4)
    def dashboard(self) -> None:
        """Open a dashboard (page, layout, dependencies, page callback), then its charts
        (one callback fills them all); half the time change the filters once, which
        redraws every chart."""
        charts = PLAN["charts"][self.role]
        slug = self.rng.choice([s for s in self.dashboards if s in charts] or list(charts))
        values = self.filter_values()
        query = urlencode({"du": values["du"], "au": values["au"]})
        path = f"/dashboards/{slug}"
        if self.page(f"{path}?{query}", f"[page] tableau de bord {slug}", "_dash-config") is None:
            return
        self.page("/dashboards/_dash-layout", "[page] dash : mise en page")
        self.page("/dashboards/_dash-dependencies", "[page] dash : dépendances")
        self.callback(page_body(path, f"?{query}"), "[rappel] page du tableau de bord")
        for round_ in range(2 if self.rng.random() < 0.5 else 1):
            changed = ()
            if round_:
                values = self.filter_values()
                changed = (f"{PLAN['filter_ids'][0]}.value",)
            body = charts_body(
                charts[slug], values, PLAN["filter_keys"], PLAN["filter_ids"], changed
            )
            self.callback(body, f"[rappel] graphiques {slug}")

    def dashboard_search(self) -> None:
        """Typing in the dashboards' cooperative filter (a search callback)."""
        if not PLAN["charts"][self.role]:
            return
        if self.client.cookies.get("isoko_dash_csrf") is None:
            self.page("/dashboards/ventes", "[page] tableau de bord ventes", "_dash-config")
        word = self.rng.choice(PLAN["cooperative_words"])[:4]
        self.callback(search_body(word), "[rappel] recherche coopérative")

    # -- reports -----------------------------------------------------------------------

    def check_file(self, response, fmt: str) -> None:
        if self.check(response) and not response.content.startswith(MAGIC[fmt]):
            response.failure(f"fichier {fmt} invalide ({response.headers.get('Content-Type')})")

    def province_report(self) -> None:
        """A province's monthly sales PDF: small, generated on the request and sent back."""
        if self.reports_left <= 0:
            return self.my_reports()
        self.reports_left -= 1
        self.requested = True
        province = PLAN["coordinator_provinces"].get(self.username) or "BI-GI"
        token = self.csrf_of("/rapports/ventes-mensuel/", "[page] formulaire de rapport")
        if token is None:
            return None
        data = {
            "period": PLAN["report_period"],
            "province": province,
            "map": "2015",
            "format": "pdf",
            "csrf_token": token,
        }
        with self.client.post(
            "/rapports/ventes-mensuel/generer",
            data=data,
            allow_redirects=False,
            name="[rapport] génération immédiate (province, PDF)",
            headers={"Referer": self.referer("/rapports/ventes-mensuel/")},
            catch_response=True,
        ) as response:
            waited_too_long = (
                response.status_code == 302
                and "/rapports/mes-rapports" in response.headers.get("Location", "")
            )
            if not waited_too_long:
                self.check_file(response, "pdf")
                return None
            response.success()  # not rendered within ISOKO_REPORTS_WAIT_S: offered in « Mes rapports »
        return self.wait_in_my_reports("pdf")

    def national_report(self) -> None:
        """A national report: queued to RQ, then "Mes rapports" until ready, then download."""
        if self.reports_left <= 0:
            return self.my_reports()
        self.reports_left -= 1
        self.requested = True
        key, fmt = self.rng.choice(
            [("ventes-mensuel", "xlsx"), ("ventes-mensuel", "pdf"), ("recettes-fiscales", "pdf")]
        )
        token = self.csrf_of(f"/rapports/{key}/", "[page] formulaire de rapport")
        if token is None:
            return None
        data = {
            "period": PLAN["report_period"],
            "province": "",
            "map": "2015",
            "format": fmt,
            "csrf_token": token,
        }
        with self.client.post(
            f"/rapports/{key}/generer",
            data=data,
            allow_redirects=False,
            name="[rapport] demande nationale (file RQ)",
            headers={"Referer": self.referer(f"/rapports/{key}/")},
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or "/rapports/mes-rapports" not in location:
                response.failure(f"HTTP {response.status_code} vers {location or '—'}")
                return None
            response.success()
        return self.wait_in_my_reports(fmt)

    def wait_in_my_reports(self, fmt: str) -> None:
        """ "Mes rapports" until the report is ready, then its download."""
        for _ in range(REPORT_POLLS):
            archive_id = self.my_reports(fmt)
            if archive_id is not None:
                return None
            time.sleep(REPORT_POLL_S)
        return None  # still queued: the run's final check waits for it

    def my_reports(self, fmt: str | None = None) -> int | None:
        """ "Mes rapports": download the newest report when it is ready; its id, else None."""
        response = self.page("/rapports/mes-rapports/", "[page] mes rapports", "Mes rapports")
        if response is None or not self.requested:
            return None
        row = FIRST_ROW.search(response.text)
        if row is None:
            return None
        if "label-danger" in row.group(1):
            code = CODE.search(row.group(1))
            if code is None or code.group(1) in self.failures_seen:
                return -1  # one failed report is one error, however often the list is read
            self.failures_seen.add(code.group(1))
            text = re.sub(r"<[^>]+>|\s+", " ", row.group(1)).strip()[:200]
            self.environment.events.request.fire(
                request_type="CHECK",
                name="[rapport] état dans Mes rapports",
                response_time=0,
                response_length=0,
                exception=RuntimeError(f"rapport en échec : {text}"),
                context={},
            )
            return -1
        ready = DOWNLOAD.search(row.group(1))
        if ready is None:
            return None
        fmt = fmt or ("xlsx" if "XLSX" in row.group(1) else "pdf")
        with self.client.get(
            f"/rapports/mes-rapports/{ready.group(1)}/telecharger",
            name="[rapport] téléchargement",
            catch_response=True,
        ) as download:
            self.check_file(download, fmt)
        return int(ready.group(1))


class Ministry(ConsoleUser):
    """Ministère: national lists, every dashboard, a province report now and then."""

    weight = PLAN["weights"]["ministere"]
    role = "ministere"
    dashboards = ("ventes", "mevente", "recettes", "pilote")
    tasks = {
        ConsoleUser.cooperatives: 3,
        ConsoleUser.orders: 3,
        ConsoleUser.devices: 1,
        ConsoleUser.dashboard_search: 1,
        ConsoleUser.province_report: 1,
    }


class Undp(ConsoleUser):
    """PNUD: the pilot programme, cooperatives and tablets."""

    weight = PLAN["weights"]["pnud"]
    role = "pnud"
    dashboards = ("pilote", "pilote", "ventes", "mevente")
    tasks = {
        ConsoleUser.cooperatives: 3,
        ConsoleUser.devices: 3,
        ConsoleUser.orders: 1,
        ConsoleUser.dashboard_search: 1,
    }


class Coordinator(ConsoleUser):
    """Coordinateur provincial: the same pages, limited to the province on the account."""

    weight = PLAN["weights"]["coordinateur"]
    role = "coordinateur"
    dashboards = ("ventes", "mevente", "pilote")
    tasks = {
        ConsoleUser.cooperatives: 3,
        ConsoleUser.orders: 2,
        ConsoleUser.devices: 2,
        ConsoleUser.dashboard_search: 1,
        ConsoleUser.province_report: 1,
    }


class Auditor(ConsoleUser):
    """Auditeur fiscal (OBR): orders, tax receipts, and one national report per session."""

    weight = PLAN["weights"]["auditeur"]
    role = "auditeur"
    dashboards = ("recettes", "recettes", "ventes")
    tasks = {ConsoleUser.orders: 4, ConsoleUser.national_report: 1}
