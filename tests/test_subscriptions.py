"""Report subscriptions delivered by the scheduler, against a real local SMTP server (aiosmtpd).

The scheduler runs here in-process (``reports.schedule.run_schedule``), as the worker's job
does, at chosen instants: demo data ends in June 2024, so « now » is 10 June 2024 and the
previous complete month is May 2024 (tests.reports_fixtures.PERIOD).
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import socket
from email import policy as email_policy
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from console import models as m
from reports.verification import AUTHENTIC, display_code, verify

from .reports_fixtures import (
    COORDINATOR_PROVINCE,
    OTHER_PROVINCE,
    PERIOD,
    login_as,
    sales_sums,
    seeded_app_fixture,
)

app = seeded_app_fixture(order_lines=1500)
NOW = dt.datetime(2024, 6, 10, 8, 0, tzinfo=dt.UTC)  # May 2024 is the last complete month
SENDER = "isoko@ministere.test"


class Mailbox:
    """An aiosmtpd handler keeping each accepted message; ``refuse`` answers with that code."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: str | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email_policy.default)
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(app):
    """A real SMTP server on a loopback port, set as the app's server for the test."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_TLS="none", SMTP_SENDER=SENDER
    )
    yield box
    controller.stop()
    app.config.update(SMTP_HOST=None, SMTP_PORT=None, SMTP_SENDER=None)


@pytest.fixture(autouse=True)
def clean_subscriptions(app, db_session):
    """Each test starts without subscriptions (the archive keeps its files)."""
    yield
    db_session.rollback()
    db_session.execute(m.SubscriptionRun.__table__.delete())
    db_session.execute(m.ReportSubscription.__table__.delete())
    db_session.commit()


def subscribe(db_session, username: str, report: str, parameters: dict, fmt="pdf", **kw):
    from flask_appbuilder.security.sqla.models import User

    user = db_session.scalar(select(User).where(User.username == username))
    subscription = m.ReportSubscription(
        user_id=user.id,
        report=report,
        parameters=parameters,
        file_format=fmt,
        frequency=kw.get("frequency", m.Frequency.MONTHLY),
        active=True,
    )
    db_session.add(subscription)
    db_session.commit()
    return subscription.id


def run_schedule(app, now=NOW):
    from reports.schedule import run_schedule as run

    with app.app_context():
        return run(app, now, tasks=False).subscriptions


def runs_of(db_session, subscription_id: int) -> list[m.SubscriptionRun]:
    """The subscription's runs in the order they were made: without ORDER BY, PostgreSQL
    returns a row rewritten by an UPDATE (pending, then sent) wherever its new version lies."""
    db_session.expire_all()
    return db_session.scalars(
        select(m.SubscriptionRun)
        .where(m.SubscriptionRun.subscription_id == subscription_id)
        .order_by(m.SubscriptionRun.id)
    ).all()


def attachment(message) -> tuple[str, bytes]:
    part = next(message.iter_attachments())
    return part.get_filename(), part.get_payload(decode=True)


def test_a_due_subscription_is_sent_once_with_its_file_and_code(app, mailbox, db_session):
    sub_id = subscribe(db_session, "ministere", "ventes-mensuel", {"province": "", "map": "2025"})

    summary = run_schedule(app)

    assert (summary.generated, summary.sent) == (1, 1)
    [run] = runs_of(db_session, sub_id)
    assert run.status == m.RunStatus.SENT and run.period_key == PERIOD and run.attempts == 1
    archive = run.archive
    assert archive.status == m.ReportStatus.DONE and archive.source == "abonnement"
    assert archive.parameters["period"] == PERIOD
    [message] = mailbox.messages
    assert message["To"] == "ministere@isoko.test" and message["From"] == SENDER
    assert display_code(archive.code) in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"Code de vérification : {display_code(archive.code)}" in body
    assert f"/rapports/verifier/?code={archive.code}" in body
    name, data = attachment(message)
    assert name == archive.file_name and data.startswith(b"%PDF")
    # The archive holds the very document mailed, and its code verifies it.
    digest = hashlib.sha256(data).hexdigest()
    assert digest == archive.sha256
    assert verify(db_session, archive.code, digest).outcome == AUTHENTIC

    # A second pass for the same period (the same day, or days later) sends nothing.
    assert run_schedule(app).runs == []
    assert run_schedule(app, NOW + dt.timedelta(days=12)).runs == []
    assert len(mailbox.messages) == 1 and len(runs_of(db_session, sub_id)) == 1
    # The next month is a new period: one more e-mail.
    run_schedule(app, dt.datetime(2024, 7, 2, 8, 0, tzinfo=dt.UTC))
    assert [r.period_key for r in runs_of(db_session, sub_id)] == [PERIOD, "2024-06"]
    assert len(mailbox.messages) == 2


def test_the_report_is_filed_in_my_reports(app, mailbox, db_session, client):
    subscribe(db_session, "pnud", "programme-pilote", {"province": "", "cohort": ""})
    run_schedule(app)
    archive = db_session.scalar(
        select(m.ReportArchive).where(m.ReportArchive.requested_by == "pnud")
    )
    login_as(client, "pnud")
    page = client.get("/rapports/mes-rapports/").get_data(as_text=True)
    assert display_code(archive.code) in page and "Abonnement" in page
    assert client.get(f"/rapports/mes-rapports/{archive.id}/telecharger").status_code == 200


def test_an_smtp_failure_is_logged_and_retried_with_back_off(app, mailbox, db_session):
    sub_id = subscribe(db_session, "ministere", "ventes-mensuel", {"province": "", "map": "2025"})
    mailbox.refuse = "451 4.3.0 Essayez plus tard"

    run_schedule(app)

    [run] = runs_of(db_session, sub_id)
    assert run.status == m.RunStatus.RETRYING and run.attempts == 1
    assert "451" in run.error and mailbox.messages == []
    first_wait = run.next_attempt_at - NOW
    assert first_wait == dt.timedelta(seconds=app.config["SMTP_RETRY_BASE_S"])
    # Before the retry falls due, nothing is tried; the report is not generated again.
    run_schedule(app, NOW + first_wait / 2)
    assert runs_of(db_session, sub_id)[0].attempts == 1
    # Still refused at the retry: the next wait doubles.
    run_schedule(app, NOW + first_wait)
    [run] = runs_of(db_session, sub_id)
    assert run.attempts == 2 and run.next_attempt_at - (NOW + first_wait) == 2 * first_wait

    mailbox.refuse = None
    run_schedule(app, NOW + 3 * first_wait)
    [run] = runs_of(db_session, sub_id)
    assert run.status == m.RunStatus.SENT and run.attempts == 3
    assert len(mailbox.messages) == 1
    assert [e["event"] for e in run.events].count(m.RunStatus.RETRYING.label) == 2
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(m.ReportArchive)
            .where(m.ReportArchive.id == run.archive_id)
        )
        == 1
    )


def test_a_permanent_refusal_fails_at_once_with_its_reason(app, mailbox, db_session):
    sub_id = subscribe(db_session, "ministere", "ventes-mensuel", {"province": "", "map": "2025"})
    mailbox.refuse = "554 5.7.1 Refusé"
    run_schedule(app)
    [run] = runs_of(db_session, sub_id)
    assert run.status == m.RunStatus.FAILED and "554" in run.error and run.next_attempt_at is None
    mailbox.refuse = None
    run_schedule(app, NOW + dt.timedelta(days=1))
    assert mailbox.messages == []


def test_a_send_cut_off_by_a_crash_is_not_sent_again(app, mailbox, db_session):
    """The run was committed as « sending » when the worker died: at most one e-mail."""
    sub_id = subscribe(db_session, "ministere", "ventes-mensuel", {"province": "", "map": "2025"})
    db_session.add(
        m.SubscriptionRun(
            subscription_id=sub_id,
            period_key=PERIOD,
            period_label="mai 2024",
            status=m.RunStatus.SENDING,
            attempts=1,
            events=[],
            started_at=NOW - dt.timedelta(hours=3),
        )
    )
    db_session.commit()
    run_schedule(app)
    [run] = runs_of(db_session, sub_id)
    assert run.status == m.RunStatus.FAILED and "deux fois" in run.error
    assert mailbox.messages == []


def test_a_coordinator_subscription_covers_only_their_province(app, mailbox, db_session, client):
    login_as(client, "coord")
    # Another province, or the whole country, is refused at creation.
    for province in (OTHER_PROVINCE, ""):
        refused = client.post(
            "/rapports/abonnements/nouveau/ventes-mensuel",
            data={"province": province, "format": "xlsx", "frequency": "monthly"},
        )
        assert refused.status_code == 404
    created = client.post(
        "/rapports/abonnements/nouveau/ventes-mensuel",
        data={"province": COORDINATOR_PROVINCE, "format": "xlsx", "frequency": "monthly"},
    )
    assert created.status_code == 302
    [subscription] = db_session.scalars(select(m.ReportSubscription)).all()
    assert subscription.parameters["province"] == COORDINATOR_PROVINCE

    run_schedule(app)

    [message] = mailbox.messages
    name, data = attachment(message)
    assert name.endswith(".xlsx")
    workbook = load_workbook(BytesIO(data))
    rows = list(workbook["Par province"].iter_rows(min_row=2, values_only=True))
    assert (sum(r[1] for r in rows), sum(r[2] for r in rows)) == sales_sums(
        db_session, province_code=COORDINATOR_PROVINCE
    )
    gitega = db_session.scalar(select(m.Province).where(m.Province.code == COORDINATOR_PROVINCE))
    allowed = {gitega.name} | set(
        db_session.scalars(select(m.Province.name).where(m.Province.successor_id == gitega.id))
    )
    assert rows and {r[0] for r in rows} <= allowed

    # The coordinator is moved to another province: the next period is refused, not sent.
    from .conftest import create_user

    db_session.expire_all()
    create_user(app, "coord", "Coordinateur provincial", [OTHER_PROVINCE])
    run_schedule(app, dt.datetime(2024, 7, 2, 8, 0, tzinfo=dt.UTC))
    latest = runs_of(db_session, subscription.id)
    assert {r.period_key: r.status for r in latest}["2024-06"] == m.RunStatus.REFUSED
    assert len(mailbox.messages) == 1
    create_user(app, "coord", "Coordinateur provincial", [COORDINATOR_PROVINCE])


def test_a_deactivated_user_or_a_lost_role_gets_nothing(app, mailbox, db_session):
    from flask_appbuilder.security.sqla.models import Role, User

    sub_pnud = subscribe(db_session, "pnud", "programme-pilote", {"province": "", "cohort": ""})
    sub_obr = subscribe(
        db_session, "auditeur", "recettes-fiscales", {"province": "", "map": "2025"}
    )
    archives_before = db_session.scalar(select(func.count()).select_from(m.ReportArchive))
    pnud = db_session.scalar(select(User).where(User.username == "pnud"))
    auditor = db_session.scalar(select(User).where(User.username == "auditeur"))
    pnud.active = False
    # The auditor's role becomes PNUD's, which does not grant the tax statement.
    auditor.roles = [db_session.scalar(select(Role).where(Role.name == "PNUD"))]
    db_session.commit()
    try:
        summary = run_schedule(app)
        assert summary.refused == 2 and summary.generated == 0
        assert runs_of(db_session, sub_pnud)[0].status == m.RunStatus.REFUSED
        assert "désactivé" in runs_of(db_session, sub_pnud)[0].error
        assert runs_of(db_session, sub_obr)[0].status == m.RunStatus.REFUSED
        assert mailbox.messages == []
        assert db_session.scalar(select(func.count()).select_from(m.ReportArchive)) == (
            archives_before
        )
    finally:
        pnud = db_session.scalar(select(User).where(User.username == "pnud"))
        auditor = db_session.scalar(select(User).where(User.username == "auditeur"))
        pnud.active = True
        auditor.roles = [db_session.scalar(select(Role).where(Role.name == "Auditeur fiscal"))]
        db_session.commit()


def test_without_smtp_the_report_is_filed_and_the_console_says_so(app, db_session, client):
    assert not app.config.get("SMTP_HOST")
    sub_id = subscribe(db_session, "ministere", "ventes-mensuel", {"province": "", "map": "2025"})
    run_schedule(app)
    [run] = runs_of(db_session, sub_id)
    assert run.status == m.RunStatus.FILED and run.archive.status == m.ReportStatus.DONE
    login_as(client, "ministere")
    page = client.get("/rapports/abonnements/").get_data(as_text=True)
    assert "Aucun serveur d&#39;envoi (SMTP)" in page or "Aucun serveur d'envoi (SMTP)" in page
    assert "Déposé dans" in page


def test_subscriptions_are_managed_by_their_owner_only(app, db_session, client):
    login_as(client, "ministere")
    form = {"province": "", "map": "2025", "format": "pdf", "frequency": "quarterly"}
    assert client.post("/rapports/abonnements/nouveau/ventes-mensuel", data=form).status_code == 302
    [subscription] = db_session.scalars(select(m.ReportSubscription)).all()
    assert subscription.frequency == m.Frequency.QUARTERLY
    bad = client.post(
        "/rapports/abonnements/nouveau/ventes-mensuel", data=form | {"frequency": "weekly"}
    )
    assert bad.status_code == 400 and "Fréquence" in bad.get_data(as_text=True)
    # Someone else's subscription is not found; the tax statement is not PNUD's to subscribe.
    login_as(client, "pnud")
    assert "Aucun abonnement" in client.get("/rapports/abonnements/").get_data(as_text=True)
    assert client.post(f"/rapports/abonnements/{subscription.id}/suspendre").status_code == 404
    assert client.get(f"/rapports/abonnements/{subscription.id}/journal").status_code == 404
    assert client.get("/rapports/abonnements/nouveau/recettes-fiscales").status_code == 404
    # An administrator sees everyone's subscriptions, with their owner.
    from .conftest import create_user

    create_user(app, "admin.abonnements", "Admin")
    login_as(client, "admin.abonnements")
    listing = client.get("/rapports/abonnements/").get_data(as_text=True)
    assert "<td>ministere</td>" in listing and "Rapport mensuel des ventes" in listing
    assert client.get(f"/rapports/abonnements/{subscription.id}/journal").status_code == 200
    login_as(client, "ministere")
    assert client.post(f"/rapports/abonnements/{subscription.id}/suspendre").status_code == 302
    db_session.expire_all()
    assert db_session.get(m.ReportSubscription, subscription.id).active is False
    # A paused subscription is not generated.
    assert run_schedule(app).runs == []
    assert client.post(f"/rapports/abonnements/{subscription.id}/supprimer").status_code == 302
    assert db_session.scalars(select(m.ReportSubscription)).all() == []


def test_the_nightly_checks_and_the_weekly_mevente_refresh_run_once_per_period(app, db_session):
    from reports.schedule import is_due, run_tasks

    refreshes_before = db_session.scalar(select(func.count()).select_from(m.FactRefresh))
    with app.app_context():
        done = run_tasks(app, NOW)
    assert [name for name, _period, _outcome in done] == ["verifications-nuit", "mevente-refresh"]
    db_session.expire_all()
    runs = {r.task: r for r in db_session.scalars(select(m.ScheduledTaskRun)).all()}
    # 10 June 2024, 10:00 in Bujumbura: the last complete day is 9 June, the week 3–9 June.
    assert runs["verifications-nuit"].period_key == "2024-06-09"
    assert runs["mevente-refresh"].period_key == "2024-S23"
    assert {r.status for r in runs.values()} == {m.RunStatus.DONE}, [
        r.detail for r in runs.values()
    ]
    assert db_session.scalar(select(func.count()).select_from(m.FactRefresh)) > refreshes_before
    assert db_session.scalar(select(func.count()).select_from(m.WeeklyIndicator)) > 0
    # The same day again: nothing runs twice, and the worker sees nothing due.
    with app.app_context():
        assert run_tasks(app, NOW + dt.timedelta(hours=6)) == []
        assert not is_due(app, NOW + dt.timedelta(hours=6))
        # The next night is due (the week is not).
        assert is_due(app, NOW + dt.timedelta(days=1))
        assert [n for n, _p, _o in run_tasks(app, NOW + dt.timedelta(days=1))] == [
            "verifications-nuit"
        ]


def require_redis(url: str):
    from redis import Redis

    from .conftest import IN_CI

    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        if IN_CI:
            pytest.fail(f"Redis injoignable : {exc}")
        pytest.skip(f"Redis injoignable : {exc}")


def empty_queue(queue) -> None:
    """Remove a test queue, its jobs and their records from Redis."""
    from rq.exceptions import NoSuchJobError

    for registry in (queue.finished_job_registry, queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            try:
                registry.remove(job_id, delete_job=True)
            except NoSuchJobError:
                registry.remove(job_id)
    queue.delete(delete_jobs=True)


@pytest.mark.worker
def test_the_worker_queues_one_pass_when_something_is_due(app, mailbox, db_session):
    import os
    import uuid

    from redis import Redis
    from rq import Queue, SimpleWorker

    from reports.schedule import JOB_ID, queue_schedule

    url = os.environ.get("ISOKO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    require_redis(url)
    name = f"isoko-test-{uuid.uuid4().hex[:10]}"
    connection = Redis.from_url(url)
    app.config.update(REPORTS_QUEUE=name)
    queue = Queue(name, connection=connection)
    subscribe(db_session, "ministere", "ventes-mensuel", {"province": "", "map": "2025"})
    try:
        with app.app_context():
            assert queue_schedule(app, connection)
            assert not queue_schedule(app, connection)  # one pass queued at a time
            assert queue.job_ids == [f"{JOB_ID}-{name}"]
            SimpleWorker([queue], connection=connection).work(burst=True)
            assert not queue_schedule(app, connection)  # nothing due any more
        [run] = db_session.scalars(select(m.SubscriptionRun)).all()
        assert run.status == m.RunStatus.SENT and len(mailbox.messages) == 1
    finally:
        app.config.update(REPORTS_QUEUE="isoko-reports")
        db_session.rollback()
        db_session.execute(m.ScheduledTaskRun.__table__.delete())
        db_session.commit()
        empty_queue(queue)


def test_a_retry_is_taken_by_one_pass_only(app, db_session):
    """Two passes seeing the same retry due (two workers, or `isoko run-schedule` beside the
    worker): the conditional update gives it to one of them."""
    from reports.subscriptions import _take

    sub_id = subscribe(db_session, "ministere", "ventes-mensuel", {"province": "", "map": "2025"})
    run = m.SubscriptionRun(
        subscription_id=sub_id,
        period_key=PERIOD,
        period_label="mai 2024",
        status=m.RunStatus.RETRYING,
        attempts=1,
        next_attempt_at=NOW - dt.timedelta(minutes=1),
        events=[],
        started_at=NOW - dt.timedelta(minutes=5),
    )
    db_session.add(run)
    db_session.commit()
    with app.app_context():
        from console.extensions import db

        taken = [_take(db.session, run.id, m.RunStatus.RETRYING, NOW) for _ in range(2)]
    assert taken == [True, False]


@pytest.mark.worker
def test_isoko_worker_delivers_a_due_subscription_with_no_cron_line(
    app, mailbox, db_session, tmp_path
):
    """The real `isoko worker` process: its start-up pass finds the subscription due and mails it."""
    import os
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    from redis import Redis
    from rq import Queue

    url = os.environ.get("ISOKO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    require_redis(url)
    queue = f"isoko-test-{uuid.uuid4().hex[:10]}"
    sub_id = subscribe(
        db_session, "coord", "ventes-mensuel", {"province": COORDINATOR_PROVINCE, "map": "2025"}
    )
    # This test is about the subscription: today's tasks count as done (tested above).
    from console.models.types import utcnow
    from reports.schedule import TASKS, _task_period

    for task in TASKS:
        key = _task_period(app, task, utcnow()).key
        db_session.add(m.ScheduledTaskRun(task=task.name, period_key=key, status=m.RunStatus.DONE))
    db_session.commit()
    env = os.environ | {
        "ISOKO_ENV": "development",
        "ISOKO_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "ISOKO_REDIS_URL": url,
        "ISOKO_REPORTS_QUEUE": queue,
        "ISOKO_REPORTS_DIR": app.config["REPORTS_DIR"],
        "ISOKO_SMTP_HOST": "127.0.0.1",
        "ISOKO_SMTP_PORT": str(app.config["SMTP_PORT"]),
        "ISOKO_SMTP_TLS": "none",
        "ISOKO_SMTP_SENDER": SENDER,
        "ISOKO_PUBLIC_URL": "https://isoko.example.bi",
        # This checkout's code, whichever checkout the `isoko` script was installed from.
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    log = tmp_path / "worker.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("isoko")), "worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # Not a timing assertion: a generous bound so that a broken worker fails, not hangs.
        deadline = time.monotonic() + 300
        while not mailbox.messages and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert mailbox.messages, log.read_text()[-3000:]
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        empty_queue(Queue(queue, connection=Redis.from_url(url)))
    [message] = mailbox.messages
    [run] = runs_of(db_session, sub_id)
    assert run.status == m.RunStatus.SENT and message["To"] == "coord@isoko.test"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"https://isoko.example.bi/rapports/verifier/?code={run.archive.code}" in body
    assert "Planification" in log.read_text()
    db_session.execute(m.ScheduledTaskRun.__table__.delete())
    db_session.commit()


def test_a_weekly_snapshot_report_covers_the_previous_week(app, mailbox, db_session):
    sub_id = subscribe(
        db_session,
        "coord",
        "inventaire-tablettes",
        {"province": COORDINATOR_PROVINCE},
        frequency=m.Frequency.WEEKLY,
    )
    run_schedule(app)
    [run] = runs_of(db_session, sub_id)
    assert (run.status, run.period_key) == (m.RunStatus.SENT, "2024-S23")
    assert run.archive.parameters == {"province": COORDINATOR_PROVINCE}
    # Later the same week: nothing; the next Monday: the next week.
    run_schedule(app, NOW + dt.timedelta(days=3))
    run_schedule(app, NOW + dt.timedelta(days=7))
    assert [r.period_key for r in runs_of(db_session, sub_id)] == ["2024-S23", "2024-S24"]
    assert len(mailbox.messages) == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_smtp_account_signs_in_and_a_wrong_password_fails_with_its_reason(app, db_session):
    """ISOKO_SMTP_USER / ISOKO_SMTP_PASSWORD against a server requiring AUTH (plain, loopback)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"isoko" and auth_data.password == b"secret-smtp"
        return AuthResult(success=ok, handled=False)

    box = Mailbox()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    settings = dict(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=controller.port,
        SMTP_TLS="none",
        SMTP_SENDER=SENDER,
        SMTP_USER="isoko",
        SMTP_PASSWORD="wrong",
    )
    app.config.update(settings)
    try:
        sub_id = subscribe(
            db_session, "ministere", "ventes-mensuel", {"province": "", "map": "2025"}
        )
        run_schedule(app)
        [run] = runs_of(db_session, sub_id)
        assert run.status == m.RunStatus.FAILED and "535" in run.error, run.error
        assert box.messages == []
        db_session.execute(m.SubscriptionRun.__table__.delete())
        db_session.commit()
        app.config.update(SMTP_PASSWORD="secret-smtp")
        run_schedule(app)
        [run] = runs_of(db_session, sub_id)
        assert run.status == m.RunStatus.SENT and len(box.messages) == 1
    finally:
        controller.stop()
        app.config.update({key: None for key in settings})
