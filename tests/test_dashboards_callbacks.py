"""Dashboard callbacks as functions and over HTTP: their figures equal sums taken from the
raw records through the ORM, and province scoping holds against forged payloads."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict

import pytest
from plotly.utils import PlotlyJSONEncoder
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from console import models as m
from console.services.periods import local_midnight_utc

from . import dashboards_support as support
from .conftest import login
from .dash_requests import chart_part, part_key
from .dashboards_support import province_id, raw_sales, signed_in, update_payload
from .test_console_queries import counted_queries

# Fixtures: the seeded app and its session.
seeded, db_session = support.seeded, support.db_session

START, END = dt.date(2024, 7, 1), dt.date(2025, 6, 30)
PERIOD = {"du": "2024-07", "au": "2025-06"}
REFUSED = "Cette province ne fait pas partie de votre périmètre."


def output(app, username, key, **values):
    from dashboards.charts import chart_output

    with signed_in(app, username):
        return chart_output(key, {**PERIOD, **values})


def bars(figure: dict, trace: int = 0) -> dict:
    """label → value of a bar trace (horizontal or vertical)."""
    data = figure["data"][trace]
    if data.get("orientation") == "h":
        return dict(zip(data["y"], (int(v) for v in data["x"]), strict=True))
    return dict(zip(data["x"], (int(v) for v in data["y"]), strict=True))


def ys(figure: dict, trace: int = 0) -> list:
    return figure["data"][trace]["y"]


def gi_coops(session) -> set[int]:
    gi = province_id(session, "BI-GI")
    return set(session.scalars(select(m.Cooperative.id).where(m.Cooperative.province_id == gi)))


# -- figures equal the raw sums -------------------------------------------------------------


def test_sales_by_province_equal_the_order_lines_per_seller_province(seeded, db_session):
    figure = output(seeded, "ministere.dash", "ventes-provinces")  # on the default map, 2025's
    names = dict(db_session.execute(select(m.Province.id, m.Province.name)).all())
    expected = {
        names[pid]: int(gross)
        for pid, gross, _tax, _n in raw_sales(
            db_session, START, END, m.Cooperative.province_2025_id
        )
    }
    assert bars(figure) == expected
    assert sum(expected.values()) > 0


def test_monthly_sales_equal_the_order_lines_per_bujumbura_month(seeded, db_session):
    from dashboards.figures import month_label

    figure = output(seeded, "ministere.dash", "ventes-evolution", grain="mois")
    expected = defaultdict(int)
    rows = db_session.execute(
        select(m.Order.placed_at, m.OrderLine.gross)
        .join(m.OrderLine, m.OrderLine.order_id == m.Order.id)
        .where(
            m.Order.status != m.OrderStatus.CANCELLED,
            m.Order.placed_at >= local_midnight_utc(START),
            m.Order.placed_at < local_midnight_utc(END + dt.timedelta(days=1)),
        )
    )
    for placed_at, gross in rows:
        local = (placed_at + dt.timedelta(hours=2)).date()
        expected[month_label(local.replace(day=1))] += gross
    assert bars(figure) == dict(expected)


def test_weekly_series_adds_up_to_the_same_total_as_the_monthly_one(seeded):
    weekly = output(seeded, "ministere.dash", "ventes-evolution", grain="semaine")
    monthly = output(seeded, "ministere.dash", "ventes-evolution", grain="mois")
    assert len(weekly["data"][0]["x"]) > 50
    assert sum(ys(weekly)) == sum(ys(monthly))


def test_top_sellers_are_the_largest_sellers_by_raw_sums(seeded, db_session):
    rows, _message = output(seeded, "ministere.dash", "ventes-top")
    raw = raw_sales(db_session, START, END, m.Cooperative.id, m.Cooperative.name)
    expected = sorted(raw, key=lambda r: (-r[2], r[0]))[:15]
    from console.services.money import format_francs

    assert [(r["seller"], r["gross"]) for r in rows] == [
        (name, format_francs(int(gross))) for _id, name, gross, _t, _n in expected
    ]


def test_local_and_export_sales_split_the_total(seeded, db_session):
    figure = output(seeded, "ministere.dash", "ventes-export")
    export = raw_sales(db_session, START, END, where=[m.Order.is_export.is_(True)])[0][0]
    total = raw_sales(db_session, START, END)[0][0]
    assert sum(ys(figure, 1)) == export
    assert sum(ys(figure, 0)) + sum(ys(figure, 1)) == total


def test_raw_material_purchases_are_raw_categories_bought_by_cooperatives(seeded, db_session):
    figure = output(seeded, "ministere.dash", "ventes-matieres")
    expected = raw_sales(
        db_session,
        START,
        END,
        where=[
            m.Category.is_raw_material.is_(True),
            m.Order.buyer_id.in_(select(m.Buyer.id).where(m.Buyer.kind == m.BuyerKind.COOPERATIVE)),
        ],
    )[0][0]
    assert sum(sum(trace["y"]) for trace in figure["data"]) == expected > 0


def test_pilot_funnel_and_tablets_equal_the_programme_records(seeded, db_session):
    funnel = output(seeded, "ministere.dash", "pilote-parcours")
    nominated = db_session.scalar(
        select(func.count()).select_from(m.Enrollment).where(m.Enrollment.nominated_on.is_not(None))
    )
    active = db_session.scalar(
        select(func.count()).select_from(m.Enrollment).where(m.Enrollment.activated_on.is_not(None))
    )
    stages = funnel["data"][0]["x"]
    assert stages == sorted(stages, reverse=True)
    assert (stages[0], stages[-1]) == (nominated, active)
    tablets = output(seeded, "ministere.dash", "pilote-tablettes")
    deployed = db_session.scalar(
        select(func.count())
        .select_from(m.Device)
        .where(m.Device.kind == m.DeviceKind.TABLET, m.Device.status == m.DeviceStatus.ASSIGNED)
    )
    assert sum(ys(tablets)) == deployed > 0


def test_tax_receipts_equal_the_reconciliation_service(seeded, db_session):
    from console.security.scoping import NATIONAL
    from console.services.tax.reconciliation import reconcile, reconciliation_totals

    rows, _ = output(seeded, "ministere.dash", "recettes-indicateurs")
    totals = reconciliation_totals(reconcile(db_session, NATIONAL, START, END))
    from console.services.money import format_francs

    figures = {label: value for label, value, _note in rows}
    assert figures["Taxe due"] == format_francs(totals.tax_due)
    assert figures["Taxe encaissée"] == format_francs(totals.tax_collected)
    assert figures["TVA reversée à l'OBR"] == format_francs(totals.tax_remitted)
    assert totals.tax_due > 0


def test_stored_month_flags_are_the_leakage_service_flags_of_the_period(seeded, db_session):
    """Flags judged month by month match; those judged over a window (sales drop, 12-month
    turnover, a period's remittances in total) are the refresh's, over all the data."""
    from console.security.scoping import NATIONAL
    from console.services.tax.leakage import KIND_LABELS, leakage_flags

    monthly = ("line_tax", "unpaid_delivery", "remittance_missing", "remittance_late")
    from dashboards.charts import chart_data

    with signed_in(seeded, "ministere.dash"):
        every = chart_data(
            "recettes-alertes", {"du": "2024-10", "au": "2025-03"}, every_row=True
        ).frame
        rows, message = output(
            seeded, "ministere.dash", "recettes-alertes", du="2024-10", au="2025-03"
        )
    assert len(rows) == min(len(every), 100)
    assert (message != "") == (len(every) > 100)
    rows = every.to_dict("records")
    flags = leakage_flags(
        db_session, NATIONAL, dt.date(2024, 10, 1), dt.date(2025, 3, 31), kinds=monthly
    )
    labels = {KIND_LABELS[kind] for kind in monthly}
    shown = sorted((r["label"], r["seller"], r["period"]) for r in rows if r["label"] in labels)
    assert shown == sorted((f.label, f.seller_name, f.period.label) for f in flags)
    assert shown


# -- scoping ---------------------------------------------------------------------------------


def test_coordinator_sees_only_their_provinces_cooperatives(seeded, db_session):
    figure = output(seeded, "coord.gitega", "ventes-provinces")
    expected = raw_sales(
        db_session, START, END, where=[m.Cooperative.id.in_(gi_coops(db_session))]
    )[0][0]
    assert bars(figure) == {"Gitega": expected}


def test_coordinator_forging_another_province_gets_a_french_refusal_not_its_data(
    seeded, db_session
):
    ngozi = province_id(db_session, "BI-NG")
    figure = output(seeded, "coord.gitega", "ventes-provinces", province=ngozi)
    assert [a["text"] for a in figure["layout"]["annotations"]] == [REFUSED]
    assert figure["data"] == []
    rows, message = output(seeded, "coord.gitega", "ventes-top", province=ngozi)
    assert (rows, message) == ([], REFUSED)


def test_coordinator_forging_another_provinces_cooperative_is_refused(seeded, db_session):
    stranger = db_session.scalar(
        select(m.Cooperative.id).where(m.Cooperative.id.not_in(gi_coops(db_session)))
    )
    figure = output(seeded, "coord.gitega", "ventes-evolution", cooperative=stranger, grain="mois")
    assert [a["text"] for a in figure["layout"]["annotations"]] == [
        "Cette coopérative ne fait pas partie de votre périmètre."
    ]


def test_coordinator_choosing_the_2025_successor_still_sees_only_their_cooperatives(
    seeded, db_session
):
    gitega_2025 = db_session.scalar(
        select(m.Province.successor_id).where(m.Province.code == "BI-GI")
    )
    figure = output(seeded, "coord.gitega", "ventes-provinces", carte="2025", province=gitega_2025)
    expected = raw_sales(
        db_session,
        START,
        END,
        where=[
            m.Cooperative.id.in_(gi_coops(db_session)),
            m.Cooperative.province_2025_id == gitega_2025,
        ],
    )[0][0]
    assert sum(bars(figure).values()) == expected


def test_coordinator_cannot_open_the_tax_dashboard_callbacks(seeded):
    with pytest.raises(NotFound):
        output(seeded, "coord.gitega", "recettes-mensuel")


def test_pnud_sees_tax_receipts_but_not_the_leakage_flags(seeded):
    assert output(seeded, "pnud.dash", "recettes-mensuel")["data"]
    with pytest.raises(NotFound):
        output(seeded, "pnud.dash", "recettes-alertes")


@pytest.mark.parametrize(
    "bad",
    [
        {"province": "abc"},
        {"province": -3},
        {"du": "2024-13"},
        {"carte": "1990"},
        {"cooperative": {"id": 1}},
        {"grain": "jour"},
    ],
)
def test_malformed_payload_values_fall_back_with_a_french_message(seeded, bad):
    from dashboards.charts import chart_data

    with signed_in(seeded, "ministere.dash"):
        data = chart_data("ventes-evolution", {**PERIOD, "grain": "mois", **bad})
    assert data.messages and all(text.endswith(".") for text in data.messages)
    assert not data.refused and data.frame is not None


def test_forged_province_over_http_answers_the_refusal_and_no_foreign_figures(seeded, db_session):
    from dashboards.charts import CHARTS

    client = seeded.test_client()
    login(client, "coord.gitega")
    ngozi = province_id(db_session, "BI-NG")
    payload = update_payload(
        CHARTS["ventes-provinces"], {**PERIOD, "province": ngozi, "carte": "2015"}
    )
    response = client.post("/dashboards/_dash-update-component", json=payload)
    assert response.status_code == 200
    refused = chart_part(response.get_json(), "graphique", "ventes-provinces")["figure"]
    assert refused["data"] == []
    assert [a["text"] for a in refused["layout"]["annotations"]] == [REFUSED]
    own = update_payload(CHARTS["ventes-provinces"], {**PERIOD, "carte": "2015"})
    figure = json.loads(client.post("/dashboards/_dash-update-component", json=own).get_data())
    bar = chart_part(figure, "graphique", "ventes-provinces")["figure"]["data"][0]
    assert bar["y"] == ["Gitega"]


def _post_charts(client, charts, values, changed=()):
    body = support.charts_payload(charts, values, changed)
    return client.post("/dashboards/_dash-update-component", json=body)


@pytest.mark.parametrize("slug", ["ventes", "mevente", "recettes", "pilote"])
def test_one_request_fills_every_chart_of_a_page_as_each_chart_alone(seeded, slug):
    from dashboards.charts import GRAPH, TABLE, charts_of
    from dashboards.layout import table

    charts = charts_of(slug)
    client = seeded.test_client()
    login(client, "ministere.dash")
    values = {**PERIOD, "carte": "2015", "grain": "mois", "jours": 90}
    response = _post_charts(client, charts, values)
    assert response.status_code == 200
    answer = response.get_json()
    assert len(answer["response"]) == sum(1 if c.kind == GRAPH else 2 for c in charts)
    for chart in charts:
        alone = output(seeded, "ministere.dash", chart.key, **values)
        if chart.kind == GRAPH:
            assert chart_part(answer, "graphique", chart.key)["figure"] == json.loads(
                json.dumps(alone, cls=PlotlyJSONEncoder)
            ), chart.key
            continue
        items, message = alone
        assert chart_part(answer, "message", chart.key)["children"] == message, chart.key
        body = chart_part(answer, "contenu", chart.key)["children"]
        if chart.kind == TABLE:
            assert body == (table(chart, items) or ""), chart.key
        else:
            assert bool(body) == bool(items), chart.key


def test_changing_the_grain_redraws_only_the_charts_that_read_it(seeded):
    from dashboards.charts import charts_of

    charts = charts_of("ventes")
    client = seeded.test_client()
    login(client, "ministere.dash")
    values = {**PERIOD, "carte": "2015", "grain": "semaine"}
    changed = ('{"name":"grain","type":"reglage"}.value',)
    answer = _post_charts(client, charts, values, changed).get_json()["response"]
    readers = {c.key for c in charts if "grain" in c.controls}
    assert readers == {"ventes-evolution"}
    assert set(answer) == {part_key("graphique", "ventes-evolution")}
    weekly = answer[part_key("graphique", "ventes-evolution")]["figure"]
    assert len(weekly["data"][0]["x"]) > 40  # weeks of a year, not 12 months
    everything = _post_charts(client, charts, values, ("f-du.value",)).get_json()["response"]
    assert len(everything) > len(charts) - 1


def test_a_charts_request_naming_one_chart_beyond_the_role_is_refused_whole(seeded):
    from dashboards.charts import CHARTS, charts_of

    client = seeded.test_client()
    login(client, "pnud.dash")
    allowed = [c for c in charts_of("recettes") if c.key != "recettes-alertes"]
    assert _post_charts(client, allowed, PERIOD).status_code == 200
    forged = _post_charts(client, [*allowed, CHARTS["recettes-alertes"]], PERIOD)
    assert forged.status_code == 404
    assert forged.get_json()["message"] == "Tableau de bord introuvable ou non autorisé."
    unknown = type("Unknown", (), {"key": "inconnu", "kind": "graph", "controls": ()})
    assert _post_charts(client, [*allowed, unknown], PERIOD).status_code == 404
    coordinator = seeded.test_client()
    login(coordinator, "coord.gitega")
    assert _post_charts(coordinator, [CHARTS["recettes-mensuel"]], PERIOD).status_code == 404
    assert _post_charts(coordinator, [CHARTS["ventes-provinces"]], PERIOD).status_code == 200


@pytest.mark.parametrize(
    "outputs",
    [
        None,
        "ventes-provinces.figure",
        [[{"id": {"cle": "ventes-provinces", "type": "graphique"}, "property": "figure"}]],
        [[{"id": "ventes-provinces", "property": "figure"}], [], []],
        [
            [{"id": {"cle": ["ventes-provinces"], "type": "graphique"}, "property": "figure"}],
            [],
            [],
        ],
        [[{"id": {"cle": "ventes-provinces", "type": "contenu"}, "property": "figure"}], [], []],
        [[], [{"id": {"cle": "ventes-top", "type": "contenu"}, "property": "figure"}], []],
    ],
)
def test_a_malformed_charts_request_is_refused_without_an_error(seeded, outputs):
    client = seeded.test_client()
    login(client, "ministere.dash")
    body = support.charts_payload([], PERIOD) | {"outputs": outputs}
    response = client.post("/dashboards/_dash-update-component", json=body)
    assert response.status_code == 404
    assert response.get_json()["message"] == "Tableau de bord introuvable ou non autorisé."


def test_cached_figures_are_never_shared_between_scopes(seeded):
    national = output(seeded, "ministere.dash", "ventes-provinces")
    coordinator = output(seeded, "coord.gitega", "ventes-provinces")
    again = output(seeded, "ministere.dash", "ventes-provinces")
    assert len(bars(national)) > 1 and list(bars(coordinator)) == ["Gitega"]
    assert bars(again) == bars(national)


def test_a_refresh_makes_cached_figures_stale(seeded, db_session):
    from console.services.facts import refresh_facts

    before = bars(output(seeded, "ministere.dash", "ventes-filieres"))
    line = db_session.scalar(
        select(m.OrderLine)
        .join(m.Order)
        .where(
            m.Order.status != m.OrderStatus.CANCELLED,
            m.Order.placed_at >= local_midnight_utc(dt.date(2025, 1, 1)),
            m.Order.placed_at < local_midnight_utc(dt.date(2025, 2, 1)),
        )
    )
    chain = db_session.scalar(
        select(m.ValueChain.name)
        .join(m.Category)
        .join(m.Product)
        .where(m.Product.id == line.product_id)
    )
    line.gross += 1_000_000
    refresh_facts(db_session, since=dt.date(2025, 1, 1))
    db_session.commit()
    try:
        after = bars(output(seeded, "ministere.dash", "ventes-filieres"))
        assert after[chain] == before[chain] + 1_000_000
    finally:
        line.gross -= 1_000_000
        refresh_facts(db_session, since=dt.date(2025, 1, 1))
        db_session.commit()


def test_a_coordinators_excel_export_holds_their_province_only(seeded, db_session):
    import base64
    import io

    from openpyxl import load_workbook

    from dashboards.charts import chart_download

    with signed_in(seeded, "coord.gitega"):
        own = chart_download("ventes-provinces", "xlsx", PERIOD)
        forged = chart_download(
            "ventes-provinces", "csv", {**PERIOD, "province": province_id(db_session, "BI-NG")}
        )
    rows = list(
        load_workbook(io.BytesIO(base64.b64decode(own["content"]))).active.iter_rows(
            values_only=True
        )
    )
    expected = raw_sales(
        db_session, START, END, where=[m.Cooperative.id.in_(gi_coops(db_session))]
    )[0][0]
    assert rows == [("Province", "Ventes TTC (FBu)", "Commandes"), ("Gitega", expected, rows[1][2])]
    assert own["filename"].endswith(".xlsx")
    assert base64.b64decode(forged["content"]).decode("utf-8") == "\ufeff\r\n"


def test_an_excel_export_states_its_filters_and_formats_its_rates(seeded, db_session):
    import base64
    import io

    from openpyxl import load_workbook

    from dashboards.charts import chart_download
    from dashboards.exports import INTEGER, PERCENT

    coffee = db_session.scalar(select(m.ValueChain.id).where(m.ValueChain.name == "Café"))
    values = {**PERIOD, "carte": "2015", "filiere": coffee}
    with signed_in(seeded, "coord.gitega"):
        download = chart_download("mevente-filieres", "xlsx", values)
    workbook = load_workbook(io.BytesIO(base64.b64decode(download["content"])))
    assert workbook.sheetnames[1] == "Filtres"
    stated = dict(workbook["Filtres"].iter_rows(min_row=2, values_only=True))
    assert stated["Périmètre"] == "Provinces : Gitega"
    assert stated["Période"] == "juil. 2024 – juin 2025"
    assert stated["Carte"] == "Carte de 2015 (18 provinces)"
    assert (stated["Province"], stated["Filière"], stated["Coopérative"]) == (
        "Toutes",
        "Café",
        "Toutes",
    )
    assert "filiere=" in stated["Lien"] and stated["Lien"].startswith("/dashboards/mevente?")
    data = workbook.worksheets[0]
    headings = [cell.value for cell in data[1]]
    rate = data.cell(row=2, column=headings.index("Taux d'écoulement") + 1)
    sold = data.cell(row=2, column=headings.index("Valeur vendue (FBu)") + 1)
    assert 0 < rate.value < 1 and rate.number_format == PERCENT
    assert sold.value > 0 and sold.number_format == INTEGER


def test_with_the_redis_cache_down_charts_still_answer_from_the_database(seeded):
    from dashboards.cache import cache

    expected = bars(output(seeded, "ministere.dash", "ventes-provinces"))
    working = seeded.extensions["cache"][cache]
    # RedisCache on a port where nothing listens, as when Redis stops.
    cache.init_app(
        seeded,
        config={
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": "redis://127.0.0.1:1/0",
            "CACHE_KEY_PREFIX": "isoko:dash:",
        },
    )
    try:
        assert bars(output(seeded, "ministere.dash", "ventes-provinces")) == expected
        # Meanwhile the process keeps what it computed: the same view reads no aggregate.
        with counted_queries() as statements:
            assert bars(output(seeded, "ministere.dash", "ventes-provinces")) == expected
        assert not [s for s in statements if "fact_sales" in s]
    finally:
        seeded.extensions["cache"][cache] = working


def test_charts_drawing_the_same_frame_share_one_cache_entry(seeded):
    output(seeded, "ministere.dash", "recettes-mensuel", du="2024-01", au="2024-06")
    with counted_queries() as statements:
        output(seeded, "ministere.dash", "recettes-ecart", du="2024-01", au="2024-06")
    assert not [s for s in statements if "fact_sales" in s or "fact_payment" in s]


def test_the_flags_export_holds_every_flag_when_the_screen_shows_the_first(
    seeded, db_session, monkeypatch
):
    import dataclasses

    from dashboards.charts import CHARTS, chart_data
    from dashboards.data import tax

    def first_three(session, scope, filters, facts):
        return tax.leakage(session, scope, filters, facts, limit=3)

    monkeypatch.setitem(
        CHARTS,
        "recettes-alertes",
        dataclasses.replace(CHARTS["recettes-alertes"], load=first_three),
    )
    period = {"du": "2024-07", "au": "2025-06"}
    with signed_in(seeded, "ministere.dash"):
        shown = chart_data("recettes-alertes", period).frame
        every = chart_data("recettes-alertes", period, every_row=True).frame
    F = m.LeakageFlagFact
    stored = db_session.scalar(
        select(func.count()).select_from(F).where(F.period_end >= START, F.period_end <= END)
    )
    assert len(shown) == 3 < stored
    assert len(every) == stored


# -- the aggregates against the records ----------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [{}, {"grain": "semaine", "carte": "2025"}, {"grain": "semaine", "cooperative": "TOP"}],
    ids=["months", "weeks-2025-map", "one-seller-weeks"],
)
def test_every_chart_reads_the_same_rows_from_the_aggregates_as_from_the_records(
    seeded, db_session, values
):
    """DASHBOARD_FACTS="records" computes the aggregates' rows at each request: every frame
    a chart shows or exports must be the same. Leakage flags are the exception by design
    (stored ones are judged with all the data, live ones with the period's only)."""
    import pandas as pd

    from dashboards.charts import CHARTS, chart_data

    if values.get("cooperative") == "TOP":
        top = db_session.scalar(
            select(m.SalesMonthFact.seller_id)
            .group_by(m.SalesMonthFact.seller_id)
            .order_by(func.sum(m.SalesMonthFact.gross).desc())
            .limit(1)
        )
        values = {**values, "cooperative": top}
    frames, statements = {}, {}
    for source in ("aggregates", "records"):
        seeded.config["DASHBOARD_FACTS"] = source
        try:
            with signed_in(seeded, "ministere.dash"), counted_queries() as statements[source]:
                frames[source] = {
                    (key, every): chart_data(key, {**PERIOD, **values}, every_row=every).frame
                    for key in CHARTS
                    for every in (False, True)
                }
        finally:
            seeded.config["DASHBOARD_FACTS"] = "aggregates"
    # The records' pass reads no aggregate table (only the refresh's selects over records).
    assert not [s for s in statements["records"] if re.search(r" fact_(sales|payment|listing)", s)]
    assert [s for s in statements["aggregates"] if " fact_sales" in s]
    assert sum(not frame.empty for frame in frames["aggregates"].values()) >= 20
    for chart, frame in frames["aggregates"].items():
        if chart[0] == "recettes-alertes":
            assert list(frames["records"][chart].columns) == list(frame.columns)
            continue
        pd.testing.assert_frame_equal(frame, frames["records"][chart], check_dtype=False, obj=chart)
