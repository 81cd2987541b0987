"""The province maps of the dashboards (dashboards/maps.py, dashboards/geo/): the shipped
boundaries and their rebuild, the old communes' table, the figure, and the click that
filters a province, through the same callbacks and scope as the charts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from plotly.colors import unlabel_rgb

from console.reference.geography_data import COMMUNES_2025, PROVINCES_2015, PROVINCES_2025
from console.reference.old_communes import GEO_NAMES, OLD_COMMUNES
from console.services.money import format_francs

from . import dashboards_support as support
from .dash_requests import map_click_body
from .dashboards_support import signed_in
from .test_console_queries import counted_queries

seeded, db_session = support.seeded, support.db_session

GEO = Path(__file__).resolve().parent.parent / "dashboards" / "geo"
PERIOD = {"du": "2024-07", "au": "2025-06"}


def polygons(figure: dict) -> dict[str, dict]:
    """The provinces' filled traces by name."""
    return {t["name"]: t for t in figure["data"] if t.get("fill") == "toself"}


def markers(figure: dict) -> dict:
    return next(t for t in figure["data"] if t.get("name") == "provinces")


def darkness(colour: str) -> float:
    red, green, blue = unlabel_rgb(colour)
    return -(0.299 * red + 0.587 * green + 0.114 * blue)


def measure(text=lambda v: f"{v:.0f} F"):
    from dashboards.maps import Measure

    return Measure("gross", "Ventes TTC (FBu)", text)


# -- boundaries and the reference table ----------------------------------------------------


def test_each_map_has_one_shape_per_province_of_the_reference_data():
    from dashboards.maps import provinces_of

    assert [p["code"] for p in provinces_of("2015")] == sorted(c for c, *_ in PROVINCES_2015)
    assert [p["code"] for p in provinces_of("2025")] == sorted(c for c, *_ in PROVINCES_2025)
    for version in ("2015", "2025"):
        for province in provinces_of(version):
            assert len(province["lon"]) == len(province["lat"]) > 10


def test_every_old_commune_is_linked_once_to_a_2025_province():
    codes_2015 = {c for c, *_ in PROVINCES_2015}
    codes_2025 = {c for c, *_ in PROVINCES_2025}
    keys = [(name, old) for name, old, _, _ in OLD_COMMUNES]
    assert len(keys) == len(set(keys)) == 119
    assert {old for _, old in keys} == codes_2015
    for name, _old, new, shared in OLD_COMMUNES:
        assert new in codes_2025 and set(shared) <= codes_2025 - {new}, name
    # Keyed by name and province: Butaganzwa is a commune of Kayanza and of Ruyigi.
    assert {old for name, old in keys if name == "Butaganzwa"} == {"BI-KY", "BI-RY"}
    # Every commune of the boundaries file is in the table, under its full name.
    source = json.loads((GEO / "burundi-communes-2007.geojson").read_text(encoding="utf-8"))
    code_of = {name: code for code, name, _, _ in PROVINCES_2015}
    drawn = {
        (f["properties"]["name"], code_of[f["properties"]["province"]]) for f in source["features"]
    }
    assert {GEO_NAMES.get(key, key[0]) for key in keys} == {name for name, _ in drawn}
    assert {(GEO_NAMES.get(key, key[0]), key[1]) for key in keys} == drawn


def test_the_table_agrees_with_the_2025_communes_of_the_reference_data():
    """A 2025 commune named after an old one lies in the 2025 province the table gives it."""
    table = {}
    for name, _old, new, _ in OLD_COMMUNES:
        table.setdefault(name, set()).add(new)
    checked = 0
    for province, communes in COMMUNES_2025.items():
        for name, _former in communes:
            if name in table and len(table[name]) == 1:
                assert table[name] == {province}, name
                checked += 1
    assert checked >= 30


def test_the_checked_in_maps_are_what_the_build_makes():
    pytest.importorskip("shapely")
    from dashboards.geo import build

    assert build.dumps(build.build()) == (GEO / "provinces.json").read_text(encoding="utf-8")


def test_the_2025_provinces_cover_the_same_land_as_the_18_of_2015():
    shapely = pytest.importorskip("shapely")
    from shapely.geometry import Polygon

    from dashboards.maps import provinces_of

    def area(version):
        total = 0.0
        for province in provinces_of(version):
            ring = [
                (x, y)
                for x, y in zip(province["lon"], province["lat"], strict=True)
                if x is not None
            ]
            total += Polygon(ring).area
        return total

    assert area("2025") == pytest.approx(area("2015"), rel=0.01)
    assert shapely.__version__


def test_the_credit_line_is_the_attribution_files():
    from dashboards.maps import geometry

    attribution = (GEO / "ATTRIBUTION.md").read_text(encoding="utf-8")
    credit = re.search(r"« (Limites :.*?) »", " ".join(attribution.split())).group(1)
    assert geometry()["credit"] == credit
    readme = (GEO.parent.parent / "README.md").read_text(encoding="utf-8")
    assert credit in " ".join(readme.split())


# -- the figure ----------------------------------------------------------------------------


@pytest.mark.parametrize("version, count", [("2015", 18), ("2025", 5)])
def test_the_figure_draws_every_province_with_the_credit(version, count):
    from dashboards.maps import geometry, province_map

    figure = province_map(version, {}, measure())
    assert len(polygons(figure)) == count
    texts = [a["text"] for a in figure["layout"]["annotations"]]
    assert geometry()["credit"] in texts
    assert figure["layout"]["yaxis"]["scaleanchor"] == "x"
    assert not figure["layout"]["xaxis"]["visible"]


def test_colours_darken_with_the_measure_and_missing_values_stay_blank():
    from dashboards.maps import NO_VALUE, province_map

    values = {"BI-BB": 10, "BI-GI": 400, "BI-NG": 200, "BI-KI": 0}
    figure = province_map("2015", values, measure())
    shapes = polygons(figure)
    order = ["Kirundo", "Bubanza", "Ngozi", "Gitega"]
    shades = [darkness(shapes[name]["fillcolor"]) for name in order]
    assert shades == sorted(shades) and len(set(shades)) == 4
    assert shapes["Gitega"]["text"] == "Gitega : 400 F"
    assert shapes["Rutana"]["fillcolor"] == NO_VALUE
    bar = next(t for t in figure["data"] if t.get("marker", {}).get("showscale"))
    assert (bar["marker"]["cmin"], bar["marker"]["cmax"]) == (0, 400)


def test_the_2025_map_marks_the_boundary_through_a_split_commune_as_approximate():
    from dashboards.maps import province_map

    split = [name for name, _, _, shared in OLD_COMMUNES if shared]
    assert split
    figure = province_map("2025", {}, measure())
    dotted = [t for t in figure["data"] if t.get("line", {}).get("dash") == "dot"]
    assert {t["text"].split(" :")[0].removeprefix("Ancienne commune de ") for t in dotted} == set(
        split
    )
    notes = " ".join(a["text"] for a in figure["layout"]["annotations"])
    assert "approximative" in notes and all(name in notes for name in split)
    old = province_map("2015", {}, measure())
    assert not [t for t in old["data"] if t.get("line", {}).get("dash") == "dot"]


def test_a_coordinators_figure_holds_no_other_provinces_value():
    from dashboards.maps import OUT_OF_SCOPE, province_map

    values = {code: 1000 + i * 111 for i, (code, *_) in enumerate(PROVINCES_2015)}
    figure = province_map("2015", values, measure(), clickable={"BI-GI"}, selected="BI-GI")
    text = json.dumps(figure)
    for code, value in values.items():
        assert (f"{value} F" in text) == (code == "BI-GI"), code
    shapes = polygons(figure)
    assert shapes["Gitega"]["hoverinfo"] == "text"
    others = [s for name, s in shapes.items() if name != "Gitega"]
    assert all(s["fillcolor"] == OUT_OF_SCOPE and s["hoverinfo"] == "skip" for s in others)
    assert markers(figure)["customdata"] == ["BI-GI"]


def test_a_click_names_the_province_of_its_marker_or_area_and_nothing_else():
    from dashboards.maps import clicked_code, provinces_of

    assert clicked_code({"points": [{"customdata": "BI-NG", "curveNumber": 20}]}, "2015") == "BI-NG"
    third = provinces_of("2025")[2]["code"]
    assert clicked_code({"points": [{"curveNumber": 2}]}, "2025") == third
    for bad in (None, {}, {"points": []}, {"points": [{"curveNumber": 99}]}, {"points": ["x"]}):
        assert clicked_code(bad, "2015") is None
    assert clicked_code({"points": [{"curveNumber": True}]}, "2015") is None
    assert clicked_code({"points": [{"customdata": "BI-NG"}]}, "1990") is None


# -- on the seeded database: same frame, same scope ----------------------------------------


def _output(app, username, key, **values):
    from dashboards.charts import chart_output

    with signed_in(app, username):
        return chart_output(key, {**PERIOD, **values})


def test_the_sales_map_shows_the_by_province_figures_from_the_same_cached_frame(seeded):
    bars = _output(seeded, "ministere.dash", "ventes-provinces", carte="2015")["data"][0]
    expected = {name: int(v) for name, v in zip(bars["y"], bars["x"], strict=True)}
    with counted_queries() as statements:
        figure = _output(seeded, "ministere.dash", "ventes-carte", carte="2015")
    assert not [s for s in statements if "fact_sales" in s]  # no second computation
    shapes = polygons(figure)
    assert len(shapes) == 18
    for name, value in expected.items():
        assert shapes[name]["text"] == f"{name} : {format_francs(value)}"
    assert len(markers(figure)["customdata"]) == 18


@pytest.mark.parametrize("key, version", [("mevente-carte", "2025"), ("pilote-carte", "2015")])
def test_the_mevente_and_pilot_maps_draw_every_province(seeded, key, version):
    figure = _output(seeded, "ministere.dash", key, carte=version)
    assert len(polygons(figure)) == {"2015": 18, "2025": 5}[version]
    assert any(" : aucune donnée" not in s["text"] for s in polygons(figure).values())


def test_a_coordinator_sees_values_and_clicks_on_their_province_only(seeded):
    national = _output(seeded, "ministere.dash", "ventes-carte", carte="2015")
    own = _output(seeded, "coord.gitega", "ventes-carte", carte="2015")
    assert markers(own)["customdata"] == ["BI-GI"]
    text = json.dumps(own)
    for name, shape in polygons(national).items():
        if name != "Gitega" and " : aucune donnée" not in shape["text"]:
            assert shape["text"].split(" : ")[1] not in text, name
    assert polygons(own)["Gitega"]["text"].startswith("Gitega : ")


def _click_output(client) -> str:
    dependencies = client.get("/dashboards/_dash-dependencies").get_json()
    found = [
        d["output"]
        for d in dependencies
        if d["output"].startswith("f-province.value")
        and any("clickData" in str(i) for i in d["inputs"])
    ]
    assert len(found) == 1
    return found[0]


def _click(client, output, chart, point, version, current=None):
    body = map_click_body(output, chart, {"points": [point]}, version, current)
    return client.post("/dashboards/_dash-update-component", json=body)


def test_a_click_on_a_map_sets_the_province_filter_through_the_callback(seeded):
    from .conftest import login

    client = seeded.test_client()
    login(client, "ministere.dash")
    output = _click_output(client)
    answer = _click(client, output, "ventes-carte", {"customdata": "BI-NG"}, "2015")
    assert answer.status_code == 200
    assert answer.get_json()["response"]["f-province"]["value"] == "BI-NG"
    # The same province again clears the filter; a bar chart's click changes nothing.
    again = _click(client, output, "mevente-carte", {"customdata": "BI-NG"}, "2015", "BI-NG")
    assert again.get_json()["response"]["f-province"]["value"] is None
    assert _click(client, output, "ventes-provinces", {"y": "Ngozi"}, "2015").status_code == 204
    # A province of the other map is not a filter of this one.
    assert (
        _click(client, output, "ventes-carte", {"customdata": "BI25-GI"}, "2015").status_code == 204
    )


def test_a_coordinators_click_on_another_province_changes_nothing(seeded):
    from .conftest import login

    client = seeded.test_client()
    login(client, "coord.gitega")
    output = _click_output(client)
    assert (
        _click(client, output, "pilote-carte", {"customdata": "BI-NG"}, "2015").status_code == 204
    )
    mine = _click(client, output, "pilote-carte", {"customdata": "BI-GI"}, "2015")
    assert mine.get_json()["response"]["f-province"]["value"] == "BI-GI"
