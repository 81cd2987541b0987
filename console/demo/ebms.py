"""`run.py --demo`: an eBMS sandbox in the console's process, and the demo's sales sent to it.

The demo's recent sales wait in the outbox (console.demo.seed writes them); here a real
sandbox (console.ebms.sandbox) starts on a free loopback port, the app's settings point at
it, and a background thread drains the outbox through the same worker code as
``isoko ebms-drain`` (console.ebms.jobs.drain_now) every few seconds while the console runs,
so « Renvoyer » works too. Two sellers' NIFs are unknown to this sandbox, so « Refusées par
l'OBR » and the « non transmise après 24 h » flag have content. Once the first backlog is
sent, the stored leakage flags of the eBMS months are recomputed.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading

from flask import Flask
from sqlalchemy import func, select

from console import models as m
from console.ebms.client import EbmsSettings
from console.ebms.sandbox import EbmsSandbox
from console.models.ebms import InvoiceMessage, MessageKind, MessageState

log = logging.getLogger(__name__)

SYSTEM_ID = "ws440000000099"
POLL_S = 5.0
UNKNOWN_SELLERS = 2  # sellers whose NIF the demo's OBR refuses


class DemoTransmission:
    """The demo's sandbox and sending thread (kept in ``app.extensions``), stoppable."""

    def __init__(self, sandbox: EbmsSandbox, thread: threading.Thread, stop: threading.Event):
        self.sandbox, self.thread, self._stop = sandbox, thread, stop

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=60)
        self.sandbox.stop()


def start_demo_transmission(app: Flask) -> str | None:
    """Start the sandbox and the sending thread; the line to print (None: real settings)."""
    if EbmsSettings.from_config(app.config) is not None:
        return None  # an OBR (or a sandbox) is configured: the demo does not replace it
    password = secrets.token_urlsafe(12)
    sandbox = EbmsSandbox(username=SYSTEM_ID, password=password).start()
    app.config.update(EBMS_BASE_URL=sandbox.url, EBMS_USERNAME=SYSTEM_ID, EBMS_PASSWORD=password)
    from console.extensions import db

    with app.app_context():
        pending = select(InvoiceMessage.order_id).where(
            InvoiceMessage.state == MessageState.PENDING,
            InvoiceMessage.kind == MessageKind.INVOICE,
        )
        count = db.session.scalar(select(func.count()).select_from(pending.subquery())) or 0
        refused = db.session.scalars(
            select(m.Cooperative.nif)
            .join(m.Order, m.Order.seller_id == m.Cooperative.id)
            .where(m.Order.id.in_(pending))
            .group_by(m.Cooperative.id, m.Cooperative.nif)
            .order_by(m.Cooperative.id)
            .limit(UNKNOWN_SELLERS)
        ).all()
        db.session.remove()
    sandbox.state.unknown_nifs.update(nif for nif in refused if nif)
    stop = threading.Event()
    thread = threading.Thread(
        target=_send_forever, args=(app, count > 0, stop), name="ebms-demo", daemon=True
    )
    app.extensions["isoko_ebms_demo"] = DemoTransmission(sandbox, thread, stop)
    thread.start()
    return (
        f"OBR eBMS : bac à sable démarré sur {sandbox.url} ; {count} facture(s) des ventes "
        "récentes transmise(s) en arrière-plan (NIF de "
        f"{len(refused)} vendeur(s) inconnus de ce bac à sable : factures refusées)."
    )


def _send_forever(app: Flask, refresh_after_first: bool, stop: threading.Event) -> None:
    """Drain the outbox every few seconds; after the first backlog, refresh the flags."""
    from console.ebms.jobs import drain_now
    from console.extensions import db

    first = True
    while not stop.is_set():
        try:
            with app.app_context():
                drain_now(app, wait_s=POLL_S)
                if first and refresh_after_first:
                    _refresh_recent_facts(db.session)
                db.session.remove()
            first = False
        except Exception:  # the demo keeps serving; the next round tries again
            log.exception("transmission de démonstration à l'OBR interrompue")
        stop.wait(POLL_S)


def _refresh_recent_facts(session) -> None:
    """Recompute the aggregates and stored flags of the eBMS months (now mostly registered)."""
    from console.services.audit import Actor, acting_as
    from console.services.facts import refresh_facts
    from console.services.periods import today_local

    since = session.scalar(
        select(func.min(m.Order.placed_at)).join(
            InvoiceMessage, InvoiceMessage.order_id == m.Order.id
        )
    )
    with acting_as(Actor(None, "run.py", "cli")):
        refresh_facts(session, since=since.date() if since else today_local() - dt.timedelta(40))
        session.commit()
