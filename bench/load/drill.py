"""The fault drill, run while the simulated users work: Redis stopped for 10 seconds, then
the RQ worker restarted, then killed, each time in the middle of a report.

It passes when every report it asked for ends done, downloadable and authentic (its
verification code and file accepted by /rapports/verifier/), every page it probed
during the outage answered 200, and the archive holds one row per request.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlalchemy as sa

from tests.dash_requests import charts_body

from .client import ConsoleSession
from .plan import DRILL_ACCOUNT, PROBE_ACCOUNT
from .processes import Service, wait_for_redis
from .supervision import WorkerSupervisor, wait_for_reports

# The report the worker faults interrupt: the tax workbook (every order line of its period),
# over a period the plan picks so that it runs for seconds, not minutes (bench.load.plan).
HEAVY_REPORT = "recettes-fiscales"
LIGHT = ("ventes-mensuel", {"period": "2026-05", "province": "", "map": "2015", "format": "pdf"})
OUTAGE_S = 10.0
STOP_GRACE_S = (
    120.0  # systemd waits TimeoutStopSec (600 s in deploy/isoko-worker@.service); bounded here
)
PROBE_PAUSE_S = 0.3
PROBE_TIMEOUT_S = 15.0
# Pages whose answer depends on Redis (cache, limiter, queue) or that every user opens; the
# orders list is left to the simulated users: its cost at 1M lines is not Redis's doing.
PROBES = (
    ("/", "accueil"),
    ("/cooperativeview/list/", "liste des coopératives"),
    ("/dashboards/ventes", "tableau de bord ventes"),
    ("/rapports/mes-rapports/", "mes rapports"),
    ("/health", "/health"),
)


def _now() -> str:
    return time.strftime("%H:%M:%S")


@dataclass
class DrillReport:
    """A report the drill asked for, and what became of it."""

    step: str
    archive_id: int | None = None
    code: str = ""
    status: str = "non demandé"
    error: str = ""
    running_at_fault: bool = False
    waited_for_redis: bool = False  # recorded without a job: Redis did not answer
    took_s: float | None = None  # from the request to the finished file
    downloaded: bool = False
    authentic: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "done" and self.downloaded and self.authentic


@dataclass
class DrillOutcome:
    """What happened, in order, and what went wrong."""

    log: list[str] = field(default_factory=list)
    reports: list[DrillReport] = field(default_factory=list)
    probes: Counter = field(default_factory=Counter)
    probe_failures: list[str] = field(default_factory=list)
    outage: tuple[float, float] | None = None
    unplanned_worker_restarts: int = 0
    rows_recorded: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def say(self, line: str) -> None:
        """Log a step (printed live, kept for the results)."""
        self.log.append(f"{_now()} {line}")
        print(f"   [exercice] {line}", flush=True)


class Drill:
    """The three faults, in order, against running services."""

    def __init__(
        self,
        base_url: str,
        database_url: str,
        plan: dict,
        redis: Service,
        redis_port: int,
        supervisor: WorkerSupervisor,
        wait_s: float,
    ) -> None:
        self.base_url = base_url
        # The probe's charts: the sales page's, national, over the last twelve months.
        charts = plan["charts"]["ministere"]["ventes"]
        start, end = plan["periods"][0]
        values = {"du": start, "au": end, "carte": "2015", "grain": "mois", "jours": 90}
        self.callback_body = charts_body(charts, values, plan["filter_keys"], plan["filter_ids"])
        self.heavy = (
            HEAVY_REPORT,
            {"period": plan["drill_period"], "province": "", "map": "2015", "format": "xlsx"},
        )
        self.probes = (*PROBES[:4], ("CALLBACK", "rappel graphiques ventes"), *PROBES[4:])
        self.engine = sa.create_engine(database_url, pool_pre_ping=True)
        self.redis = redis
        self.redis_port = redis_port
        self.supervisor = supervisor
        self.outcome = supervisor.outcome
        self.wait_s = wait_s
        self.session = ConsoleSession(base_url)
        self.accepted = 0  # requests the console answered with its redirect to "Mes rapports"
        self.first_id = 0  # set by the runner: a reused database keeps earlier runs' rows

    # -- reports -----------------------------------------------------------------------

    def _row(self, archive_id: int) -> dict:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.text(
                        "SELECT code, status, progress, error, requested_at, finished_at, job_id "
                        "FROM report_archive "
                        "WHERE id = :i"
                    ),
                    {"i": archive_id},
                )
                .mappings()
                .one()
            )
        return dict(row)

    def _newest_id(self) -> int | None:
        with self.engine.connect() as conn:
            return conn.scalar(
                sa.text("SELECT max(id) FROM report_archive WHERE requested_by = :u"),
                {"u": DRILL_ACCOUNT},
            )

    def request(self, step: str, which=None, token: str | None = None) -> DrillReport:
        """Ask for a national report through the form, as a person would (``token``: the
        form's CSRF token, when the form was opened beforehand)."""
        session = self.session
        report = DrillReport(step)
        self.outcome.reports.append(report)
        key, values = which or self.heavy
        before = self._newest_id()
        token = token or session.token(f"/rapports/{key}/")
        response = session.post(
            f"/rapports/{key}/generer", allow_redirects=False, data=values | {"csrf_token": token}
        )
        if response.status_code != 302:
            report.status = f"HTTP {response.status_code}"
            report.error = response.text[:300]
            return report
        self.accepted += 1
        newest = self._newest_id()
        if newest is None or newest == before:
            report.status = "aucune ligne archivée"
            return report
        report.archive_id = newest
        row = self._row(newest)
        report.code, report.status, report.error = row["code"], row["status"], row["error"] or ""
        report.waited_for_redis = row["status"] == "queued" and row["job_id"] is None
        return report

    def wait_running(self, report: DrillReport, timeout: float) -> bool:
        """Wait until the worker has started the report; False if it ended or never started."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and report.archive_id is not None:
            row = self._row(report.archive_id)
            report.status = row["status"]
            if row["status"] == "running":
                return True
            if row["status"] in ("done", "failed"):
                return False
            time.sleep(0.1)
        return False

    # -- the faults --------------------------------------------------------------------

    def worker_fault(self, label: str, sig: int, grace: float, attempts: int = 3) -> None:
        """Stop the worker with ``sig`` while it generates a report, then start it again."""
        for attempt in range(1, attempts + 1):
            report = self.request(f"{label} (essai {attempt})")
            if report.archive_id is None:
                self.outcome.problems.append(
                    f"{label} : la demande de rapport a échoué ({report.status})"
                )
                return
            if not self.wait_running(report, timeout=self.wait_s):
                if report.status == "queued":  # the worker is busy: another request would not help
                    self.outcome.problems.append(
                        f"{label} : rapport {report.code} encore en file après {self.wait_s:.0f} s, "
                        "panne non provoquée"
                    )
                    return
                self.outcome.say(
                    f"{label} : rapport {report.code} fini ({report.status}) avant la "
                    "panne, nouvel essai"
                )
                continue
            with self.supervisor.lock:
                progress = self._row(report.archive_id)["progress"]
                report.running_at_fault = True
                self.outcome.say(
                    f"{label} : rapport {report.code} en cours ({progress} %) → "
                    f"{signal.Signals(sig).name} à tous les processus du travailleur"
                )
                self.supervisor.worker.stop(sig, grace=grace)
                self.supervisor.worker.start()
            self.outcome.say(f"{label} : nouveau travailleur démarré")
            return
        self.outcome.problems.append(
            f"{label} : aucun rapport surpris en cours de génération "
            f"en {attempts} essais (rapports trop rapides à cette échelle)"
        )

    def probe_once(self, session: ConsoleSession, stop: threading.Event | None = None) -> None:
        """One round of pages and a chart callback (cut short when ``stop`` is set);
        anything but 200 is recorded."""
        for path, label in self.probes:
            if stop is not None and stop.is_set():
                return
            try:
                if path == "CALLBACK":
                    response = session.post(
                        "/dashboards/_dash-update-component",
                        json=self.callback_body,
                        headers={"X-CSRFToken": session.cookies.get("isoko_dash_csrf", "")},
                    )
                else:
                    response = session.get(path)
                status = (
                    response.status_code
                    if session.answered(response)
                    else (f"{response.status_code} → {urlsplit(response.url).path}")
                )
            except Exception as error:  # noqa: BLE001 - a refused connection is an answer too
                status = type(error).__name__
            self.outcome.probes[(label, status)] += 1
            if status != 200:
                self.outcome.probe_failures.append(f"{_now()} {label} : {status}")
            time.sleep(PROBE_PAUSE_S)

    def redis_outage(self) -> None:
        """Stop our Redis (gracefully, AOF flushed) for exactly 10 s; meanwhile another
        thread reads pages, asks for a report and signs in, as people would."""
        before = self.request("Redis : demandé juste avant la coupure", LIGHT)
        # A page that takes longer than this during the outage has not answered.
        probe = ConsoleSession(self.base_url, timeout=PROBE_TIMEOUT_S)
        probe.login(PROBE_ACCOUNT)
        probe.get("/dashboards/ventes")  # the dashboards' CSRF cookie
        self.outcome.say(f"Redis : arrêt pour {OUTAGE_S:.0f} s (rapport {before.code} en file)")
        back = threading.Event()

        def reader() -> None:
            while not back.is_set():
                self.probe_once(probe, stop=back)

        # The form is open before the outage, as on a person's screen: the click that
        # sends it is all that must reach the console while Redis is down.
        token = self.session.token(f"/rapports/{LIGHT[0]}/")

        def requester() -> None:
            try:
                report = self.request("Redis : demandé pendant la coupure", LIGHT, token)
            except Exception as error:  # noqa: BLE001 - recorded, the drill goes on
                self.outcome.problems.append(f"demande de rapport pendant la coupure : {error}")
            else:
                if report.archive_id is not None and not report.waited_for_redis:
                    self.outcome.problems.append(
                        f"rapport {report.code} demandé pendant la coupure mais traité après le "
                        "retour de Redis (serveur saturé) : ce cas n'a pas été exercé"
                    )
            self._login_during_outage()

        started = time.time()
        self.redis.stop(signal.SIGTERM, grace=10)
        people = [
            threading.Thread(target=task, name=f"outage-{task.__name__}", daemon=True)
            for task in (reader, requester)
        ]
        for person in people:
            person.start()
        time.sleep(max(0.0, started + OUTAGE_S - time.time()))
        self.redis.start()
        wait_for_redis(self.redis_port)
        ended = time.time()
        back.set()
        self.outcome.outage = (started, ended)
        self.outcome.say(f"Redis : redémarré après {ended - started:.1f} s")
        for person in people:
            person.join(timeout=4 * PROBE_TIMEOUT_S)
        for _ in range(2):
            self.probe_once(probe)

    def _login_during_outage(self) -> None:
        """A person signing in while Redis (the login rate limiter's storage) is down."""
        try:
            ConsoleSession(self.base_url, timeout=PROBE_TIMEOUT_S).login(PROBE_ACCOUNT)
            self.outcome.probes[("connexion", 200)] += 1
        except Exception as error:  # noqa: BLE001 - recorded, the drill goes on
            self.outcome.probes[("connexion", "refusée")] += 1
            self.outcome.probe_failures.append(f"{_now()} connexion : {error}")

    # -- the verdict -------------------------------------------------------------------

    def settle(self, deadline: float) -> None:
        """Wait (bounded) for the drill's reports to end, reading "Mes rapports" as a person
        would (the page also marks lost jobs as failed); then download and verify each."""
        pending = [r for r in self.outcome.reports if r.archive_id is not None]
        wait_for_reports(
            self.engine,
            self.first_id,
            deadline,
            tick=lambda: self.session.get("/rapports/mes-rapports/"),
        )
        for report in pending:
            row = self._row(report.archive_id)
            report.status, report.error = row["status"], row["error"] or ""
            if row["finished_at"] is not None:
                report.took_s = (row["finished_at"] - row["requested_at"]).total_seconds()
            if report.status == "done":
                self.verify(report)

    def verify(self, report: DrillReport) -> None:
        """Download the file, then have /rapports/verifier/ check its code and bytes."""
        response = self.session.get(f"/rapports/mes-rapports/{report.archive_id}/telecharger")
        report.downloaded = self.session.answered(response) and len(response.content) > 0
        if not report.downloaded:
            return
        name = (
            response.headers.get("Content-Disposition", "rapport").split("filename=")[-1].strip('"')
        )
        check = self.session.post(
            "/rapports/verifier/",
            data={"code": report.code, "csrf_token": self.session.token("/rapports/verifier/")},
            files={"file": (name, response.content)},
        )
        report.authentic = self.session.answered(check) and "Document authentique" in check.text

    def judge(self) -> None:
        """Turn what was observed into the list of problems."""
        outcome = self.outcome
        for report in outcome.reports:
            if report.archive_id is None:
                continue
            if not report.ok:
                detail = report.error or (
                    "téléchargement impossible"
                    if not report.downloaded
                    else "code de vérification refusé"
                )
                outcome.problems.append(
                    f"{report.step} : rapport {report.code} « {report.status} » — {detail}"
                )
        for failure in outcome.probe_failures:
            outcome.problems.append(f"pendant la coupure Redis : {failure}")
        with self.engine.connect() as conn:
            outcome.rows_recorded = conn.scalar(
                sa.text(
                    "SELECT count(*) FROM report_archive WHERE requested_by = :u AND id > :after"
                ),
                {"u": DRILL_ACCOUNT, "after": self.first_id},
            )
        if outcome.rows_recorded != self.accepted:
            outcome.problems.append(
                f"{self.accepted} rapports demandés, {outcome.rows_recorded} lignes dans l'archive"
            )

    def run(self, deadline: float) -> DrillOutcome:
        """All the faults, then the verdict; never past ``deadline`` (monotonic) by much."""
        outcome = self.outcome
        try:
            self.session.login(DRILL_ACCOUNT)
            self.redis_outage()
            self.worker_fault(
                "redémarrage du travailleur (SIGTERM à tout le service, comme systemctl restart)",
                signal.SIGTERM,
                STOP_GRACE_S,
            )
            self.worker_fault(
                "panne du travailleur (SIGKILL à tout le service)", signal.SIGKILL, 0.0
            )
        except Exception as error:  # noqa: BLE001 - the drill reports, it does not crash the run
            outcome.problems.append(
                f"l'exercice s'est interrompu : {type(error).__name__}: {error}"
            )
            if not self.redis.alive:
                self.redis.start()
                wait_for_redis(self.redis_port)
        try:
            self.settle(deadline)
            self.judge()
        except Exception as error:  # noqa: BLE001 - same: a verdict, not a crash
            outcome.problems.append(f"vérification interrompue : {type(error).__name__}: {error}")
        finally:
            self.engine.dispose()
        return outcome
