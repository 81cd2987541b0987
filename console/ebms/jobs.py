"""The `ebms` queue of `isoko worker`: drain jobs, scheduled while messages are pending."""

from __future__ import annotations

from flask import Flask, current_app, has_app_context
from sqlalchemy import exists, select

from console.extensions import db
from console.models.ebms import InvoiceMessage, MessageState

from .client import EbmsClient, EbmsSettings

# A drain job keeps sending while retries fall due within this many seconds, then hands
# the worker back to the other queues; the worker's maintenance queues the next one.
DRAIN_WAIT_S = 20
JOB_TIMEOUT = 3600
OFF = (
    "Transmission à l'OBR désactivée : définissez ISOKO_EBMS_BASE_URL, ISOKO_EBMS_USERNAME et "
    "ISOKO_EBMS_PASSWORD pour envoyer les factures en attente."
)


def retry_policy(app: Flask):
    """The back-off settings of config.py."""
    from console.services.ebms.transmission import RetryPolicy

    return RetryPolicy(
        base_s=app.config["EBMS_RETRY_BASE_S"],
        cap_s=app.config["EBMS_RETRY_MAX_S"],
        lease_s=app.config.get("EBMS_LEASE_S") or 120,
    )


def drain_now(app: Flask, wait_s: float = 0.0):
    """Send what is due with the app's settings; None when transmission is off."""
    from console.services.ebms.transmission import drain

    settings = EbmsSettings.from_config(app.config)
    if settings is None:
        return None
    with EbmsClient(settings) as client:
        return drain(db.engine, client, retry_policy(app), wait_s=wait_s)


def ebms_queue(app: Flask, connection):
    """The RQ queue of the drain jobs (ISOKO_EBMS_QUEUE)."""
    from rq import Queue

    return Queue(app.config["EBMS_QUEUE"], connection=connection)


def schedule_drain(app: Flask, connection) -> bool:
    """Queue a drain job when transmission is on, messages wait, and none is queued yet."""
    if EbmsSettings.from_config(app.config) is None:
        return False
    if not db.session.scalar(select(exists().where(InvoiceMessage.state == MessageState.PENDING))):
        db.session.remove()
        return False
    db.session.remove()
    queue = ebms_queue(app, connection)
    if queue.count:
        return False
    queue.enqueue(
        drain_job,
        job_timeout=JOB_TIMEOUT,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        description="Transmission des factures à l'OBR (eBMS)",
    )
    return True


def drain_job() -> dict:
    """RQ job: drain the outbox, then queue the next drain if messages are still pending."""
    if has_app_context():
        return _drain_and_follow(current_app._get_current_object())
    from console import create_app

    app = create_app()
    with app.app_context():
        return _drain_and_follow(app)


def _drain_and_follow(app: Flask) -> dict:
    from reports.queue import redis_connection

    result = drain_now(app, wait_s=DRAIN_WAIT_S)
    if result is None:
        return {"off": True}
    connection = redis_connection(app)
    if connection is not None:
        schedule_drain(app, connection)
    return {"registered": result.registered, "refused": result.refused, "retried": result.retried}
