"""checkTIN: OBR's verdict on each seller's NIF, asked when the NIF is entered or imported.

The request is written with the change (a pending ``TinVerification`` in the same
transaction, whichever path changed the NIF: console form, import, API); the eBMS drain asks
OBR and keeps the answer and its date. A console action re-checks at once.
"""

from __future__ import annotations

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from console import models as m
from console.ebms.client import EbmsClient, TransientError
from console.models.ebms import TinVerification
from console.models.types import utcnow

WAITING = "À vérifier auprès de l'OBR"


def _nif_changed(cooperative: m.Cooperative) -> bool:
    history = inspect(cooperative).attrs.nif.history
    return bool((cooperative.nif or "").strip()) and (
        inspect(cooperative).pending or history.has_changes()
    )


def install_tin_listener() -> None:
    """Queue a NIF check for every cooperative whose NIF is entered or changed (idempotent)."""
    if getattr(install_tin_listener, "_installed", False):
        return
    install_tin_listener._installed = True

    @event.listens_for(Session, "before_flush")
    def _queue_checks(session: Session, _ctx, _instances):
        changed = [
            obj
            for obj in (*session.new, *session.dirty)
            if isinstance(obj, m.Cooperative) and _nif_changed(obj)
        ]
        for cooperative in changed:
            session.add(
                TinVerification(
                    cooperative=cooperative,
                    nif=cooperative.nif.strip(),
                    known=None,
                    message=WAITING,
                    checked_at=utcnow(),
                )
            )


def record_check(session: Session, verification: TinVerification, client: EbmsClient) -> bool:
    """Ask OBR about one NIF and keep the answer; False when OBR could not be reached."""
    try:
        answer = client.check_tin(verification.nif)
    except TransientError as error:
        verification.message = f"{WAITING} ({error.message})"
        return False
    verification.known, verification.obr_name = answer.known, answer.name
    verification.message, verification.checked_at = answer.message, utcnow()
    return True


def check_pending(session: Session, client: EbmsClient, limit: int = 200) -> int:
    """Answer the pending NIF checks (oldest first); how many were answered. Commits."""
    pending = session.scalars(
        select(TinVerification)
        .where(TinVerification.known.is_(None))
        .order_by(TinVerification.id)
        .limit(limit)
    ).all()
    answered = sum(record_check(session, verification, client) for verification in pending)
    session.commit()
    return answered


def check_now(session: Session, cooperative: m.Cooperative, client: EbmsClient) -> TinVerification:
    """Re-check a cooperative's NIF now (the console action); does not commit."""
    verification = TinVerification(
        cooperative=cooperative,
        nif=(cooperative.nif or "").strip(),
        known=None,
        message=WAITING,
        checked_at=utcnow(),
    )
    session.add(verification)
    record_check(session, verification, client)
    return verification


def latest_check(session: Session, cooperative_id: int) -> TinVerification | None:
    """The last NIF check of a cooperative."""
    return session.scalars(
        select(TinVerification)
        .where(TinVerification.cooperative_id == cooperative_id)
        .order_by(TinVerification.id.desc())
        .limit(1)
    ).first()
