"""Matching references written in a file (province, commune, category, cooperative…) to rows.

Codes match exactly (ignoring case and spaces), names tolerant of case, accents and
spacing. Everything a coordinator may reach is decided by console.security.scoping.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, apply_scope
from console.services.areas import province_ids_in_scope

from .cells import CellError, is_blank
from .headers import name_key

OUT_OF_SCOPE = "Province hors de votre périmètre : vous ne pouvez importer que pour vos provinces."
# Spellings found in the field for provinces whose official name differs (DOMAIN.md).
PROVINCE_ALIASES = {
    "karusi": "BI-KR",
    "bujumbura mairie": "BI-BM",
    "bujumbura rural": "BI-BL",
    "bujumbura-rural": "BI-BL",
    "mairie de bujumbura": "BI-BM",
}


@dataclass(frozen=True)
class ProvinceRef:
    id: int
    code: str
    name: str
    map_version: str
    successor_id: int | None


@dataclass(frozen=True)
class CooperativeRef:
    id: int
    registration_number: str
    name: str
    province_id: int
    province_2025_id: int
    vat_registered: bool


def code_key(text: object) -> str:
    """A code compared without regard to case or spaces."""
    return "".join(str(text).split()).upper()


class References:
    """Lookups for one import, loaded once, limited by the importing user's scope."""

    def __init__(self, session: Session, scope: ProvinceScope) -> None:
        self.session = session
        self.scope = scope

    # -- scope -------------------------------------------------------------------------
    @cached_property
    def allowed_province_ids(self) -> frozenset[int] | None:
        """Province ids (both maps) the user may import into; None means all."""
        return province_ids_in_scope(self.session, self.scope)

    def province_allowed(self, *province_ids: int | None) -> bool:
        """True when one of the given provinces is in the user's scope."""
        allowed = self.allowed_province_ids
        return allowed is None or any(p in allowed for p in province_ids if p is not None)

    @cached_property
    def allowed_cooperative_ids(self) -> frozenset[int] | None:
        if self.scope.national:
            return None
        query = apply_scope(select(m.Cooperative.id), m.Cooperative, self.scope)
        return frozenset(self.session.scalars(query))

    def cooperative_allowed(self, cooperative_id: int) -> bool:
        allowed = self.allowed_cooperative_ids
        return allowed is None or cooperative_id in allowed

    # -- provinces and communes -------------------------------------------------------
    @cached_property
    def _provinces(self) -> dict[int, ProvinceRef]:
        rows = self.session.execute(
            select(
                m.Province.id,
                m.Province.code,
                m.Province.name,
                m.Province.map_version,
                m.Province.successor_id,
            )
        )
        return {r.id: ProvinceRef(*r) for r in rows}

    @cached_property
    def _province_lookup(self) -> dict[str, ProvinceRef]:
        table: dict[str, ProvinceRef] = {}
        by_code = {p.code: p for p in self._provinces.values()}
        # Names: the 2015 map is indexed last so that a name on both maps (Gitega)
        # means the 2015 province, whose 2025 successor is then known as well.
        for p in sorted(self._provinces.values(), key=lambda p: p.map_version, reverse=True):
            table[name_key(p.name)] = p
        for alias, code in PROVINCE_ALIASES.items():
            if code in by_code:
                table[name_key(alias)] = by_code[code]
        for p in self._provinces.values():
            table[code_key(p.code)] = p
            if p.code.startswith("BI-"):
                table[code_key(p.code[3:])] = p  # ISO code without the country: "KI"
        return table

    def province(self, raw) -> ProvinceRef:
        """A province of either map, by ISO/Isoko code or by name."""
        ref = self._province_lookup.get(code_key(raw)) or self._province_lookup.get(name_key(raw))
        if ref is None:
            raise CellError(
                "Province inconnue : écrivez son nom (ex. Gitega) ou son code ISO (ex. BI-GI)."
            )
        return ref

    def province_by_id(self, province_id: int) -> ProvinceRef:
        return self._provinces[province_id]

    @cached_property
    def _communes(self) -> list[tuple[int, str, str, int, int | None]]:
        return list(
            self.session.execute(
                select(
                    m.Commune.id,
                    m.Commune.code,
                    m.Commune.name,
                    m.Commune.province_id,
                    m.Commune.former_province_id,
                )
            )
        )

    def commune(self, raw) -> tuple[int, int, int | None]:
        """(commune id, its 2025 province id, its former province id) by code or name."""
        wanted_code, wanted_name = code_key(raw), name_key(raw)
        found = [c for c in self._communes if code_key(c[1]) == wanted_code]
        found = found or [c for c in self._communes if name_key(c[2]) == wanted_name]
        if not found:
            raise CellError("Commune inconnue (communes de la carte de 2025, ex. Mukaza).")
        commune_id, _, _, province_id, former_id = found[0]
        return commune_id, province_id, former_id

    def commune_name(self, commune_id: int) -> str:
        return next(c[2] for c in self._communes if c[0] == commune_id)

    # -- catalogue ----------------------------------------------------------------------
    def _coded(self, model, raw, what: str, example: str) -> int:
        cache = self.__dict__.setdefault(f"_coded_{model.__tablename__}", None)
        if cache is None:
            cache = {}
            for row_id, code, name in self.session.execute(
                select(model.id, model.code, model.name)
            ):
                cache.setdefault(name_key(name), row_id)
                cache[code_key(code)] = row_id
            self.__dict__[f"_coded_{model.__tablename__}"] = cache
        found = cache.get(code_key(raw)) or cache.get(name_key(raw))
        if found is None:
            raise CellError(f"{what} inconnue : écrivez son code ou son nom (ex. {example}).")
        return found

    def category(self, raw) -> int:
        return self._coded(m.Category, raw, "Catégorie", "haricot-sec ou Haricot sec")

    def unit(self, raw) -> int:
        return self._coded(m.Unit, raw, "Unité", "kg ou Kilogramme")

    @cached_property
    def category_of_product(self) -> dict[int, int]:
        return dict(self.session.execute(select(m.Product.id, m.Product.category_id)).all())

    # -- cooperatives -----------------------------------------------------------------------
    @cached_property
    def _cooperatives(self) -> list[CooperativeRef]:
        rows = self.session.execute(
            select(
                m.Cooperative.id,
                m.Cooperative.registration_number,
                m.Cooperative.name,
                m.Cooperative.province_id,
                m.Cooperative.province_2025_id,
                m.Cooperative.vat_registered,
            )
        )
        return [CooperativeRef(*r) for r in rows]

    @cached_property
    def _cooperative_by_code(self) -> dict[str, CooperativeRef]:
        return {code_key(c.registration_number): c for c in self._cooperatives}

    @cached_property
    def _cooperatives_by_name(self) -> dict[str, list[CooperativeRef]]:
        table: dict[str, list[CooperativeRef]] = {}
        for c in self._cooperatives:
            table.setdefault(name_key(c.name), []).append(c)
        return table

    def cooperative(self, raw) -> CooperativeRef:
        """A seller by registration number or by name, inside the user's scope."""
        found = self._cooperative_by_code.get(code_key(raw))
        if found is None:
            named = self._cooperatives_by_name.get(name_key(raw), [])
            named = [c for c in named if self.cooperative_allowed(c.id)]
            if len(named) > 1:
                raise CellError("Nom de coopérative ambigu : indiquez son numéro d'enregistrement.")
            found = named[0] if named else None
        if found is None or not self.cooperative_allowed(found.id):
            raise CellError(
                "Coopérative introuvable dans votre périmètre : indiquez son numéro "
                "d'enregistrement ou son nom exact."
            )
        return found

    def preload_cooperatives(self) -> None:
        """Load the cooperatives and the user's scope now (no query may run later, e.g.
        while the orders import's staging COPY holds the connection)."""
        self._cooperatives, self.allowed_cooperative_ids  # noqa: B018

    def cooperative_by_id(self, cooperative_id: int) -> CooperativeRef | None:
        return next((c for c in self._cooperatives if c.id == cooperative_id), None)


def optional(resolver, raw):
    """Resolve a reference unless the cell is blank."""
    return None if is_blank(raw) else resolver(raw)
