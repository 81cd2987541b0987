"""Report subscriptions: who may subscribe to what, and each period's run.

One run per (subscription, period), claimed by inserting its unique row before anything
is generated: a second pass, a second worker or a restart after a crash finds the row
and sends nothing twice. A run:

1. checks the owner again — account active, a role still granting the report, the
   parameters still inside their current scope — else it is *refused* and nothing is made;
2. generates the report for the previous complete period through the archive (code of
   verification, SHA-256), as its owner: the file appears in their « Mes rapports »;
3. mails it through the configured SMTP server (attachment, code, verification link);
   a transient SMTP failure is retried with exponential back-off, a permanent one fails
   with its reason. Without SMTP settings the run stops at « déposé dans Mes rapports ».

The row's status is committed as *sending* before the SMTP conversation: a process killed
during it leaves that status, and the run is then closed as failed rather than sent again
(at most one e-mail per period; the report stays in « Mes rapports »).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.extensions import db
from console.formatting import format_datetime
from console.models import (
    Frequency,
    ReportArchive,
    ReportStatus,
    ReportSubscription,
    RunStatus,
    SubscriptionRun,
)
from console.models.types import utcnow
from console.security.scoping import scope_for_user
from console.services.mail import Attachment, MailError, MailSettings, build_message, send
from console.services.periods import MONTH, QUARTER, WEEK, Period, previous_complete_period

from .archive import MIME_TYPES, Requester, create_entry, stored_file
from .generation import run_archived_report
from .parameters import OutOfScope, ParameterError, ReportParameters, resolve
from .registry import ReportSpec, get_report, reports
from .verification import display_code

SOURCE = "abonnement"  # ReportArchive.source of a subscribed report
GRAIN = {Frequency.WEEKLY: WEEK, Frequency.MONTHLY: MONTH, Frequency.QUARTERLY: QUARTER}
# A run left "running" this long was cut off (worker killed): it is taken up again.
STALE_AFTER = dt.timedelta(hours=2)
# One-off documents are not subscribed to (a hand-over receipt is printed once).
NOT_SUBSCRIBABLE = frozenset({"bon-de-remise"})


class SubscriptionError(ValueError):
    """The subscription form is wrong: French messages saying what to change."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ; ".join(messages))
        self.messages = messages


def frequencies_for(spec: ReportSpec) -> tuple[Frequency, ...]:
    """A report over a period: monthly or quarterly; a snapshot: weekly or monthly."""
    if "period" in spec.parameters:
        return (Frequency.MONTHLY, Frequency.QUARTERLY)
    return (Frequency.WEEKLY, Frequency.MONTHLY)


def user_may_read(user, resource: str) -> bool:
    """Whether the user's roles, as they stand in the database now, grant the report."""
    if user is None or not user.active:
        return False
    role_ids = [role.id for role in user.roles]
    return bool(role_ids) and current_app.appbuilder.sm.exist_permission_on_roles(
        resource, "can_read", role_ids
    )


def subscribable_reports(user) -> list[ReportSpec]:
    """The reports ``user`` may subscribe to, in menu order."""
    return [
        spec
        for spec in reports().values()
        if spec.key not in NOT_SUBSCRIBABLE and user_may_read(user, spec.resource)
    ]


def _standing_parameters(spec: ReportSpec) -> tuple[str, ...]:
    """The parameters a subscription fixes (the period comes from the schedule)."""
    return tuple(p for p in spec.parameters if p != "period")


def validate(
    session: Session, user, report_key: str, values: Mapping[str, str | None]
) -> tuple[ReportSpec, dict, str, Frequency]:
    """Check a subscription form for ``user``: (report, kept parameters, format, frequency).

    Raises SubscriptionError for a malformed form and OutOfScope for a report or a
    province the user may not have (shown as "not found").
    """
    spec = get_report(report_key or "")
    if spec is None or spec.key in NOT_SUBSCRIBABLE or not user_may_read(user, spec.resource):
        raise OutOfScope("rapport introuvable")
    errors = []
    fmt = (values.get("format") or "").strip()
    if fmt not in spec.formats:
        errors.append(f"Format : choisissez {' ou '.join(f.upper() for f in spec.formats)}.")
    allowed = frequencies_for(spec)
    frequency = next((f for f in allowed if f.value == (values.get("frequency") or "")), None)
    if frequency is None:
        errors.append("Fréquence : choisissez " + " ou ".join(f.label for f in allowed) + ".")
    try:
        params = resolve(session, _standing_parameters(spec), values, scope_for_user(user))
    except ParameterError as exc:
        errors.extend(exc.messages)
        params = None
    if errors:
        raise SubscriptionError(errors)
    return spec, dict(params.raw), fmt, frequency


def refusal(session: Session, subscription: ReportSubscription) -> str | None:
    """Why the owner may not receive this subscription now (None: they may)."""
    user = subscription.user
    if user is None or not user.active:
        return "Compte désactivé : aucun rapport n'est plus produit pour lui."
    spec = get_report(subscription.report)
    if spec is None:
        return f"Rapport inconnu : {subscription.report}."
    if not user_may_read(user, spec.resource):
        return f"Les rôles du compte ne donnent plus accès au rapport « {spec.title} »."
    try:
        resolve(session, _standing_parameters(spec), subscription.parameters, scope_for_user(user))
    except OutOfScope:
        return "Les paramètres de l'abonnement sortent du périmètre actuel du compte."
    except ParameterError as exc:
        return "Paramètres devenus invalides : " + " ; ".join(exc.messages)
    return None


def due_period(subscription: ReportSubscription, now: dt.datetime, hour: int) -> Period:
    """The period a subscription covers at ``now``: the previous complete one."""
    return previous_complete_period(GRAIN[subscription.frequency], now, hour)


def describe(session: Session, subscription: ReportSubscription) -> list[tuple[str, str]]:
    """The subscription's parameters in French, as printed on its reports."""
    spec = get_report(subscription.report)
    if spec is None:
        return []
    try:
        params = resolve(
            session,
            _standing_parameters(spec),
            subscription.parameters,
            scope_for_user(subscription.user),
        )
    except (OutOfScope, ParameterError):
        return [(k, str(v)) for k, v in sorted((subscription.parameters or {}).items())]
    return params.describe()


@dataclass
class RunSummary:
    """What one pass of the scheduler did with the subscriptions."""

    generated: int = 0
    sent: int = 0
    filed: int = 0
    refused: int = 0
    retrying: int = 0
    failed: int = 0
    runs: list[int] = field(default_factory=list)

    def count(self, status: RunStatus) -> None:
        name = {
            RunStatus.SENT: "sent",
            RunStatus.FILED: "filed",
            RunStatus.REFUSED: "refused",
            RunStatus.RETRYING: "retrying",
            RunStatus.FAILED: "failed",
        }.get(status)
        if name:
            setattr(self, name, getattr(self, name) + 1)

    def describe(self) -> str:
        return (
            f"Abonnements : {self.generated} rapport(s) générés, {self.sent} envoyés par "
            f"courriel, {self.filed} déposés sans courriel, {self.refused} refusés, "
            f"{self.retrying} envoi(s) à réessayer, {self.failed} échec(s)."
        )


def _event(run: SubscriptionRun, event: str, detail: str = "") -> None:
    run.events = [
        *(run.events or []),
        {"at": utcnow().isoformat(timespec="seconds"), "event": event, "detail": detail},
    ]


def _finish(run: SubscriptionRun, status: RunStatus, detail: str = "", error=None) -> None:
    run.status = status
    run.error = error
    run.next_attempt_at = None
    run.finished_at = utcnow()
    _event(run, status.label, detail)


def _unclaimed(
    session: Session, now: dt.datetime, hour: int
) -> list[tuple[ReportSubscription, Period]]:
    """The active subscriptions whose due period has no run row yet."""
    subscriptions = session.scalars(
        select(ReportSubscription)
        .where(ReportSubscription.active.is_(True))
        .order_by(ReportSubscription.id)
    ).all()
    if not subscriptions:
        return []
    existing = set(
        session.execute(
            select(SubscriptionRun.subscription_id, SubscriptionRun.period_key).where(
                SubscriptionRun.subscription_id.in_([s.id for s in subscriptions])
            )
        ).all()
    )
    due = [(s, due_period(s, now, hour)) for s in subscriptions]
    return [(s, period) for s, period in due if (s.id, period.key) not in existing]


def _claim(session: Session, subscription: ReportSubscription, period: Period) -> int | None:
    """Insert the run row of (subscription, period); None when another pass has it."""
    run = SubscriptionRun(
        subscription_id=subscription.id,
        period_key=period.key,
        period_label=period.label,
        status=RunStatus.RUNNING,
        attempts=0,
        events=[],
        started_at=utcnow(),
    )
    _event(run, "Période due", period.label)
    session.add(run)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return run.id


def run_subscriptions(app: Flask, now: dt.datetime | None = None) -> RunSummary:
    """Generate and deliver every subscription due at ``now``, retry the mails due again."""
    now = now or utcnow()
    summary = RunSummary()
    for run_id in claim_due(app, now, summary):
        process_run(app, run_id, now, summary)
    return summary


def claim_due(app: Flask, now: dt.datetime, summary: RunSummary) -> list[int]:
    """Claim the runs due at ``now`` (new periods, retries due, runs cut off); their ids.

    Each id is this caller's alone (a unique row or a conditional update): process it
    with :func:`process_run`, here or in a job of its own.
    """
    session = db.session
    hour = app.config["SCHEDULE_HOUR"]
    work: list[int] = []
    for subscription, period in _unclaimed(session, now, hour):
        run_id = _claim(session, subscription, period)
        if run_id is not None:
            work.append(run_id)
    session.commit()
    retries = session.scalars(
        select(SubscriptionRun.id).where(
            SubscriptionRun.status == RunStatus.RETRYING, SubscriptionRun.next_attempt_at <= now
        )
    ).all()
    work += [run_id for run_id in retries if _take(session, run_id, RunStatus.RETRYING, now)]
    stale = session.execute(
        select(SubscriptionRun.id, SubscriptionRun.status).where(
            SubscriptionRun.status.in_((RunStatus.RUNNING, RunStatus.SENDING)),
            SubscriptionRun.started_at < now - STALE_AFTER,
        )
    ).all()
    for run_id, status in stale:
        if not _take(session, run_id, status, now):
            continue
        run = session.get(SubscriptionRun, run_id)
        if status == RunStatus.SENDING:
            _finish(
                run,
                RunStatus.FAILED,
                error="Envoi interrompu (arrêt du travailleur) : le courriel n'est pas renvoyé "
                "pour ne pas l'envoyer deux fois ; le rapport est dans « Mes rapports ».",
            )
            summary.count(RunStatus.FAILED)
        else:
            _event(run, "Reprise", "le travailleur s'était arrêté pendant la génération")
            work.append(run_id)
        session.commit()
    return work


def process_run(app: Flask, run_id: int, now: dt.datetime, summary: RunSummary) -> RunStatus:
    """Check, generate, file and mail one claimed run; its final status."""
    status = _process(app, db.session, run_id, now, summary)
    summary.count(status)
    summary.runs.append(run_id)
    return status


def _take(session: Session, run_id: int, status: RunStatus, now: dt.datetime) -> bool:
    """Take over a run left in ``status`` (a retry due, a run cut off): True for the one
    pass whose conditional update matched, however many passes saw the run."""
    result = session.execute(
        update(SubscriptionRun)
        .where(SubscriptionRun.id == run_id, SubscriptionRun.status == status)
        .where(
            SubscriptionRun.next_attempt_at <= now
            if status == RunStatus.RETRYING
            else SubscriptionRun.started_at < now - STALE_AFTER
        )
        .values(status=RunStatus.RUNNING, started_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _process(
    app: Flask, session: Session, run_id: int, now: dt.datetime, summary: RunSummary
) -> RunStatus:
    run = session.get(SubscriptionRun, run_id)
    subscription = run.subscription
    reason = refusal(session, subscription)
    if reason is not None:
        _finish(run, RunStatus.REFUSED, error=reason)
        session.commit()
        return run.status
    if run.archive is None or run.archive.status != ReportStatus.DONE:
        try:
            _generate(session, subscription, run)
        except Exception as exc:  # the archive entry and the run both record why
            session.rollback()
            run = session.get(SubscriptionRun, run_id)
            _finish(run, RunStatus.FAILED, error=f"La génération a échoué : {exc}"[:2000])
            session.commit()
            return run.status
        summary.generated += 1
        run = session.get(SubscriptionRun, run_id)
    return _deliver(app, session, run, now)


def _generate(session: Session, subscription: ReportSubscription, run: SubscriptionRun) -> None:
    """Archive the period's report as its owner (their scope, their « Mes rapports »)."""
    spec = get_report(subscription.report)
    user = subscription.user
    raw = dict(subscription.parameters)
    if "period" in spec.parameters:
        raw["period"] = run.period_key
    params: ReportParameters = resolve(session, spec.parameters, raw, scope_for_user(user))
    archive = create_entry(
        session, spec, params, subscription.file_format, Requester(user.id, user.username, SOURCE)
    )
    run.archive_id = archive.id
    _event(run, "Rapport archivé", f"code {display_code(archive.code)}")
    session.commit()
    run_archived_report(archive.id)


def verification_link(app: Flask, code: str) -> str:
    """The verification page of a code: absolute with ISOKO_PUBLIC_URL, else its path."""
    base = (app.config.get("REPORTS_PUBLIC_URL") or "").rstrip("/")
    return f"{base}/rapports/verifier/?code={code}"


def mail_body(app: Flask, run: SubscriptionRun, archive: ReportArchive, attached: bool) -> str:
    """The French text of a subscription's e-mail."""
    subscription = run.subscription
    user = subscription.user
    base = (app.config.get("REPORTS_PUBLIC_URL") or "").rstrip("/")
    where = "en pièce jointe" if attached else "trop volumineux pour être joint ; voir ci-dessous"
    lines = [
        f"Bonjour {user.first_name} {user.last_name},".replace("  ", " "),
        "",
        f"Voici le rapport « {archive.title} » ({archive.file_format.upper()}, {where}), "
        f"produit le {format_datetime(archive.finished_at or archive.requested_at)} "
        f"(heure de Bujumbura) pour votre abonnement n°{subscription.id} "
        f"({subscription.frequency.label.lower()}).",
        "",
        f"Code de vérification : {display_code(archive.code)}",
        f"Vérifier ce rapport : {verification_link(app, archive.code)}",
        f"Empreinte SHA-256 du fichier : {archive.sha256}",
        "",
        "Le rapport est aussi dans « Mes rapports » de la console Isoko"
        + (f" : {base}/rapports/mes-rapports/" if base else "."),
        "Pour suspendre ou modifier cet abonnement : « Rapports › Mes abonnements »"
        + (f" ({base}/rapports/abonnements/)." if base else "."),
        "",
        "Ce message est envoyé automatiquement ; merci de ne pas y répondre.",
    ]
    return "\n".join(lines)


def backoff(app: Flask, attempts: int) -> dt.timedelta:
    """The wait before the next try after ``attempts`` failed ones (exponential, capped)."""
    base, cap = app.config["SMTP_RETRY_BASE_S"], app.config["SMTP_RETRY_MAX_S"]
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _deliver(app: Flask, session: Session, run: SubscriptionRun, now: dt.datetime) -> RunStatus:
    settings = MailSettings.from_config(app.config)
    user = run.subscription.user
    archive = run.archive
    if settings is None or not user.email:
        why = "aucun serveur SMTP configuré" if settings is None else "le compte n'a pas d'adresse"
        _finish(run, RunStatus.FILED, f"pas de courriel : {why}")
        session.commit()
        return run.status
    path = stored_file(app, archive)
    attached = path.stat().st_size <= app.config["SMTP_MAX_ATTACHMENT_BYTES"]
    message = build_message(
        settings,
        user.email,
        f"[Isoko] {archive.title} — code {display_code(archive.code)}",
        mail_body(app, run, archive, attached),
        Attachment(path, archive.file_name, MIME_TYPES[archive.file_format]) if attached else None,
        message_id=f"<isoko-abonnement-{run.subscription_id}-{run.period_key}@isoko>",
    )
    run.status = RunStatus.SENDING
    run.recipient = user.email
    run.attempts = (run.attempts or 0) + 1
    session.commit()
    try:
        send(settings, message)
    except MailError as exc:
        if exc.transient and run.attempts < app.config["SMTP_MAX_ATTEMPTS"]:
            wait = backoff(app, run.attempts)
            run.status = RunStatus.RETRYING
            run.error = str(exc)
            run.next_attempt_at = now + wait
            _event(
                run,
                RunStatus.RETRYING.label,
                f"essai {run.attempts} : {exc} ; nouvel essai dans {int(wait.total_seconds())} s",
            )
        else:
            _finish(run, RunStatus.FAILED, f"essai {run.attempts}", error=f"Courriel : {exc}")
        session.commit()
        return run.status
    _finish(run, RunStatus.SENT, f"à {user.email} (essai {run.attempts})")
    session.commit()
    return run.status


def is_due(app: Flask, now: dt.datetime | None = None) -> bool:
    """Whether a pass would do something: a period without its run, a retry due, a stale run."""
    session = db.session
    now = now or utcnow()
    if _unclaimed(session, now, app.config["SCHEDULE_HOUR"]):
        return True
    waiting = session.scalar(
        select(SubscriptionRun.id)
        .where(
            (
                (SubscriptionRun.status == RunStatus.RETRYING)
                & (SubscriptionRun.next_attempt_at <= now)
            )
            | (
                SubscriptionRun.status.in_((RunStatus.RUNNING, RunStatus.SENDING))
                & (SubscriptionRun.started_at < now - STALE_AFTER)
            )
        )
        .limit(1)
    )
    return waiting is not None
