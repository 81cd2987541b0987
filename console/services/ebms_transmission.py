"""Drain the eBMS outbox: send due messages in parallel, settle each from OBR's answer.

Exactly once, whatever fails: a message's identifier is fixed at its first send, and OBR
refuses a second invoice with the same identifier. So a retry after a timeout first asks
``getInvoice`` (the invoice may have been registered without an answer), and a duplicate
refusal is settled through ``getInvoice`` too. A worker killed mid-send leaves its lease
(``locked_until``) to expire and the message marked as possibly sent.

Transient failures (timeout, 5xx, connection) are retried with exponential back-off and
jitter; business refusals are not retried: the message waits in « Refusées par l'OBR »
for someone to correct the record and press « Renvoyer ». Every call and its outcome is
written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from console.ebms.client import BusinessRefusal, EbmsClient, TransientError
from console.ebms.interface import DATE_FORMAT, says_duplicate
from console.models.audit import AuditEvent
from console.models.ebms import InvoiceMessage, MessageKind, MessageState
from console.models.types import utcnow
from console.services.audit import Actor, acting_as
from console.services.ebms_payload import build_invoice
from console.services.ebms_tin import check_pending
from console.services.periods import BUJUMBURA

ACTOR = Actor(None, "eBMS", "worker")
NOT_REGISTERED = "La facture n'a jamais été enregistrée par l'OBR : rien à annuler."


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with jitter for transient failures (config.py: ISOKO_EBMS_RETRY_*)."""

    base_s: float = 2.0
    cap_s: float = 600.0
    lease_s: float = 120.0  # how long a claimed message stays a worker's before another may take it

    def delay_s(self, attempts: int, rng: random.Random) -> float:
        """Half the exponential step plus a random half ('equal jitter'): never zero, never in step."""
        step = min(self.cap_s, self.base_s * 2 ** max(0, attempts - 1))
        return step / 2 + rng.uniform(0, step / 2)


@dataclass
class DrainResult:
    """What a drain did, by outcome."""

    registered: int = 0
    refused: int = 0
    retried: int = 0
    found_after_timeout: int = 0
    duplicates_settled: int = 0
    outcomes: dict[int, str] = field(default_factory=dict)

    def add(self, message_id: int, outcome: str) -> None:
        self.outcomes[message_id] = outcome
        if outcome in ("registered", "found", "duplicate"):
            self.registered += 1
            self.found_after_timeout += outcome == "found"
            self.duplicates_settled += outcome == "duplicate"
        elif outcome == "refused":
            self.refused += 1
        elif outcome == "retry":
            self.retried += 1


def _record(
    session: Session,
    message: InvoiceMessage,
    call: str,
    outcome: str,
    detail: str = "",
    status: int | None = None,
) -> None:
    """One audit event per call to OBR and its outcome."""
    session.execute(
        insert(AuditEvent.__table__).values(
            at=utcnow(),
            user_id=None,
            username=ACTOR.username,
            source=ACTOR.source,
            table_name=InvoiceMessage.__tablename__,
            row_id=message.id,
            action="transmit",
            changes={
                "call": call,
                "outcome": outcome,
                "status": status,
                "message": detail,
                "identifier": message.identifier,
                "attempt": message.attempts,
            },
        )
    )


def _obr_time(value) -> dt.datetime:
    """OBR's registration date (Bujumbura time) as aware UTC; now when unreadable."""
    try:
        return (
            dt.datetime.strptime(str(value), DATE_FORMAT)
            .replace(tzinfo=BUJUMBURA)
            .astimezone(dt.UTC)
        )
    except (TypeError, ValueError):
        return utcnow()


def _settle_registered(message: InvoiceMessage, result: dict, message_text: str) -> None:
    message.state = MessageState.REGISTERED
    message.obr_number = str(result.get("invoice_registered_number") or "") or None
    message.obr_registered_at = _obr_time(result.get("invoice_registered_date"))
    message.obr_signature = result.get("electronic_signature") or message.identifier
    message.uncertain = False
    message.last_message = message_text
    message.last_answer = result
    message.settled_at = utcnow()


def _retry_later(
    message: InvoiceMessage, error: TransientError, policy: RetryPolicy, rng: random.Random
) -> None:
    message.uncertain = message.uncertain or error.uncertain
    message.last_status = error.status
    message.last_message = error.message
    message.next_attempt_at = utcnow() + dt.timedelta(seconds=policy.delay_s(message.attempts, rng))


def _send_invoice(session: Session, client: EbmsClient, message: InvoiceMessage) -> str:
    """addInvoice (after getInvoice when the last try may have landed); the outcome's name."""
    if message.uncertain:
        found = client.get_invoice(message.identifier)
        _record(session, message, "getInvoice", "found" if found else "absent")
        if found:
            _settle_registered(
                message, found, "Enregistrée (retrouvée par getInvoice après une coupure)."
            )
            return "found"
        message.uncertain = False
    try:
        result = client.add_invoice(message.payload)
    except BusinessRefusal as refusal:
        if not says_duplicate(refusal.message):
            raise
        _record(session, message, "addInvoice", "duplicate", refusal.message, refusal.status)
        found = client.get_invoice(message.identifier)
        _record(session, message, "getInvoice", "found" if found else "absent")
        if found is None:
            raise TransientError(
                "OBR signale un doublon mais ne retrouve pas la facture."
            ) from refusal
        _settle_registered(message, found, refusal.message)
        return "duplicate"
    _record(session, message, "addInvoice", "registered", "", 200)
    _settle_registered(message, result, "Enregistrée.")
    return "registered"


def _send_cancellation(session: Session, client: EbmsClient, message: InvoiceMessage) -> str:
    invoice = session.scalars(
        select(InvoiceMessage).where(
            InvoiceMessage.order_id == message.order_id, InvoiceMessage.kind == MessageKind.INVOICE
        )
    ).one()
    if invoice.state == MessageState.PENDING:
        raise TransientError("La facture à annuler n'est pas encore enregistrée.", uncertain=False)
    if invoice.state == MessageState.REFUSED:
        raise BusinessRefusal(NOT_REGISTERED)
    message.identifier = invoice.identifier
    message.payload = {"invoice_signature": invoice.identifier, "cn_motif": message.reason}
    try:
        answer = client.cancel_invoice(invoice.identifier, message.reason or "")
    except BusinessRefusal as refusal:
        if "déjà annulée" not in refusal.message.lower():
            raise
        answer = refusal.body or {}
    _record(session, message, "cancelInvoice", "registered", str(answer.get("msg", "")))
    _settle_registered(message, answer.get("result") or {}, str(answer.get("msg") or "Annulée."))
    message.obr_signature = invoice.obr_signature
    return "registered"


def transmit(
    session: Session,
    client: EbmsClient,
    message_id: int,
    policy: RetryPolicy,
    rng: random.Random | None = None,
) -> str:
    """Send one claimed message and commit its new state; 'registered', 'found', 'duplicate',
    'refused' or 'retry'."""
    rng = rng or random.Random()
    message = session.get(InvoiceMessage, message_id)
    if message is None or message.state != MessageState.PENDING:
        return "skipped"
    message.attempts += 1
    try:
        if message.kind == MessageKind.CANCELLATION:
            outcome = _send_cancellation(session, client, message)
        else:
            if message.identifier is None or message.payload is None:
                message.identifier, message.payload = build_invoice(
                    session, message, client.settings.username
                )
            outcome = _send_invoice(session, client, message)
    except TransientError as error:
        _retry_later(message, error, policy, rng)
        _record(session, message, "transmit", "retry", error.message, error.status)
        outcome = "retry"
    except BusinessRefusal as refusal:
        message.state = MessageState.REFUSED
        message.last_status, message.last_message = refusal.status, refusal.message
        message.last_answer = refusal.body
        message.settled_at = utcnow()
        _record(session, message, "addInvoice", "refused", refusal.message, refusal.status)
        outcome = "refused"
    message.locked_until = None
    session.commit()
    return outcome


def claim(session: Session, limit: int, policy: RetryPolicy) -> list[int]:
    """Take up to ``limit`` due messages for this worker (a lease), oldest first; commits."""
    now = utcnow()
    query = (
        select(InvoiceMessage.id)
        .where(
            InvoiceMessage.state == MessageState.PENDING,
            InvoiceMessage.next_attempt_at <= now,
            or_(InvoiceMessage.locked_until.is_(None), InvoiceMessage.locked_until < now),
        )
        .order_by(InvoiceMessage.next_attempt_at, InvoiceMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            update(InvoiceMessage)
            .where(InvoiceMessage.id.in_(ids))
            .values(locked_until=now + dt.timedelta(seconds=policy.lease_s))
        )
    session.commit()
    return ids


def next_due(session: Session) -> dt.datetime | None:
    """When the earliest pending message is due (None: nothing pending)."""
    return session.scalar(
        select(InvoiceMessage.next_attempt_at)
        .where(InvoiceMessage.state == MessageState.PENDING)
        .order_by(InvoiceMessage.next_attempt_at)
        .limit(1)
    )


def drain(
    engine: Engine,
    client: EbmsClient,
    policy: RetryPolicy,
    *,
    wait_s: float = 0.0,
    batch: int | None = None,
) -> DrainResult:
    """Send every due message, ``client.settings.parallelism`` at a time.

    ``wait_s``: keep going while messages fall due within that many seconds (retries after
    back-off), sleeping until the next one; 0 returns once nothing is due now.
    """
    parallelism = max(1, client.settings.parallelism)
    batch = batch or parallelism * 8
    result = DrainResult()
    deadline = time.monotonic() + wait_s

    def work(message_id: int) -> tuple[int, str]:
        with acting_as(ACTOR), Session(engine) as session:
            return message_id, transmit(session, client, message_id, policy)

    with (
        ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="ebms") as pool,
        Session(engine) as session,
    ):
        with acting_as(ACTOR):
            check_pending(session, client)  # NIFs entered or imported since the last drain
        while True:
            ids = claim(session, batch, policy)
            if ids:
                for message_id, outcome in pool.map(work, ids):
                    result.add(message_id, outcome)
                continue
            due = next_due(session)
            session.commit()
            if due is None or time.monotonic() >= deadline:
                return result
            pause = (due - utcnow()).total_seconds()
            if pause > deadline - time.monotonic():
                return result
            time.sleep(max(0.05, min(pause, 1.0)))


def resend(session: Session, message: InvoiceMessage) -> None:
    """« Renvoyer »: put a refused message back in the queue, rebuilt from the corrected record."""
    if message.state != MessageState.REFUSED:
        raise ValueError("Seule une facture refusée par l'OBR peut être renvoyée.")
    message.state = MessageState.PENDING
    message.identifier = message.payload = None
    message.uncertain = False
    message.settled_at = None
    message.next_attempt_at = utcnow()
