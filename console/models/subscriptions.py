"""Report subscriptions and the worker's schedule: what to generate when, and what was done.

A subscription is one user's standing request for a report (its parameters, format and
frequency). Each period it covers gets one :class:`SubscriptionRun` row, unique per
(subscription, period): the row is claimed before anything is generated, so a second
pass of the scheduler, a second worker or a restart after a crash never sends a period
twice. The row is also the run's log (attempts, back-off, outcome, reason).
:class:`ScheduledTaskRun` does the same for the platform's own recurring work (the
weekly mévente refresh, the nightly checks).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .labels import LabelledEnum
from .types import UTCDateTime, enum_column, utcnow


class Frequency(LabelledEnum):
    WEEKLY = ("weekly", "Chaque semaine (la semaine précédente)")
    MONTHLY = ("monthly", "Chaque mois (le mois précédent)")
    QUARTERLY = ("quarterly", "Chaque trimestre (le trimestre précédent)")


class RunStatus(LabelledEnum):
    RUNNING = ("running", "En cours")
    RETRYING = ("retrying", "Envoi à réessayer")
    SENDING = ("sending", "Envoi en cours")
    SENT = ("sent", "Envoyé par courriel")
    FILED = ("filed", "Déposé dans « Mes rapports »")
    REFUSED = ("refused", "Refusé (droits ou périmètre)")
    FAILED = ("failed", "Échec")
    DONE = ("done", "Terminé")  # a scheduled task that ran to the end


class ReportSubscription(Model):
    """A user's standing request: this report, these parameters, at this frequency."""

    __tablename__ = "report_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    report: Mapped[str] = mapped_column(String(40))
    # The report's parameters without the period (the schedule gives it at each run).
    parameters: Mapped[dict] = mapped_column(JSON)
    file_format: Mapped[str] = mapped_column(String(8))
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", lazy="joined")
    runs = relationship(
        "SubscriptionRun",
        back_populates="subscription",
        cascade="all, delete-orphan",
        order_by="SubscriptionRun.id.desc()",
    )

    def __repr__(self) -> str:
        return f"Abonnement n°{self.id} ({self.report})"


class SubscriptionRun(Model):
    """One period of one subscription: generated, filed, mailed (or why not)."""

    __tablename__ = "subscription_run"
    __table_args__ = (UniqueConstraint("subscription_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("report_subscription.id", ondelete="CASCADE"), index=True
    )
    period_key: Mapped[str] = mapped_column(String(32))
    period_label: Mapped[str] = mapped_column(String(80))
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), index=True)
    archive_id: Mapped[int | None] = mapped_column(ForeignKey("report_archive.id"))
    recipient: Mapped[str | None] = mapped_column(String(256))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    # [{"at": ISO UTC, "event": "...", "detail": "..."}]: every step, in order.
    events: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    subscription = relationship("ReportSubscription", back_populates="runs")
    archive = relationship("ReportArchive")


class ScheduledTaskRun(Model):
    """One period of one of the worker's own recurring tasks (mévente refresh, nightly checks)."""

    __tablename__ = "scheduled_task_run"
    __table_args__ = (UniqueConstraint("task", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(40))
    period_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus))
    detail: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
