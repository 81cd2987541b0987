"""Big files go to the RQ worker's « imports » queue; with Redis down they import in the request."""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa

from console import models as m
from console.models.imports import ImportOutcome

from .conftest import create_user, login
from .import_support import COOPERATIVES_CSV
from .test_reports_queue import REDIS_URL, require_redis


@pytest.fixture
def big_files(app, monkeypatch, tmp_path):
    """Three rows count as a big file; a queue of this test's own; a private spool folder."""
    create_user(app, "ministere.import", "Ministère")
    monkeypatch.setattr("importers.jobs.BACKGROUND_ROWS", 3)
    monkeypatch.setattr("importers.jobs.QUEUE", f"isoko-test-imports-{uuid.uuid4().hex[:8]}")
    app.config["IMPORT_SPOOL_DIR"] = str(tmp_path)
    yield app
    app.config.update(REDIS_URL=None)


def _upload(app):
    client = app.test_client()
    login(client, "ministere.import")
    data = {"file": (io.BytesIO(COOPERATIVES_CSV.encode()), "coops.csv")}
    return client.post("/imports/cooperatives/", data=data, content_type="multipart/form-data")


def _outcome(app, batch_id=None):
    from console.extensions import db

    with app.app_context():
        stmt = sa.select(m.ImportBatch).order_by(m.ImportBatch.id.desc()).limit(1)
        if batch_id is not None:
            stmt = sa.select(m.ImportBatch).where(m.ImportBatch.id == batch_id)
        batch = db.session.scalar(stmt)
        coops = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(m.Cooperative)
            .where(m.Cooperative.registration_number.like("ANACOOP/%"))
        )
        db.session.rollback()
        return batch.id, batch.outcome, coops


@pytest.mark.worker
def test_a_big_file_is_queued_then_imported_by_the_worker(big_files):
    require_redis()
    from redis import Redis
    from rq import Queue, SimpleWorker

    import importers.jobs as jobs

    big_files.config["REDIS_URL"] = REDIS_URL
    queue = Queue(jobs.QUEUE, connection=Redis.from_url(REDIS_URL))
    try:
        response = _upload(big_files)
        assert (
            response.status_code == 302 and "/importbatchview/show/" in response.headers["Location"]
        )
        batch_id, outcome, _ = _outcome(big_files)
        assert outcome == ImportOutcome.QUEUED and queue.count == 1
        with big_files.app_context():
            SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert _outcome(big_files, batch_id)[1:] == (ImportOutcome.APPLIED, 3)
    finally:
        queue.delete(delete_jobs=True)


def test_with_redis_down_a_big_file_is_imported_in_the_request(big_files):
    big_files.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = _upload(big_files)
    assert response.status_code == 200
    assert _outcome(big_files)[1] == ImportOutcome.APPLIED
