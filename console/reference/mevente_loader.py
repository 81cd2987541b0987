"""Seed the mévente reference data: thresholds, raw-material relations, province distances.

Idempotent like the rest of the reference loader. Relations are seeded only into an
empty table, so a relation the ministry deleted does not come back at the next release;
distances and the national thresholds row are created when missing, never overwritten.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.models import Category, Province
from console.models.mevente import MeventeThreshold, ProvinceDistance, RawMaterialRelation

from .catalogue_data import RAW_MATERIAL_OF
from .road_distances import NOTE, province_pairs


def load_mevente_reference(session: Session, report) -> None:
    """Create the missing mévente reference rows; count them in ``report``. Does not commit."""
    if (
        session.scalar(select(MeventeThreshold.id).where(MeventeThreshold.value_chain_id.is_(None)))
        is None
    ):
        session.add(MeventeThreshold(value_chain_id=None, note="Seuils nationaux par défaut"))
        report.add("mevente_threshold")

    if not session.scalar(select(func.count()).select_from(RawMaterialRelation)):
        categories = {c.code: c.id for c in session.scalars(select(Category))}
        for source, outputs in RAW_MATERIAL_OF.items():
            for output in outputs:
                if source in categories and output in categories:
                    session.add(
                        RawMaterialRelation(
                            input_category_id=categories[source],
                            output_category_id=categories[output],
                        )
                    )
                    report.add("raw_material_relation")

    provinces = {p.code: p for p in session.scalars(select(Province))}
    existing = {
        frozenset(pair)
        for pair in session.execute(
            select(ProvinceDistance.from_province_id, ProvinceDistance.to_province_id)
        )
    }
    by_map: dict[str, list[str]] = {}
    for code, province in provinces.items():
        by_map.setdefault(province.map_version, []).append(code)
    for a, b, km in province_pairs(by_map):
        ids = frozenset((provinces[a].id, provinces[b].id))
        if ids not in existing:
            session.add(
                ProvinceDistance(
                    from_province_id=provinces[a].id,
                    to_province_id=provinces[b].id,
                    distance_km=km,
                    is_approximate=True,
                    note=NOTE,
                )
            )
            report.add("province_distance")
    session.flush()
