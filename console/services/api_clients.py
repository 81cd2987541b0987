"""Integration API clients: create, rotate, revoke, and check a presented token.

A token reads ``isk_<key id>.<secret>``: the key id (public) finds the client, the
secret (32 random bytes) is compared with the stored SHA-256 hash. A slow password hash
is not needed for a 256-bit random secret (nobody can guess it by trying), and a fast
one keeps the check of every call cheap. The secret is shown once, at creation or
rotation; only its hash is stored.

A tablet reported lost or stolen, checked in or transferred is no longer in its
cooperative's hands: :func:`revoke_device_clients` revokes its clients in the caller's
transaction (console.services.inventory calls it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from console import models as m
from console.models.types import utcnow
from console.services import driver_sql
from console.services.refusals import Refusal, Refused

TOKEN_PREFIX = "isk_"
REVOKED_FOR_DEVICE = "Tablette {tag} : {event}. Le client API est révoqué d'office."


@dataclass(frozen=True)
class IssuedToken:
    """A client and its token in clear: the only time the secret is visible."""

    client: m.ApiClient
    token: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret(client: m.ApiClient) -> str:
    """Give the client a new secret; return the full token."""
    secret = secrets.token_urlsafe(32)
    client.secret_hash = _hash(secret)
    return f"{TOKEN_PREFIX}{client.key_id}.{secret}"


def client_refusals(
    session: Session, *, kind: m.ApiClientKind, cooperative_id: int | None, device_id: int | None
) -> list[Refusal]:
    """Why such a client cannot be created (a tablet needs its cooperative and its device)."""
    refusals = []
    if kind == m.ApiClientKind.TABLET:
        if cooperative_id is None:
            refusals.append(
                Refusal("cooperative", None, "Un client tablette est lié à une coopérative.")
            )
        device = session.get(m.Device, device_id) if device_id else None
        if device is None or device.kind != m.DeviceKind.TABLET:
            refusals.append(
                Refusal(
                    "device",
                    device_id,
                    "Un client tablette est lié à une tablette de l'inventaire.",
                )
            )
        elif (
            device.status != m.DeviceStatus.ASSIGNED
            or assigned_cooperative(session, device) != cooperative_id
        ):
            refusals.append(
                Refusal(
                    "device",
                    device.asset_tag,
                    "Cette tablette n'est pas remise à cette coopérative.",
                )
            )
    elif cooperative_id is not None or device_id is not None:
        refusals.append(
            Refusal("kind", kind.value, "La vitrine n'est liée à aucune coopérative ni tablette.")
        )
    return refusals


def assigned_cooperative(session: Session, device: m.Device) -> int | None:
    """The cooperative holding the device now (its open assignment), if any."""
    return session.scalar(
        select(m.DeviceAssignment.cooperative_id).where(
            m.DeviceAssignment.device_id == device.id, m.DeviceAssignment.checked_in_at.is_(None)
        )
    )


def create_client(
    session: Session,
    *,
    name: str,
    kind: m.ApiClientKind,
    cooperative_id: int | None = None,
    device_id: int | None = None,
    created_by_id: int | None = None,
) -> IssuedToken:
    """A new active client and its token (shown once); flushes, never commits."""
    refusals = client_refusals(
        session, kind=kind, cooperative_id=cooperative_id, device_id=device_id
    )
    if refusals:
        raise Refused(refusals)
    client = m.ApiClient(
        name=name,
        kind=kind,
        cooperative_id=cooperative_id,
        device_id=device_id,
        state=m.ApiClientState.ACTIVE,
        key_id=secrets.token_hex(8),
        created_by_fk=created_by_id,
        created_at=utcnow(),
    )
    token = _new_secret(client)
    session.add(client)
    session.flush()
    return IssuedToken(client, token)


def rotate_secret(session: Session, client: m.ApiClient) -> IssuedToken:
    """A new secret for an active client; the old one stops working at once."""
    if client.state != m.ApiClientState.ACTIVE:
        raise Refused(
            [Refusal("state", client.state.value, "Un client révoqué ne reçoit plus de secret.")]
        )
    token = _new_secret(client)
    client.rotated_at = utcnow()
    session.flush()
    return IssuedToken(client, token)


def revoke(client: m.ApiClient, reason: str) -> bool:
    """Revoke a client (no effect on one already revoked); True when it was active."""
    if client.state == m.ApiClientState.REVOKED:
        return False
    client.state = m.ApiClientState.REVOKED
    client.revoked_at = utcnow()
    client.revoked_reason = reason
    return True


def revoke_device_clients(session: Session, device: m.Device, event: str) -> list[m.ApiClient]:
    """Revoke every active client of a device, in the caller's transaction; the clients revoked."""
    clients = session.scalars(
        select(m.ApiClient).where(
            m.ApiClient.device_id == device.id, m.ApiClient.state == m.ApiClientState.ACTIVE
        )
    ).all()
    for client in clients:
        revoke(client, REVOKED_FOR_DEVICE.format(tag=device.asset_tag, event=event))
    session.flush()
    return list(clients)


@dataclass(frozen=True)
class Caller:
    """An active client that presented its token: what a call needs of it (no ORM object)."""

    id: int
    name: str
    kind: m.ApiClientKind
    cooperative_id: int | None
    last_used_at: dt.datetime | None


# Built once: every API call runs them (on PostgreSQL's driver, console.services.driver_sql).
_CLIENT = m.ApiClient.__table__.c
_BY_KEY_ID = select(
    _CLIENT.id, _CLIENT.name, _CLIENT.kind, _CLIENT.cooperative_id, _CLIENT.last_used_at,
    _CLIENT.state, _CLIENT.secret_hash,
).where(_CLIENT.key_id == bindparam("key_id"))  # fmt: skip
_USED = (
    update(m.ApiClient.__table__)
    .where(_CLIENT.id == bindparam("caller_id"))
    .values(last_used_at=bindparam("used_at"))
)
# The last call's time is written at most once a minute: a busy client must not queue on
# its own row.
LAST_USED_EVERY_S = 60


def authenticate(session: Session, token: str | None) -> Caller | None:
    """The active client a token belongs to, or None (unknown, wrong secret, revoked)."""
    if not token or not token.startswith(TOKEN_PREFIX) or "." not in token:
        return None
    key_id, _, secret = token[len(TOKEN_PREFIX) :].partition(".")
    if not key_id or not secret or len(key_id) > 32:
        return None
    found = driver_sql.returning(session, _BY_KEY_ID, [{"key_id": key_id}])
    if not found:
        return None
    client_id, name, kind, cooperative_id, last_used_at, state, secret_hash = found[0]
    if not hmac.compare_digest(secret_hash, _hash(secret)) or state != m.ApiClientState.ACTIVE:
        return None
    return Caller(client_id, name, kind, cooperative_id, last_used_at)


def note_call(session: Session, caller: Caller, now: dt.datetime) -> None:
    """Record the client's last call (in the caller's transaction), at most once a minute."""
    last = caller.last_used_at
    if last is None or (now - last).total_seconds() > LAST_USED_EVERY_S:
        driver_sql.execute(session, _USED, {"caller_id": caller.id, "used_at": now})


def key_id_of(token: str | None) -> str | None:
    """The public key id in a token (for rate-limit keys), without checking anything."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    return token[len(TOKEN_PREFIX) :].partition(".")[0][:32] or None
