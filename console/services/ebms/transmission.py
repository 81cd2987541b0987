"""Drain the eBMS outbox: send due messages in parallel, settle each from OBR's answer.

Exactly once, whatever fails: a message's identifier is fixed before its first send (and
stored with the claim), and OBR refuses a second invoice with the same identifier. So a
retry after a timeout first asks ``getInvoice`` (the invoice may have been registered
without an answer), and a duplicate refusal is settled through ``getInvoice`` too. A worker
killed mid-send leaves its lease (``locked_until``) to expire; the next claim of such a
message marks it as possibly sent, so it starts with ``getInvoice``.

The drain is a pipeline, so OBR's latency, not the database, sets the pace:

* **claim** a batch in one statement (``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
  LOCKED) RETURNING …``; SQLite serialises writers and needs no row lock), then build the
  invoices of the batch from a handful of queries and store their identifiers;
* **send**: ``parallelism`` sender threads that only talk HTTP (one token and one
  connection pool for all), each fed a new message as soon as it finishes one;
* **record** the outcomes in groups: one transaction per group, the messages updated and
  the audit events inserted in bulk.

A credit note (FA) or a cancellation is not claimed while the invoice it refers to is not
registered yet: it waits in the outbox and leaves as soon as OBR has the original.

Transient failures (timeout, 5xx, connection) are retried with exponential back-off and
jitter; business refusals are not retried: the message waits in « Refusées par l'OBR »
for someone to correct the record and press « Renvoyer ». Every call and its outcome is
written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, insert, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased

from console import models as m
from console.ebms.client import BusinessRefusal, EbmsClient, TransientError
from console.ebms.interface import DATE_FORMAT, says_duplicate
from console.models.audit import AuditEvent
from console.models.ebms import InvoiceMessage, MessageKind, MessageState
from console.models.types import utcnow
from console.services.audit import Actor, acting_as
from console.services.ebms.payload import build_invoice, load_orders
from console.services.ebms.tin import check_pending
from console.services.periods import BUJUMBURA

ACTOR = Actor(None, "eBMS", "worker")
NOT_REGISTERED = "La facture n'a jamais été enregistrée par l'OBR : rien à annuler."
LEASE_S = 120.0


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off for transient failures and the claim's lease (config.py: ISOKO_EBMS_RETRY_*,
    ISOKO_EBMS_LEASE_S)."""

    base_s: float = 2.0
    cap_s: float = 600.0
    lease_s: float = (
        LEASE_S  # how long a claimed message stays a worker's before another may take it
    )

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


@dataclass
class Job:
    """A claimed message, with all a sender thread needs (no database access while sending)."""

    id: int
    kind: MessageKind
    attempts: int
    uncertain: bool
    identifier: str | None
    payload: dict | None
    reason: str | None = None
    ref_signature: str | None = None  # a cancellation: the original's electronic signature
    refusal: str | None = None  # refused before sending (a cancellation of a refused invoice)


@dataclass
class Outcome:
    """What sending one job came to: the message's new values and the audit events."""

    job: Job
    name: str  # registered, found, duplicate, refused, retry
    values: dict
    events: list[dict]


# Claiming ------------------------------------------------------------------------
def _original_not_ready():
    """An FA or cancellation whose invoice OBR has not registered yet (held in the outbox).

    The original invoice is the FN message of the order itself (a credit note on some
    lines, a cancellation) or of the order a return came back from. A cancellation of a
    refused invoice is let through (it is refused at once); an FA waits for its invoice.
    """
    message, original = InvoiceMessage, aliased(InvoiceMessage)
    return and_(
        message.kind != MessageKind.INVOICE,
        exists()
        .where(
            m.Order.id == message.order_id,
            original.kind == MessageKind.INVOICE,
            original.order_id == func.coalesce(m.Order.returns_order_id, m.Order.id),
            or_(
                original.state == MessageState.PENDING,
                and_(
                    message.kind == MessageKind.CREDIT_NOTE,
                    original.state == MessageState.REFUSED,
                ),
            ),
        )
        .correlate(message),
    )


def _waiting():
    """Pending messages that may be sent once due (not held behind their invoice)."""
    return and_(InvoiceMessage.state == MessageState.PENDING, ~_original_not_ready())


def claim(session: Session, limit: int, policy: RetryPolicy, system_id: str) -> list[Job]:
    """Take up to ``limit`` due messages for this worker (a lease), oldest first; commits.

    One statement claims them; the invoices not built yet are built from the stamped
    records (``system_id``: OBR's system identifier, the client's username) and their
    identifiers stored in the same transaction, before any send.
    """
    now = utcnow()
    table = InvoiceMessage.__table__
    if session.get_bind().dialect.name == "postgresql":
        # A short statement run often: compiling it (JIT, when the planner's estimates are
        # stale after a burst of inserts) would cost a hundred times more than running it.
        session.execute(text("SET LOCAL jit = off"))
    due = (
        select(InvoiceMessage.id)
        .where(
            _waiting(),
            InvoiceMessage.next_attempt_at <= now,
            or_(InvoiceMessage.locked_until.is_(None), InvoiceMessage.locked_until < now),
        )
        .order_by(InvoiceMessage.next_attempt_at, InvoiceMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = session.execute(
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(
            locked_until=now + dt.timedelta(seconds=policy.lease_s),
            attempts=table.c.attempts + 1,
            # A lease that ran out: its worker died, perhaps mid-send. Ask before sending.
            uncertain=or_(table.c.uncertain, table.c.locked_until.is_not(None)),
        )
        .returning(
            table.c.id,
            table.c.order_id,
            table.c.kind,
            table.c.number,
            table.c.invoice_at,
            table.c.ref_number,
            table.c.reason,
            table.c.line_ids,
            table.c.attempts,
            table.c.uncertain,
            table.c.identifier,
            table.c.payload,
        )
    ).all()
    claimed.sort(key=lambda row: row.id)
    jobs = _prepare(session, claimed, system_id) if claimed else []
    session.commit()
    return jobs


def _prepare(session: Session, rows, system_id: str) -> list[Job]:
    """Jobs of claimed rows: invoices built (in bulk) and stored, cancellations resolved."""
    others = [row for row in rows if row.kind != MessageKind.INVOICE]
    originals = _originals(session, {row.order_id for row in others}) if others else {}
    unbuilt = [
        row for row in rows if row.kind != MessageKind.CANCELLATION and row.identifier is None
    ]
    orders = load_orders(session, [row.order_id for row in unbuilt]) if unbuilt else {}
    jobs, built = [], []
    for row in rows:
        job = Job(
            row.id, row.kind, row.attempts, row.uncertain, row.identifier, row.payload, row.reason
        )
        original = originals.get(row.order_id)
        if row.kind == MessageKind.CANCELLATION:
            if original is None or original.state != MessageState.REGISTERED:
                job.refusal = NOT_REGISTERED
            else:
                job.identifier = original.identifier
                job.payload = {"invoice_signature": original.identifier, "cn_motif": row.reason}
                job.ref_signature = original.obr_signature
        elif job.identifier is None:
            job.identifier, job.payload = build_invoice(
                session,
                row,
                system_id,
                order=orders[row.order_id],
                ref_identifier=original.identifier if original is not None else None,
            )
        if job.identifier != row.identifier:
            built.append({"id": job.id, "identifier": job.identifier, "payload": job.payload})
        jobs.append(job)
    if built:
        session.execute(update(InvoiceMessage).execution_options(synchronize_session=False), built)
    return jobs


def _originals(session: Session, order_ids: set[int]) -> dict[int, InvoiceMessage]:
    """Per order of an FA or cancellation, the FN message of the invoice it refers to."""
    owner = func.coalesce(m.Order.returns_order_id, m.Order.id)
    rows = session.execute(
        select(m.Order.id, InvoiceMessage)
        .join(InvoiceMessage, InvoiceMessage.order_id == owner)
        .where(m.Order.id.in_(order_ids), InvoiceMessage.kind == MessageKind.INVOICE)
    ).all()
    return {order_id: message for order_id, message in rows}


# Sending (no database) ------------------------------------------------------------
def _event(job: Job, call: str, outcome: str, detail: str = "", status=None, **extra) -> dict:
    return {
        "call": call,
        "outcome": outcome,
        "status": status,
        "message": detail,
        "identifier": job.identifier,
        "attempt": job.attempts,
        **extra,
    }


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


def _registered(job: Job, result: dict, message_text: str) -> dict:
    return {
        "state": MessageState.REGISTERED,
        "obr_number": str(result.get("invoice_registered_number") or "") or None,
        "obr_registered_at": _obr_time(result.get("invoice_registered_date")),
        "obr_signature": result.get("electronic_signature") or job.identifier,
        "uncertain": False,
        "last_message": message_text,
        "last_answer": result,
        "settled_at": utcnow(),
    }


def _send_invoice(client: EbmsClient, job: Job, events: list[dict]) -> tuple[str, dict]:
    """addInvoice (after getInvoice when the last try may have landed)."""
    if job.uncertain:
        found = client.get_invoice(job.identifier)
        events.append(_event(job, "getInvoice", "found" if found else "absent"))
        if found:
            return "found", _registered(
                job, found, "Enregistrée (retrouvée par getInvoice après une coupure)."
            )
        job.uncertain = False
    try:
        result = client.add_invoice(job.payload)
    except BusinessRefusal as refusal:
        if not says_duplicate(refusal.message):
            raise
        events.append(_event(job, "addInvoice", "duplicate", refusal.message, refusal.status))
        found = client.get_invoice(job.identifier)
        events.append(_event(job, "getInvoice", "found" if found else "absent"))
        if found is None:
            raise TransientError(
                "OBR signale un doublon mais ne retrouve pas la facture.", uncertain=False
            ) from refusal
        return "duplicate", _registered(job, found, refusal.message)
    values = _registered(job, result, "Enregistrée.")
    events.append(_event(job, "addInvoice", "registered", "", 200, obr_number=values["obr_number"]))
    return "registered", values


def _send_cancellation(client: EbmsClient, job: Job, events: list[dict]) -> tuple[str, dict]:
    try:
        answer = client.cancel_invoice(job.identifier, job.reason or "")
    except BusinessRefusal as refusal:
        if "déjà annulée" not in refusal.message.lower():
            raise
        answer = refusal.body or {}
    events.append(_event(job, "cancelInvoice", "registered", str(answer.get("msg", ""))))
    values = _registered(job, answer.get("result") or {}, str(answer.get("msg") or "Annulée."))
    values["obr_signature"] = job.ref_signature
    return "registered", values


def send(client: EbmsClient, job: Job, policy: RetryPolicy, rng: random.Random) -> Outcome:
    """Send one claimed message to OBR: its outcome, nothing written yet (thread-safe)."""
    events: list[dict] = []
    try:
        if job.refusal:
            raise BusinessRefusal(job.refusal)
        if job.kind == MessageKind.CANCELLATION:
            name, values = _send_cancellation(client, job, events)
        else:
            name, values = _send_invoice(client, job, events)
    except TransientError as error:
        values = {
            "uncertain": job.uncertain or error.uncertain,
            "last_status": error.status,
            "last_message": error.message,
            "next_attempt_at": utcnow() + dt.timedelta(seconds=policy.delay_s(job.attempts, rng)),
        }
        events.append(_event(job, "transmit", "retry", error.message, error.status))
        name = "retry"
    except BusinessRefusal as refusal:
        values = {
            "state": MessageState.REFUSED,
            "last_status": refusal.status,
            "last_message": refusal.message,
            "last_answer": refusal.body,
            "settled_at": utcnow(),
        }
        call = "cancelInvoice" if job.kind == MessageKind.CANCELLATION else "addInvoice"
        events.append(_event(job, call, "refused", refusal.message, refusal.status))
        name = "refused"
    values["locked_until"] = None
    return Outcome(job, name, values, events)


# Recording ---------------------------------------------------------------------
def record(session: Session, outcomes: list[Outcome]) -> None:
    """Write a group of outcomes in one transaction: messages and audit events in bulk."""
    if not outcomes:
        return
    session.execute(
        update(InvoiceMessage).execution_options(synchronize_session=False),
        [{"id": outcome.job.id, **outcome.values} for outcome in outcomes],
    )
    now = utcnow()
    session.execute(
        insert(AuditEvent.__table__),
        [
            {
                "at": now,
                "user_id": None,
                "username": ACTOR.username,
                "source": ACTOR.source,
                "table_name": InvoiceMessage.__tablename__,
                "row_id": outcome.job.id,
                "action": "transmit",
                "changes": event,
            }
            for outcome in outcomes
            for event in outcome.events
        ],
    )
    session.commit()


def transmit(session: Session, client: EbmsClient, job: Job, policy: RetryPolicy) -> str:
    """Send one claimed message and record its outcome (tests, the console); its name."""
    outcome = send(client, job, policy, random.Random())
    record(session, [outcome])
    return outcome.name


def next_due(session: Session) -> dt.datetime | None:
    """When the earliest sendable pending message is due, or its lease ends (None: none)."""
    message = InvoiceMessage
    free_at = case(
        (message.locked_until > message.next_attempt_at, message.locked_until),
        else_=message.next_attempt_at,
    )
    return session.scalar(select(func.min(free_at)).where(_waiting()))


def drain(
    engine: Engine,
    client: EbmsClient,
    policy: RetryPolicy,
    *,
    wait_s: float = 0.0,
    batch: int | None = None,
    group: int | None = None,
) -> DrainResult:
    """Send every due message, ``client.settings.parallelism`` in flight at all times.

    ``wait_s``: keep going while messages fall due within that many seconds (retries after
    back-off), sleeping until the next one; 0 returns once nothing is due now. ``batch``:
    messages per claim; ``group``: outcomes per commit.
    """
    parallelism = max(1, client.settings.parallelism)
    batch = batch or parallelism * 2
    group = group or max(parallelism, 16)
    result = DrainResult()
    deadline = time.monotonic() + wait_s
    rng = random.Random()
    system_id = client.settings.username
    in_flight: set[Future] = set()  # running, or queued in the pool right behind them
    done: list[Outcome] = []
    exhausted = False  # the last claim found nothing due

    def flush(session: Session) -> None:
        record(session, done)
        for outcome in done:
            result.add(outcome.job.id, outcome.name)
        done.clear()

    with (
        ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="ebms") as pool,
        Session(engine) as session,
        acting_as(ACTOR),
    ):
        check_pending(session, client)  # NIFs entered or imported since the last drain
        try:
            while True:
                # Keep a batch queued behind the running sends, so none waits for the database.
                if not exhausted and len(in_flight) <= parallelism:
                    jobs = claim(session, batch, policy, system_id)
                    in_flight.update(pool.submit(send, client, job, policy, rng) for job in jobs)
                    exhausted = not jobs
                if in_flight:
                    finished, in_flight = wait(in_flight, timeout=0.2, return_when=FIRST_COMPLETED)
                    done.extend(future.result() for future in finished)
                    if len(done) >= group or not finished or not in_flight:
                        flush(session)
                        exhausted = False  # recorded: the invoices an FA waits for may be in
                    continue
                if done:
                    flush(session)
                    exhausted = False
                    continue
                due = next_due(session)
                session.commit()
                if due is None or time.monotonic() >= deadline:
                    return result
                pause = (due - utcnow()).total_seconds()
                if pause > deadline - time.monotonic():
                    return result
                time.sleep(max(0.05, min(pause, 1.0)))
                exhausted = False
        finally:
            done.extend(future.result() for future in in_flight)
            if done:
                flush(session)


def resend(session: Session, message: InvoiceMessage) -> None:
    """« Renvoyer »: put a refused message back in the queue, rebuilt from the corrected record."""
    if message.state != MessageState.REFUSED:
        raise ValueError("Seule une facture refusée par l'OBR peut être renvoyée.")
    message.state = MessageState.PENDING
    message.identifier = message.payload = None
    message.uncertain = False
    message.settled_at = None
    message.next_attempt_at = utcnow()
