"""The pilot programme: cohorts, enrollments, training sessions and attendance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .cooperatives import Cooperative
from .geography import Province
from .labels import LabelledEnum
from .types import UTCDateTime, enum_column, utcnow


class EnrollmentStatus(LabelledEnum):
    NOMINATED = ("nominated", "Nominée")
    SELECTED = ("selected", "Sélectionnée")
    TRAINED = ("trained", "Formée")
    EQUIPPED = ("equipped", "Équipée")
    ACTIVE = ("active", "Active")
    WITHDRAWN = ("withdrawn", "Retirée")


class Gender(LabelledEnum):
    FEMALE = ("F", "Femme")
    MALE = ("M", "Homme")


class Cohort(Model):
    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    started_on: Mapped[dt.date | None] = mapped_column(Date)

    def __repr__(self) -> str:
        return self.name


class Enrollment(Model):
    """A cooperative's place in a cohort and how far it has come."""

    __tablename__ = "enrollment"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), index=True)
    status: Mapped[EnrollmentStatus] = mapped_column(
        enum_column(EnrollmentStatus), default=EnrollmentStatus.NOMINATED, index=True
    )
    selection_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    selection_reason: Mapped[str | None] = mapped_column(Text)
    nominated_on: Mapped[dt.date | None] = mapped_column(Date)
    selected_on: Mapped[dt.date | None] = mapped_column(Date)
    trained_on: Mapped[dt.date | None] = mapped_column(Date)
    equipped_on: Mapped[dt.date | None] = mapped_column(Date)
    activated_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)

    cohort: Mapped[Cohort] = relationship()
    cooperative: Mapped[Cooperative] = relationship()
    transitions: Mapped[list[EnrollmentTransition]] = relationship(
        back_populates="enrollment", order_by="EnrollmentTransition.at"
    )

    __table_args__ = (
        UniqueConstraint("cohort_id", "cooperative_id", name="uq_enrollment_cohort_coop"),
    )


class EnrollmentTransition(Model):
    """One step of an enrollment's history: from, to, who and when."""

    __tablename__ = "enrollment_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    by_username: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)

    enrollment: Mapped[Enrollment] = relationship(back_populates="transitions")


class TrainingSession(Model):
    """A training workshop, such as Gitega, 26–30 June 2023."""

    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id"))
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(120))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)

    cohort: Mapped[Cohort | None] = relationship()
    province: Mapped[Province | None] = relationship()

    def __repr__(self) -> str:
        return f"{self.title} ({self.starts_on:%d/%m/%Y})"


class Attendance(Model):
    """A participant at a training session, for the cooperative they represent."""

    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperative.id"), index=True)
    participant_name: Mapped[str] = mapped_column(String(160))
    gender: Mapped[Gender] = mapped_column(enum_column(Gender))
    role: Mapped[str | None] = mapped_column(String(80))
    days_attended: Mapped[int] = mapped_column(Integer, default=0)

    session: Mapped[TrainingSession] = relationship()
    cooperative: Mapped[Cooperative | None] = relationship()
