"""Build ``provinces.json``, the dashboards' province maps, from the shipped boundaries.

    python -m dashboards.geo.build          # rewrites dashboards/geo/provinces.json

Reads the 119 communes of ``burundi-communes-2007.geojson`` (see ATTRIBUTION.md),
dissolves them into the 18 provinces of 2015 and, through the reference table
console/reference/old_communes.py, into the 5 provinces of 2025; simplifies each map as
a coverage (neighbours keep one shared border, no gaps or slivers) and rounds to
3 decimals (about 110 m), so a figure stays small. The communes an old commune was split
from are kept as outlines, to mark the boundary drawn through them as approximate.

Needs shapely (test extra); the output is checked in and a test rebuilds it and compares.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import polylabel

from console.reference.geography_data import PROVINCES_2015, PROVINCES_2025
from console.reference.old_communes import GEO_NAMES, OLD_COMMUNES

HERE = Path(__file__).parent
SOURCE = HERE / "burundi-communes-2007.geojson"
OUTPUT = HERE / "provinces.json"
TOLERANCE = (
    0.006  # degrees (about 650 m, a pixel on screen): a province is a few hundred pixels wide
)
DECIMALS = 3
CREDIT = "Limites : geoBoundaries (domaine public) ; provinces d'après OpenStreetMap (ODbL)"


def communes() -> dict[tuple[str, str], Polygon]:
    """The source's communes keyed by (full name, 2015 province code)."""
    code_of = {name: code for code, name, _, _ in PROVINCES_2015}
    drawn_as = {(geo, code): name for (name, code), geo in GEO_NAMES.items()}
    found = {}
    for feature in json.loads(SOURCE.read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        code = code_of[props["province"]]
        name = drawn_as.get((props["name"], code), props["name"])
        found[(name, code)] = shape(feature["geometry"])
    return found


def _paths(geometry) -> tuple[list, list]:
    """Every ring as lon and lat lists, rings separated by None (plotly's gaps)."""
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    lon, lat = [], []
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            if lon:
                lon.append(None)
                lat.append(None)
            for x, y in ring.coords:
                lon.append(round(x, DECIMALS))
                lat.append(round(y, DECIMALS))
    return lon, lat


def _centre(geometry) -> list[float]:
    """A point well inside the province's largest part (for its label and marker)."""
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    largest = max(polygons, key=lambda p: p.area)
    point = polylabel(largest, tolerance=0.001)
    return [round(point.x, DECIMALS), round(point.y, DECIMALS)]


def _map(groups: dict[str, list[Polygon]], names: dict[str, str]) -> list[dict]:
    codes = sorted(groups)
    dissolved = [shapely.union_all(groups[code]) for code in codes]
    simplified = shapely.coverage_simplify(dissolved, TOLERANCE)
    provinces = []
    for code, geometry in zip(codes, simplified, strict=True):
        lon, lat = _paths(geometry)
        provinces.append(
            {"code": code, "name": names[code], "centre": _centre(geometry), "lon": lon, "lat": lat}
        )
    return provinces


def build() -> dict:
    """The two maps, their approximate parts, the credit line and the bounds."""
    shapes = communes()
    table = {(name, old): (new, shared) for name, old, new, shared in OLD_COMMUNES}
    if set(table) != set(shapes):
        raise ValueError(f"table and boundaries differ: {sorted(set(table) ^ set(shapes))}")
    by_2015: dict[str, list[Polygon]] = {}
    by_2025: dict[str, list[Polygon]] = {}
    for key, geometry in sorted(shapes.items()):
        by_2015.setdefault(key[1], []).append(geometry)
        by_2025.setdefault(table[key][0], []).append(geometry)
    approximate = []
    for (name, old), (new, shared) in sorted(table.items()):
        if not shared:
            continue
        outline = shapely.simplify(shapes[(name, old)], TOLERANCE, preserve_topology=True)
        lon, lat = _paths(outline)
        approximate.append(
            {"commune": name, "province_2015": old, "drawn_in": new, "shared_with": list(shared)}
            | {"lon": lon, "lat": lat}
        )
    west, south, east, north = shapely.union_all(list(shapes.values())).bounds
    return {
        "credit": CREDIT,
        "bounds": [round(v, DECIMALS) for v in (west, south, east, north)],
        "maps": {
            "2015": {
                "provinces": _map(by_2015, {c: n for c, n, _, _ in PROVINCES_2015}),
                "approximate": [],
            },
            "2025": {
                "provinces": _map(by_2025, {c: n for c, n, _ in PROVINCES_2025}),
                "approximate": approximate,
            },
        },
    }


def dumps(data: dict) -> str:
    """The file's text: compact, one map per line group, stable across runs."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def main() -> None:
    text = dumps(build())
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"{OUTPUT}: {len(text.encode()) // 1024} Kio")


if __name__ == "__main__":
    main()
