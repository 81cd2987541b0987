"""Tablets and accessories handed to cooperatives: devices, assignments, incidents, audits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .cooperatives import Cooperative
from .geography import Province
from .labels import LabelledEnum
from .types import Money, UTCDateTime, enum_column


class DeviceKind(LabelledEnum):
    TABLET = ("tablet", "Tablette")
    CHARGER = ("charger", "Chargeur")
    CASE = ("case", "Housse")
    POWER_BANK = ("power_bank", "Batterie externe")
    SOLAR_KIT = ("solar_kit", "Kit solaire")
    OTHER = ("other", "Autre")


class DeviceStatus(LabelledEnum):
    IN_STOCK = ("in_stock", "En stock")
    ASSIGNED = ("assigned", "Remis")
    IN_REPAIR = ("in_repair", "En réparation")
    LOST = ("lost", "Perdu")
    STOLEN = ("stolen", "Volé")
    RETIRED = ("retired", "Réformé")


class DeviceCondition(LabelledEnum):
    NEW = ("new", "Neuf")
    GOOD = ("good", "Bon")
    WORN = ("worn", "Usé")
    DAMAGED = ("damaged", "Endommagé")


class IncidentKind(LabelledEnum):
    LOST = ("lost", "Perte")
    STOLEN = ("stolen", "Vol")
    DAMAGED = ("damaged", "Dommage")
    REPAIRED = ("repaired", "Réparation effectuée")


class Device(Model):
    """A piece of equipment with a unique asset tag and a unique serial/IMEI."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(40), unique=True)
    serial: Mapped[str] = mapped_column(String(60), unique=True)
    # A tablet's mobile identity: 15 digits, the last a Luhn check digit (services.inventory).
    imei: Mapped[str | None] = mapped_column(String(15), unique=True, index=True)
    kind: Mapped[DeviceKind] = mapped_column(enum_column(DeviceKind), index=True)
    model: Mapped[str | None] = mapped_column(String(80))
    purchase_date: Mapped[dt.date | None] = mapped_column(Date)
    purchase_cost: Mapped[int | None] = mapped_column(Money)
    funder: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[DeviceStatus] = mapped_column(
        enum_column(DeviceStatus), default=DeviceStatus.IN_STOCK, index=True
    )
    # Where the device is held or deployed; drives province scoping.
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"), index=True)

    province: Mapped[Province | None] = relationship()

    def __repr__(self) -> str:
        return self.asset_tag


class DeviceAssignment(Model):
    """A check-out of a device to a cooperative, closed by its check-in."""

    __tablename__ = "device_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperative.id"), index=True)
    checked_out_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_by: Mapped[str] = mapped_column(String(160))
    condition_out: Mapped[DeviceCondition] = mapped_column(enum_column(DeviceCondition))
    condition_in: Mapped[DeviceCondition | None] = mapped_column(enum_column(DeviceCondition))
    note: Mapped[str | None] = mapped_column(Text)

    device: Mapped[Device] = relationship()
    cooperative: Mapped[Cooperative] = relationship()


class DeviceIncident(Model):
    __tablename__ = "device_incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    kind: Mapped[IncidentKind] = mapped_column(enum_column(IncidentKind))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    reported_by: Mapped[str] = mapped_column(String(160))
    description: Mapped[str | None] = mapped_column(Text)

    device: Mapped[Device] = relationship()


class DeviceAudit(Model):
    """A physical check: the device was seen on a date, by someone, somewhere."""

    __tablename__ = "device_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    seen_on: Mapped[dt.date] = mapped_column(Date)
    seen_by: Mapped[str] = mapped_column(String(160))
    location: Mapped[str | None] = mapped_column(String(160))
    note: Mapped[str | None] = mapped_column(Text)

    device: Mapped[Device] = relationship()
