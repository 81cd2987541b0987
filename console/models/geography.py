"""Provinces of both administrative maps and the communes of the 2025 map."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import Model

from .labels import LabelledEnum


class MapVersion(LabelledEnum):
    """Burundi's territorial maps: 18 provinces until mid-2025, 5 since."""

    MAP_2015 = ("2015", "Carte de 2015 (18 provinces)")
    MAP_2025 = ("2025", "Carte de 2025 (5 provinces)")


class Province(Model):
    """A province of one of the two maps.

    A province of the 2015 map points at its (approximate) successor on the 2025 map
    so that history recorded under the old map stays reportable under both.
    """

    __tablename__ = "province"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    map_version: Mapped[str] = mapped_column(String(4), index=True)
    chef_lieu: Mapped[str | None] = mapped_column(String(80))
    # The 11 provinces of UNDP's zone are not publicly listed: an administrator sets it.
    in_intervention_zone: Mapped[bool] = mapped_column(Boolean, default=False)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"))

    successor: Mapped[Province | None] = relationship(remote_side=[id])

    __table_args__ = (UniqueConstraint("map_version", "name", name="uq_province_map_name"),)

    def __repr__(self) -> str:
        return self.name


class Commune(Model):
    """A commune of the 2025 map (42), tied to its 2025 and its former province."""

    __tablename__ = "commune"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    former_province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"))

    province: Mapped[Province] = relationship(foreign_keys=[province_id])
    former_province: Mapped[Province | None] = relationship(foreign_keys=[former_province_id])

    def __repr__(self) -> str:
        return self.name
