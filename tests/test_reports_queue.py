"""Large reports go to the RQ queue on the real Redis, or run in-process without Redis."""

from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from console import models as m

from .conftest import IN_CI
from .reports_fixtures import PERIOD, generate, latest_archive, login_as, seeded_app_fixture

REDIS_URL = os.environ.get("ISOKO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


# This module's app: its own copy of the seeded reports database (replaces conftest's).
app = seeded_app_fixture(order_lines=1500)


def require_redis():
    """Skip (or fail under CI) when Redis does not answer."""
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        reason = f"Redis injoignable sur {REDIS_URL}: {exc.__class__.__name__}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def queue(app):
    """A uniquely named queue on the real Redis, emptied and removed afterwards."""
    require_redis()
    from redis import Redis
    from rq import Queue

    name = f"isoko-test-{uuid.uuid4().hex[:10]}"
    app.config.update(REDIS_URL=REDIS_URL, REPORTS_QUEUE=name)
    connection = Redis.from_url(REDIS_URL)
    yield Queue(name, connection=connection)
    app.config.update(REDIS_URL=None, REPORTS_QUEUE="isoko-reports")
    for rq_queue in (
        Queue(name, connection=connection),
        immediate_queue(queue_of(name, connection)),
    ):
        for registry in (rq_queue.finished_job_registry, rq_queue.failed_job_registry):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)
        rq_queue.delete(delete_jobs=True)


def queue_of(name, connection):
    from rq import Queue

    return Queue(name, connection=connection)


def immediate_queue(queue):
    """The sibling queue of small reports a request waits on (reports.queue.report_queue)."""
    return queue_of(queue.name + "-immediats", queue.connection)


def worker_env(app, queue, **extra: str) -> dict[str, str]:
    """The environment of an `isoko worker` process on this app's database and queue."""
    return os.environ | {
        "ISOKO_ENV": "development",
        "ISOKO_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "ISOKO_REDIS_URL": REDIS_URL,
        "ISOKO_REPORTS_QUEUE": queue.name,
        "ISOKO_REPORTS_DIR": app.config["REPORTS_DIR"],
        **extra,
    }


def isoko_command() -> str:
    return str(Path(sys.executable).with_name("isoko"))


@pytest.fixture
def running_worker(app, queue, tmp_path):
    """`isoko worker` in its own process, serving the test's queues until the test ends."""
    import time

    from rq import Worker

    with open(tmp_path / "worker.log", "w") as log:
        # Its own session, as systemd starts it: the worker lowers its session's priority.
        process = subprocess.Popen(
            [isoko_command(), "worker"],
            # The schedule's own passes (nightly checks, mévente refresh: tens of seconds
            # on a fresh database) are tested in test_subscriptions.py; here they would
            # hold the worker while a request waits on a small report.
            env=worker_env(app, queue, ISOKO_SCHEDULE="off"),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # Starting the app takes seconds (longer on a busy CI machine): wait until it listens.
    deadline = time.monotonic() + 120
    while not Worker.all(queue=queue) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Worker.all(queue=queue), (tmp_path / "worker.log").read_text()[-2000:]
    yield process
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def work_burst(app, queue) -> None:
    """Run the queue's jobs here, as `isoko worker` would, then stop."""
    from rq import SimpleWorker

    with app.app_context():
        SimpleWorker([queue], connection=queue.connection).work(burst=True)


def _archive(db_session, archive_id):
    db_session.expire_all()
    return db_session.get(m.ReportArchive, archive_id)


@pytest.mark.worker
def test_large_report_is_queued_then_generated_by_the_worker(app, client, queue, db_session):
    login_as(client, "auditeur")
    response = generate(client, "recettes-fiscales", period=PERIOD, province="", format="xlsx")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/rapports/mes-rapports/")
    archive = latest_archive(app, "auditeur")
    assert archive.status == m.ReportStatus.QUEUED
    assert archive.job_id and queue.count == 1
    page = html.unescape(client.get("/rapports/mes-rapports/").get_data(as_text=True))
    assert "En file d'attente" in page and 'http-equiv="refresh"' in page
    assert client.get(f"/rapports/mes-rapports/{archive.id}/telecharger").status_code == 404

    work_burst(app, queue)

    done = _archive(db_session, archive.id)
    assert done.status == m.ReportStatus.DONE and done.progress == 100
    assert done.row_count > 0
    download = client.get(f"/rapports/mes-rapports/{archive.id}/telecharger")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == done.sha256
    status = client.get(f"/rapports/mes-rapports/{archive.id}/etat").get_json()
    assert status["status"] == "done" and status["progress"] == 100 and status["download"]
    page = client.get("/rapports/mes-rapports/").get_data(as_text=True)
    assert "Terminé" in page and "Télécharger" in page


@pytest.mark.worker
def test_failed_job_is_recorded_with_a_french_reason(app, queue, db_session):
    from reports.queue import submit

    archive = m.ReportArchive(
        code="TESTFAIL" + uuid.uuid4().hex[:2].upper(),
        report="fiche-cooperative",
        title="Fiche coopérative",
        file_format="pdf",
        parameters={"cooperative": "999999", "period": PERIOD},
        requested_by="cron",
        source="cli",
        storage_path="test/fail.pdf",
    )
    db_session.add(archive)
    db_session.commit()
    with app.app_context():
        submit(app, db_session.get(m.ReportArchive, archive.id))
    work_burst(app, queue)
    failed = _archive(db_session, archive.id)
    assert failed.status == m.ReportStatus.FAILED
    assert failed.error.startswith("La génération a échoué")
    assert len(queue.failed_job_registry) == 1


@pytest.mark.worker
def test_job_lost_from_redis_is_shown_as_failed(app, client, queue, db_session):
    login_as(client, "ministere")
    assert (
        generate(client, "ventes-mensuel", period=PERIOD, province="", format="pdf").status_code
        == 302
    )
    archive = latest_archive(app, "ministere")
    queue.delete(delete_jobs=True)
    page = client.get("/rapports/mes-rapports/").get_data(as_text=True)
    assert "relancez le rapport" in page
    assert _archive(db_session, archive.id).status == m.ReportStatus.FAILED


def test_without_redis_a_large_report_is_generated_in_process(app, client, db_session):
    assert not app.config.get("REDIS_URL")
    login_as(client, "ministere")
    response = generate(client, "ventes-mensuel", period=PERIOD, province="", format="xlsx")
    assert response.status_code == 302
    archive = latest_archive(app, "ministere")
    assert archive.status == m.ReportStatus.DONE and archive.job_id is None
    assert client.get(f"/rapports/mes-rapports/{archive.id}/telecharger").status_code == 200


@pytest.mark.worker
def test_a_small_report_is_rendered_by_the_worker_while_the_request_waits(
    app, client, queue, running_worker, db_session
):
    login_as(client, "ministere")
    response = generate(client, "ventes-mensuel", period=PERIOD, province="BI25-GI", format="pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    archive = db_session.scalar(
        select(m.ReportArchive).order_by(m.ReportArchive.id.desc()).limit(1)
    )
    db_session.refresh(archive)
    assert archive.job_id and archive.status == m.ReportStatus.DONE  # rendered by the worker
    assert hashlib.sha256(response.data).hexdigest() == archive.sha256
    assert queue.count == 0 and immediate_queue(queue).count == 0


@pytest.mark.worker
def test_a_small_report_not_ready_in_time_is_offered_in_my_reports(app, client, queue, db_session):
    login_as(client, "ministere")
    app.config["REPORTS_WAIT_S"] = 1  # and no worker runs
    try:
        response = generate(
            client, "ventes-mensuel", period=PERIOD, province="BI25-GI", format="pdf"
        )
    finally:
        app.config["REPORTS_WAIT_S"] = 30
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/rapports/mes-rapports/")
    page = html.unescape(client.get("/rapports/mes-rapports/").get_data(as_text=True))
    assert "encore en préparation" in page
    archive = latest_archive(app, "ministere")
    assert archive.status == m.ReportStatus.QUEUED and immediate_queue(queue).count == 1
    work_burst(app, immediate_queue(queue))
    assert _archive(db_session, archive.id).status == m.ReportStatus.DONE


@pytest.mark.worker
def test_with_redis_down_a_small_report_is_rendered_in_the_request(app, client, queue, db_session):
    login_as(client, "ministere")
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = generate(
            client, "ventes-mensuel", period=PERIOD, province="BI25-GI", format="pdf"
        )
    finally:
        app.config["REDIS_URL"] = REDIS_URL
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    archive = latest_archive(app, "ministere")
    assert archive.status == m.ReportStatus.DONE and archive.job_id is None


@pytest.mark.worker
def test_with_redis_down_a_large_report_waits_and_is_generated_when_redis_returns(
    app, client, queue, db_session
):
    login_as(client, "ministere")
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = generate(client, "ventes-mensuel", period=PERIOD, province="", format="xlsx")
        assert response.status_code == 302
        page = html.unescape(client.get("/rapports/mes-rapports/").get_data(as_text=True))
    finally:
        app.config["REDIS_URL"] = REDIS_URL
    assert "La file d'attente des rapports (Redis) ne répond pas" in page
    assert "sera généré dès son retour" in page
    archive = latest_archive(app, "ministere")
    assert archive.status == m.ReportStatus.QUEUED and archive.job_id is None
    # Redis is back: the next look at « Mes rapports » hands the report to the queue.
    client.get("/rapports/mes-rapports/")
    assert _archive(db_session, archive.id).job_id and queue.count == 1
    work_burst(app, queue)
    assert _archive(db_session, archive.id).status == m.ReportStatus.DONE


@pytest.mark.worker
def test_a_report_whose_worker_was_killed_is_run_again(app, client, queue, db_session):
    from rq.job import Job, JobStatus

    login_as(client, "ministere")
    generate(client, "ventes-mensuel", period=PERIOD, province="", format="xlsx")
    archive = latest_archive(app, "ministere")
    job = Job.fetch(archive.job_id, connection=queue.connection)
    # What a worker killed mid-job leaves: the job taken off the queue, « started », and an
    # execution entry in the started registry whose heartbeat has expired.
    queue.remove(job.id)
    job.set_status(JobStatus.STARTED)
    queue.started_job_registry.connection.zadd(
        queue.started_job_registry.key, {f"{job.id}:lost": 1}
    )
    queue.started_job_registry.cleanup()  # RQ's maintenance, as the next worker runs it
    assert queue.count == 1
    work_burst(app, queue)
    assert _archive(db_session, archive.id).status == m.ReportStatus.DONE


@pytest.mark.worker
def test_isoko_worker_runs_the_queue_at_a_lower_cpu_priority(app, client, queue, db_session):
    """The deployed command, in its own process: it lowers its priority, then runs the job."""
    login_as(client, "auditeur")
    generate(client, "recettes-fiscales", period=PERIOD, province="", format="xlsx")
    archive = latest_archive(app, "auditeur")
    assert archive.status == m.ReportStatus.QUEUED
    result = subprocess.run(
        [isoko_command(), "worker", "--burst"],
        env=worker_env(app, queue, ISOKO_WORKER_NICE="5"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        start_new_session=True,
    )  # as systemd starts it
    assert result.returncode == 0, result.stderr[-2000:]
    niceness = int(re.search(r"priorité CPU nice (\d+)", result.stdout).group(1))
    assert niceness >= os.nice(0) + 5  # relative to whatever priority the tests run at
    if Path("/proc/self/autogroup").exists():
        # Linux schedules sessions as groups first: the worker's own nice would weigh
        # nothing against the web server's session without its session's.
        session = int(re.search(r"session nice (\d+)", result.stdout).group(1))
        assert session == niceness
    assert _archive(db_session, archive.id).status == m.ReportStatus.DONE


@pytest.mark.worker
def test_an_idle_isoko_worker_returns_to_its_maintenance_every_interval(app, queue, running_worker):
    """RQ waits worker_ttl − 15 s on empty queues before its maintenance (405 s by default),
    which held a killed worker's report or one left waiting by a Redis outage 7–9 minutes."""
    from rq import Worker

    from reports.queue import MAINTENANCE_INTERVAL_S, WORKER_TTL_S

    workers = Worker.all(queue=queue)  # running_worker waited for it to listen
    assert len(workers) == 1
    worker = workers[0]
    assert 0 < queue.connection.ttl(worker.key) <= WORKER_TTL_S + 60
    assert WORKER_TTL_S - 15 <= MAINTENANCE_INTERVAL_S  # RQ's wait between two maintenances
