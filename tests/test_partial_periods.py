"""The month under way is incomplete: left out of trends and « en baisse » rankings unless
the user asks, drawn hatched or dashed with a legend note; offers are judged by month of
publication only once they have had the « Invendue après » delay. periods.py decides.

One value chain (dry beans) sells 80 % of each month's offer from August to November 2026;
December has just started (« today » is fixed at 15/12/2026) and has sold 10 % so far.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from console.security.scoping import NATIONAL
from console.services import periods
from console.services.facts import refresh_facts
from console.services.periods import local_midnight_utc

from .dashboards_support import make_buyer, make_cooperative, make_listing, make_order, make_product

TODAY = dt.date(2026, 12, 15)
MONTHS = [dt.date(2026, month, 1) for month in (8, 9, 10, 11, 12)]


@pytest.fixture
def mid_december(monkeypatch):
    """« Today » is 15/12/2026 for periods.py and the dashboards' filters."""
    import dashboards.filters
    import reports.definitions.sales

    for module in (periods, dashboards.filters, reports.definitions.sales):
        monkeypatch.setattr(module, "today_local", lambda: TODAY)
    return TODAY


@pytest.fixture(scope="module")
def market(app):
    from console.extensions import db

    with app.app_context():
        s = db.session
        coop = make_cooperative(s, "Coop Haricot Partielle", "BI-GI")
        beans = make_product(s, coop, "haricot-sec")
        buyer = make_buyer(s)
        for month in MONTHS:
            start = local_midnight_utc(month)
            listing = make_listing(
                s,
                beans,
                "10",
                1000,
                start + dt.timedelta(hours=1),
                local_midnight_utc(month.replace(day=28)),
            )
            sold = "1" if month == MONTHS[-1] else "8"
            make_order(
                s, buyer, coop, start + dt.timedelta(days=4), [(beans, sold, 1000, 0, listing)]
            )
        refresh_facts(s)  # the price comparison reads the listing aggregates
        s.commit()
        yield {"coop": coop.id, "chain": beans.category.value_chain_id}


def _filters(values: dict):
    from dashboards.filters import DataBounds, parse_filters

    filters, errors = parse_filters(
        {"du": "2026-08", "au": "2026-12", **values}, DataBounds(MONTHS[0], MONTHS[-1])
    )
    assert errors == []
    return filters


def _trend(app, filters):
    from console.extensions import db
    from dashboards.data import mevente

    with app.app_context():
        found = mevente.falling_chains(db.session, NATIONAL, filters)
    return found.set_index("value_chain_id")


def test_periods_know_the_month_under_way(mid_december):
    assert periods.complete_months(MONTHS) == MONTHS[:-1]
    assert not periods.is_month_complete(dt.date(2026, 12, 1))
    assert periods.is_month_complete(dt.date(2026, 11, 30))
    assert periods.last_complete_month() == dt.date(2026, 11, 1)


def test_falling_ranking_ignores_the_month_under_way_by_default(app, market, mid_december):
    filters = _filters({})
    assert not filters.include_partial and filters.trend_months == MONTHS[:-1]
    row = _trend(app, filters).loc[market["chain"]]
    assert row["months"] == 4 and not row["falling"]
    assert row["last_rate"] == pytest.approx(80.0)


def test_falling_ranking_includes_the_month_under_way_on_request(app, market, mid_december):
    for ticked in ("1", ["1"]):  # from a URL, from the page's checkbox
        filters = _filters({"encours": ticked})
        assert filters.include_partial and "encours=1" in filters.query_string()
        row = _trend(app, filters).loc[market["chain"]]
        assert row["months"] == 5 and row["falling"]
        assert row["last_rate"] == pytest.approx(10.0)


def test_odd_values_leave_the_control_unset(mid_december):
    for odd in ("oui", "2", [], ["0"], 1.5, None):
        assert not _filters({"encours": odd}).include_partial


def test_price_comparison_waits_for_the_unsold_delay(app, market, mid_december):
    """Offers younger than « Invendue après » (30 days by 15/12: published after 15/11) wait."""
    from console.extensions import db
    from dashboards.data import mevente

    filters = replace(_filters({"jours": "30"}), value_chain_id=market["chain"])
    with app.app_context():
        found = mevente.price_vs_sell_through(db.session, NATIONAL, filters)
        later = mevente.price_vs_sell_through(db.session, NATIONAL, replace(filters, days=90))
    assert int(found["listings"].sum()) == 4  # August to November, not December's
    assert int(later["listings"].sum()) == 2  # published by 16/09: August and September


def test_current_month_is_drawn_incomplete(app, market, mid_december):
    from console.extensions import db
    from dashboards.data import mevente
    from dashboards.figures import month_label
    from dashboards.pages.mevente import draw_offered_sold

    filters = _filters({})
    with app.app_context():
        frame = mevente.offered_vs_sold(db.session, NATIONAL, filters)
    figure = draw_offered_sold(frame, filters)
    bars = [t for t in figure["data"] if t["type"] == "bar"]
    for trace in bars:
        shapes = trace["marker"]["pattern"]["shape"]
        assert shapes == ["", "", "", "", "/"] and trace["x"][-1] == month_label(MONTHS[-1])
    lines = [t for t in figure["data"] if t.get("yaxis") == "y2"]
    solid, dashed = lines
    assert solid["y"][-1] is None and solid["y"][-2] is not None
    assert dashed["line"]["dash"] == "dash" and dashed["x"] == solid["x"][-2:]
    notes = [t["name"] for t in figure["data"] if t.get("name") == periods.PARTIAL_NOTE]
    assert notes == ["mois en cours, incomplet"]


def test_complete_periods_are_drawn_as_before(app, market, mid_december):
    from dashboards.figures import bar, figure, mark_partial, month_label

    plain = figure([bar([month_label(m) for m in MONTHS[:-1]], [1, 2, 3, 4])])
    assert mark_partial(plain, set()) is plain


def test_the_week_under_way_is_marked_on_weekly_charts(mid_december):
    from dashboards.figures import current_x

    mondays = [dt.date(2026, 11, 30), dt.date(2026, 12, 7), dt.date(2026, 12, 14)]
    assert current_x(mondays, weekly=True) == {"2026-12-14"}
    assert current_x(mondays) == {"déc. 2026"}  # as months: December is under way


def test_the_sales_report_does_not_compare_the_month_under_way(app, market, mid_december):
    from console.extensions import db
    from reports.definitions.sales import excel, summarise
    from reports.parameters import ReportParameters

    with app.app_context():
        december = summarise(db.session, ReportParameters(period=periods.period_of(MONTHS[-1])))
        november = summarise(db.session, ReportParameters(period=periods.period_of(MONTHS[-2])))
    assert december["figures"]["change"] is None
    assert december["figures"]["partial_note"] == (
        "Période en cours, incomplète : chiffres au 15/12/2026, non comparés à novembre 2026."
    )
    assert november["figures"]["partial_note"] == ""
    assert november["figures"]["change"] == 0  # 8 000 F in October and in November
    (key_figures, *_) = excel(None, {**december, "mevente": {"rows": [], "total": None}}, None)
    assert key_figures.rows[0][0] == december["figures"]["partial_note"]
