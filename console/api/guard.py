"""The one guard of the integration API: authenticate, authorise, read the body, replay, audit.

Every endpoint of console.api.orders is wrapped by :func:`client_endpoint`, which in
this order:

1. authenticates the bearer token (``Authorization: Bearer isk_<key id>.<secret>``)
   against an active client (401 otherwise);
2. checks the policy table (``console.security.policy.CLIENT_POLICY``): may a client of
   this kind call this endpoint (403 otherwise);
3. for writes, requires an ``Idempotency-Key`` header: a key already answered replays
   the stored answer (same body) or is refused with 409 (another body). The key is
   inserted before the write, in the write's transaction, under a unique constraint on
   (client, key): a concurrent retry waits for the first to commit, then replays it;
4. reads and validates the JSON body (size limit, unknown fields, types: 400/413/422);
5. runs the endpoint, commits, and records the call (client, endpoint, key, outcome).

Every refusal is a JSON body ``{"errors": [{"field", "value", "message"}]}`` in French.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, request
from marshmallow import Schema, ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from console import models as m
from console.extensions import db
from console.models.types import utcnow
from console.security.policy import client_allows
from console.services import driver_sql
from console.services.api_clients import Caller, authenticate, key_id_of, note_call
from console.services.audit import Actor, acting_as
from console.services.facts_pending import schedule_refresh
from console.services.refusals import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, Refusal, Refused

log = logging.getLogger(__name__)

RESOURCE = "IntegrationApi"
STATUS_OF = {INVALID: 422, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409}
KEY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


@dataclass
class Answer:
    """What the endpoint answers: HTTP status, JSON body, and the order it concerns."""

    status: int
    body: dict
    order_id: int | None = None
    replayed: bool = False
    headers: dict = field(default_factory=dict)
    key_record: int | None = None  # the idempotency key taken for it: its answer is yet to write

    @functools.cached_property
    def text(self) -> str:
        """The JSON body as sent (and as stored for a replay): serialised once."""
        return json.dumps(self.body, ensure_ascii=False, default=str)


class Failure(Exception):  # noqa: N818 - the guard's own refusal
    def __init__(self, status: int, refusals: list[Refusal]) -> None:
        super().__init__(status)
        self.answer = Answer(status, {"errors": [r.as_dict() for r in refusals]})


def fail(status: int, field_name: str, value, message: str) -> Failure:
    return Failure(status, [Refusal(field_name, value, message)])


def json_response(answer: Answer):
    response = current_app.response_class(
        answer.text,
        status=answer.status,
        mimetype="application/json",
    )
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response


def _client():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    client = authenticate(db.session, token.strip()) if scheme.lower() == "bearer" else None
    if client is None:
        failure = fail(
            401,
            "Authorization",
            None,
            "Jeton absent, inconnu ou révoqué : envoyez « Authorization: Bearer isk_… ».",
        )
        failure.answer.headers["WWW-Authenticate"] = 'Bearer realm="isoko"'
        raise failure
    return client


def _body(schema: type[Schema]) -> dict:
    limit = current_app.config["API_MAX_BODY_BYTES"]
    request.max_content_length = limit
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise fail(
            413, "body", None, f"Corps de requête trop grand (au plus {limit} octets)."
        ) from None
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise fail(400, "body", None, "Corps JSON illisible.") from None
    if not isinstance(data, dict):
        raise fail(400, "body", None, "Le corps doit être un objet JSON.")
    try:
        return _schema(schema).load(data)
    except ValidationError as error:
        raise Failure(422, list(_flatten(error.messages, data))) from None


@functools.cache
def _schema(schema: type[Schema]) -> Schema:
    """One instance per schema: building one deep-copies its fields (a load keeps no state)."""
    return schema()


def _flatten(messages, data, prefix: str = ""):
    """marshmallow's nested messages as (dotted field, value received, message)."""
    if isinstance(messages, dict):
        for key, inner in messages.items():
            value = (
                data.get(key)
                if isinstance(data, dict)
                else (
                    data[key]
                    if isinstance(data, list) and isinstance(key, int) and key < len(data)
                    else None
                )
            )
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name, value = prefix or "body", data
            yield from _flatten(inner, value, name)
    elif isinstance(messages, list):
        for message in messages:
            if isinstance(message, (dict, list)):
                yield from _flatten(message, data, prefix)
            else:
                value = (
                    data
                    if isinstance(data, (str, int, float, bool)) or data is None
                    else str(data)[:200]
                )
                yield Refusal(prefix, value, str(message))


def _request_hash(payload_raw: bytes) -> str:
    try:
        canonical = json.dumps(
            json.loads(payload_raw or b"null"), sort_keys=True, separators=(",", ":")
        )
    except ValueError:
        canonical = payload_raw.decode("utf-8", "replace")
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _key() -> str:
    key = request.headers.get(KEY_HEADER, "").strip()
    if not key:
        raise fail(
            400, KEY_HEADER, None, "En-tête Idempotency-Key obligatoire pour toute écriture."
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise fail(
            400,
            KEY_HEADER,
            key[:MAX_KEY_LENGTH],
            f"Idempotency-Key : au plus {MAX_KEY_LENGTH} caractères imprimables.",
        )
    return key


def _stored(client_id: int, key: str) -> m.ApiIdempotencyKey | None:
    return db.session.scalars(
        select(m.ApiIdempotencyKey).where(
            m.ApiIdempotencyKey.client_id == client_id, m.ApiIdempotencyKey.key == key
        )
    ).first()


def _replay(stored: m.ApiIdempotencyKey, request_hash: str) -> Answer:
    if stored.request_hash != request_hash:
        raise fail(
            409,
            KEY_HEADER,
            stored.key,
            "Cette Idempotency-Key a déjà servi pour une autre requête : "
            "utilisez une nouvelle clé pour une nouvelle opération.",
        )
    body = json.loads(stored.response)
    return Answer(stored.status, body, body.get("id"), replayed=True)


# The statements of every call, built once (building them cost more than running them).
_KEYS = m.ApiIdempotencyKey.__table__
_ANSWER_KEY = (
    update(_KEYS)
    .where(_KEYS.c.id == bindparam("record_id"))
    .values(status=bindparam("answer_status"), response=bindparam("answer_body"))
)
_CALLS = m.ApiCall.__table__
# Parameters of their own (call_…): with the key's answer in one statement, a shared name
# would also set the key's column of that name.
_LOG_CALL = insert(_CALLS).values(
    {column.key: bindparam(f"call_{column.key}") for column in _CALLS.c if column.key != "id"}
)
# On PostgreSQL the key's answer and the call's log are one statement (a data-modifying CTE).
_ANSWER_AND_LOG = _LOG_CALL.add_cte(_ANSWER_KEY.cte("answered"))


@functools.cache
def _take_key(dialect: str):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, for the session's dialect."""
    insert_into = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert_into(_KEYS)
        .on_conflict_do_nothing(index_elements=["client_id", "key"])
        .returning(_KEYS.c.id)
    )


def _idempotent(client: Caller, key: str, run: Callable[[], Answer]) -> Answer:
    """Run a write once per (client, key); a retry gets the first answer."""
    request_hash = _request_hash(request.get_data(cache=True))
    # Take the key first, in one statement: it waits for a concurrent holder of the key
    # to commit (then inserts nothing) or to roll back (then takes it).
    taken = driver_sql.returning(
        db.session,
        _take_key(db.session.get_bind().dialect.name),
        [
            {
                "client_id": client.id,
                "key": key,
                "endpoint": request.path[:200],
                "request_hash": request_hash,
                "status": 0,
                "response": "",
                "created_at": utcnow(),
            }
        ],
    )
    record_id = taken[0][0] if taken else None
    if record_id is None:  # already answered: replay it, or 409 for another body
        stored = _stored(client.id, key)
        if stored is None:
            raise fail(409, KEY_HEADER, key, "Requête concurrente avec la même clé : réessayez.")
        return _replay(stored, request_hash)
    answer = run()
    answer.key_record = record_id  # answered with the call's log (_audit)
    return answer


def _audit(client_id: int | None, key: str | None, answer: Answer) -> None:
    """Log the call (client, endpoint, key, outcome) and store the answer of a key just taken."""
    errors = answer.body.get("errors") if isinstance(answer.body, dict) else None
    outcome = (
        "rejoué"
        if answer.replayed
        else ("ok" if answer.status < 400 else (errors[0]["message"] if errors else "refusé"))
    )
    # Plain statements: the call log and the keys are not audited, and need no unit of work.
    call = {
        "call_client_id": client_id,
        "call_at": utcnow(),
        "call_method": request.method,
        "call_endpoint": request.path[:200],
        "call_idempotency_key": key,
        "call_status": answer.status,
        "call_outcome": outcome[:200],
        "call_order_id": answer.order_id,
    }
    if answer.key_record is None:
        driver_sql.execute(db.session, _LOG_CALL, call)
        return
    key_answer = {
        "record_id": answer.key_record,
        "answer_status": answer.status,
        "answer_body": answer.text,
    }
    if db.session.get_bind().dialect.name == "postgresql":
        driver_sql.execute(db.session, _ANSWER_AND_LOG, call | key_answer)
    else:
        db.session.execute(_ANSWER_KEY, key_answer)
        db.session.execute(_LOG_CALL, call)


def client_endpoint(permission: str, *, writes: bool = False, schema: type[Schema] | None = None):
    """Guard an integration endpoint: ``fn(self, client, payload, **url_args) -> Answer``."""

    def decorator(fn):
        @functools.wraps(fn)
        def guarded(self, **kwargs):
            client_id = key = None
            try:
                client = _client()
                client_id = client.id
                if not client_allows(client.kind.value, permission, RESOURCE):
                    raise fail(
                        403,
                        "Authorization",
                        client.kind.value,
                        "Ce type de client n'a pas accès à cette opération.",
                    )
                if writes:
                    key = _key()
                payload = _body(schema) if schema is not None else None
                note_call(db.session, client, utcnow())

                def run() -> Answer:
                    with acting_as(Actor(None, f"api:{client.name}"[:80], "api")):
                        return fn(self, client, payload, **kwargs)

                answer = _idempotent(client, key, run) if writes else run()
                _audit(client_id, key, answer)
                db.session.commit()
                if writes and not answer.replayed:
                    schedule_refresh(current_app._get_current_object())
            except (Failure, Refused) as refusal:
                db.session.rollback()
                answer = (
                    refusal.answer
                    if isinstance(refusal, Failure)
                    else Answer(
                        STATUS_OF[refusal.kind], {"errors": [r.as_dict() for r in refusal.refusals]}
                    )
                )
                _audit(client_id, key, answer)
                db.session.commit()
            except IntegrityError:
                # A concurrent write took the same unique value (a payment reference) first.
                db.session.rollback()
                answer = fail(
                    409,
                    "body",
                    None,
                    "Écriture concurrente d'une même valeur unique : "
                    "relisez l'état puis réessayez.",
                ).answer
                _audit(client_id, key, answer)
                db.session.commit()
            except HTTPException:
                db.session.rollback()
                raise
            return json_response(answer)

        guarded._isoko_client_permission = (permission, RESOURCE)
        return guarded

    return decorator


def client_rate_key() -> str:
    """The rate-limit bucket: the client's public key id (else the caller's address)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    key_id = key_id_of(token.strip()) if scheme.lower() == "bearer" else None
    return f"api-client:{key_id}" if key_id else f"api-address:{request.remote_addr}"


def rate_limited(limit) -> None:
    """Flask-Limiter's breach: record the refused call; the app's 429 handler answers in French JSON."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    key_id = key_id_of(token.strip()) if scheme.lower() == "bearer" else None
    client_id = (
        db.session.scalar(select(m.ApiClient.id).where(m.ApiClient.key_id == key_id))
        if key_id
        else None
    )
    answer = fail(429, "Authorization", None, "Trop de requêtes pour ce client.").answer
    _audit(client_id, request.headers.get(KEY_HEADER), answer)
    db.session.commit()
