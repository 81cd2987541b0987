"""Mévente early warning and raw-material matchmaking.

Reference data the ministry edits (alert thresholds, which category is an input of
which, distances between provinces), what the weekly refresh computes (indicators,
forecasts, the forecast method kept per value chain), and what people act on (alerts
and buyer suggestions, each with its history).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .cooperatives import Cooperative
from .geography import Province
from .labels import LabelledEnum
from .marketplace import Buyer, Category, Listing, Order, ValueChain
from .types import Money, Quantity, Rate, UTCDateTime, enum_column, utcnow

# Forecast values and their components: ratios (0.4375) and franc amounts alike.
Figure = Numeric(18, 4, asdecimal=True)


class AlertKind(LabelledEnum):
    SELL_THROUGH_LOW = ("sell_through_low", "Taux d'écoulement prévu sous le seuil")
    UNSOLD_RISING = ("unsold_rising", "Stock invendu prévu en hausse")


class AlertStatus(LabelledEnum):
    OPEN = ("open", "Ouverte")
    ACKNOWLEDGED = ("acknowledged", "Prise en compte")
    RESOLVED = ("resolved", "Levée")


class SuggestionStatus(LabelledEnum):
    PROPOSED = ("proposed", "Proposée")
    CONTACTED = ("contacted", "Contactée")
    CONCLUDED = ("concluded", "Conclue")
    DISMISSED = ("dismissed", "Écartée")


class ForecastMetric(LabelledEnum):
    SELL_THROUGH = ("sell_through", "Taux d'écoulement")
    UNSOLD_VALUE = ("unsold_value", "Stock invendu (valeur)")


class MeventeThreshold(Model):
    """Alert thresholds set by the ministry: one national row, optional rows per value chain."""

    __tablename__ = "mevente_threshold"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: the national default, used by every value chain without its own row.
    value_chain_id: Mapped[int | None] = mapped_column(ForeignKey("value_chain.id"), unique=True)
    # 0.10: a tenth of the stock on offer sold each week, about ten weeks to clear it.
    sell_through_min: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.1"))
    unsold_rise_max: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.25"))
    min_unsold_value: Mapped[int] = mapped_column(Money, default=100_000)
    horizon_weeks: Mapped[int] = mapped_column(Integer, default=4)
    unsold_age_days: Mapped[int] = mapped_column(Integer, default=30)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    value_chain: Mapped[ValueChain | None] = relationship()

    def __repr__(self) -> str:
        return f"Seuils — {self.value_chain or 'national'}"


class RawMaterialRelation(Model):
    """A category that is an input of another (maize grain → maize flour)."""

    __tablename__ = "raw_material_relation"

    id: Mapped[int] = mapped_column(primary_key=True)
    input_category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    output_category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    note: Mapped[str | None] = mapped_column(String(200))

    input_category: Mapped[Category] = relationship(foreign_keys=[input_category_id])
    output_category: Mapped[Category] = relationship(foreign_keys=[output_category_id])

    __table_args__ = (
        UniqueConstraint("input_category_id", "output_category_id", name="uq_raw_material_pair"),
    )

    def __repr__(self) -> str:
        return f"{self.input_category} → {self.output_category}"


class ProvinceDistance(Model):
    """Road distance between two provinces' chefs-lieux (either map); symmetric, one row a pair."""

    __tablename__ = "province_distance"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    to_province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    distance_km: Mapped[int] = mapped_column(Integer)
    # Seeded figures are estimates; an administrator who measures one clears the flag.
    is_approximate: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(String(200))

    from_province: Mapped[Province] = relationship(foreign_keys=[from_province_id])
    to_province: Mapped[Province] = relationship(foreign_keys=[to_province_id])

    __table_args__ = (
        UniqueConstraint("from_province_id", "to_province_id", name="uq_province_distance_pair"),
    )


class WeeklyIndicator(Model):
    """One week of one value chain in one province (either map), valued at listing prices."""

    __tablename__ = "mevente_week"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[dt.date] = mapped_column(Date, index=True)  # Monday, Bujumbura time
    value_chain_id: Mapped[int] = mapped_column(ForeignKey("value_chain.id"), index=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    map_version: Mapped[str] = mapped_column(String(4))
    offered_value: Mapped[int] = mapped_column(Money, default=0)
    sold_value: Mapped[int] = mapped_column(Money, default=0)
    opening_value: Mapped[int] = mapped_column(Money, default=0)
    unsold_value: Mapped[int] = mapped_column(Money, default=0)
    sell_through: Mapped[Decimal | None] = mapped_column(Rate)
    unsold_age_days: Mapped[Decimal | None] = mapped_column(Numeric(7, 1, asdecimal=True))
    # Quantities add up only within one unit: NULL where the cell mixes units (kg and l).
    unit_code: Mapped[str | None] = mapped_column(String(16))
    offered_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    sold_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    unsold_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    value_chain: Mapped[ValueChain] = relationship()
    province: Mapped[Province] = relationship()

    __table_args__ = (
        UniqueConstraint(
            "week_start", "value_chain_id", "province_id", name="uq_mevente_week_cell"
        ),
    )


class MeventeForecast(Model):
    """The next weeks of one series, with the components that explain each value."""

    __tablename__ = "mevente_forecast"

    id: Mapped[int] = mapped_column(primary_key=True)
    value_chain_id: Mapped[int] = mapped_column(ForeignKey("value_chain.id"), index=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    metric: Mapped[ForecastMetric] = mapped_column(enum_column(ForecastMetric))
    origin_week: Mapped[dt.date] = mapped_column(Date)  # last observed week
    step: Mapped[int] = mapped_column(Integer)  # weeks ahead of origin_week
    target_week: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Figure)
    method: Mapped[str] = mapped_column(String(32))
    level: Mapped[Decimal | None] = mapped_column(Figure)
    trend: Mapped[Decimal | None] = mapped_column(Figure)
    seasonal: Mapped[Decimal | None] = mapped_column(Figure)

    __table_args__ = (
        UniqueConstraint(
            "value_chain_id", "province_id", "metric", "step", name="uq_mevente_forecast_step"
        ),
    )


class ForecastChoice(Model):
    """Per value chain and metric: the model is kept only where its backtest beats seasonal-naive."""

    __tablename__ = "mevente_forecast_choice"

    id: Mapped[int] = mapped_column(primary_key=True)
    value_chain_id: Mapped[int] = mapped_column(ForeignKey("value_chain.id"))
    metric: Mapped[ForecastMetric] = mapped_column(enum_column(ForecastMetric))
    chosen_method: Mapped[str] = mapped_column(String(32))
    model_method: Mapped[str] = mapped_column(String(32))
    model_mae: Mapped[Decimal | None] = mapped_column(Figure)
    baseline_mae: Mapped[Decimal | None] = mapped_column(Figure)
    model_mape: Mapped[Decimal | None] = mapped_column(Figure)
    baseline_mape: Mapped[Decimal | None] = mapped_column(Figure)
    origins: Mapped[int] = mapped_column(Integer, default=0)
    history_weeks: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    value_chain: Mapped[ValueChain] = relationship()

    __table_args__ = (
        UniqueConstraint("value_chain_id", "metric", name="uq_forecast_choice_chain_metric"),
    )


class MeventeAlert(Model):
    """A value chain in a province whose sell-through is projected to fall or unsold stock to rise.

    One alert stays open while the condition holds (the weekly refresh updates its
    figures) and is lifted when it no longer does; acknowledging keeps it visible.
    """

    __tablename__ = "mevente_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    value_chain_id: Mapped[int] = mapped_column(ForeignKey("value_chain.id"), index=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    map_version: Mapped[str] = mapped_column(String(4))
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind))
    status: Mapped[AlertStatus] = mapped_column(
        enum_column(AlertStatus), default=AlertStatus.OPEN, index=True
    )
    first_week: Mapped[dt.date] = mapped_column(Date)
    last_week: Mapped[dt.date] = mapped_column(Date, index=True)
    observed: Mapped[Decimal] = mapped_column(Figure)
    forecast: Mapped[Decimal] = mapped_column(Figure)
    threshold: Mapped[Decimal] = mapped_column(Figure)
    method: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL")
    )
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    value_chain: Mapped[ValueChain] = relationship()
    province: Mapped[Province] = relationship()
    events: Mapped[list[MeventeAlertEvent]] = relationship(
        back_populates="alert", order_by="MeventeAlertEvent.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"{self.kind.label} — {self.value_chain} — {self.province}"


class MeventeAlertEvent(Model):
    """One step in an alert's life: raised, acknowledged (with the note), lifted, raised again."""

    __tablename__ = "mevente_alert_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("mevente_alert.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))  # raised, acknowledged, resolved, reopened
    note: Mapped[str | None] = mapped_column(Text)

    alert: Mapped[MeventeAlert] = relationship(back_populates="events")


class MatchSuggestion(Model):
    """A likely buyer for a cooperative's unsold stock of one category, with its reasons."""

    __tablename__ = "match_suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"))  # oldest unsold listing
    # The candidate: a known buyer, or a processing cooperative that never bought yet.
    candidate_key: Mapped[str] = mapped_column(String(40))  # "buyer:12" or "coop:5"
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyer.id"))
    buyer_cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperative.id"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[Decimal] = mapped_column(Rate)
    reasons: Mapped[list] = mapped_column(JSON)
    unsold_quantity: Mapped[Decimal] = mapped_column(Quantity)
    listing_price: Mapped[int] = mapped_column(Money)
    oldest_listed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    distance_km: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[SuggestionStatus] = mapped_column(
        enum_column(SuggestionStatus), default=SuggestionStatus.PROPOSED, index=True
    )
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status_changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL")
    )
    status_changed_by: Mapped[str | None] = mapped_column(String(100))
    status_note: Mapped[str | None] = mapped_column(Text)
    # A later order between the two parties: what turns a suggestion into a sale.
    # Indexed: deleting an order looks its suggestions up (ON DELETE SET NULL).
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("sale_order.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    seller: Mapped[Cooperative] = relationship(foreign_keys=[seller_id])
    category: Mapped[Category] = relationship()
    listing: Mapped[Listing] = relationship()
    buyer: Mapped[Buyer | None] = relationship()
    buyer_cooperative: Mapped[Cooperative | None] = relationship(
        foreign_keys=[buyer_cooperative_id]
    )
    order: Mapped[Order | None] = relationship()
    events: Mapped[list[MatchSuggestionEvent]] = relationship(
        back_populates="suggestion",
        order_by="MatchSuggestionEvent.id",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        UniqueConstraint(
            "seller_id", "category_id", "candidate_key", name="uq_match_suggestion_candidate"
        ),
    )

    @property
    def candidate_name(self) -> str:
        """The buyer's name, or the processing cooperative's."""
        if self.buyer is not None:
            return self.buyer.name
        return self.buyer_cooperative.name if self.buyer_cooperative else "—"

    def __repr__(self) -> str:
        return f"{self.seller} → {self.candidate_name} ({self.category})"


class MatchSuggestionEvent(Model):
    """A status change of a suggestion: who, when, from what to what, and why."""

    __tablename__ = "match_suggestion_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("match_suggestion.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(100))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("sale_order.id", ondelete="SET NULL"), index=True
    )

    suggestion: Mapped[MatchSuggestion] = relationship(back_populates="events")
