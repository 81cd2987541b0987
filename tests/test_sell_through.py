"""« Taux d'écoulement »: one definition, the same number in the report, the dashboard and the service.

sold during the period ÷ (stock on offer at its start + offered during it), valued at the
offer's price, exact; checked against a replay of the raw listings and order lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from console import models as m
from console.security.scoping import NATIONAL, ProvinceScope
from console.services.mevente.sell_through import LABEL, sell_through, sell_through_rate
from console.services.periods import local_midnight_utc, period_of

from . import dashboards_support as support
from .dashboards_support import province_id, signed_in

seeded, db_session = support.seeded, support.db_session

MONTH = dt.date(2025, 3, 1)
MONTH_END = dt.date(2025, 3, 31)
PROVINCE = "BI-GI"  # a province of the 2015 map


def _replayed_rate(session, start: dt.date, end: dt.date, seller_province: int) -> Decimal:
    """The definition replayed offer by offer from the raw records, in Python."""
    start_utc, end_utc = local_midnight_utc(start), local_midnight_utc(end + dt.timedelta(days=1))
    before, during = defaultdict(Decimal), defaultdict(Decimal)
    lines = session.execute(
        select(m.OrderLine.listing_id, m.OrderLine.quantity, m.Order.placed_at)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(
            m.OrderLine.listing_id.is_not(None),
            m.Order.status != m.OrderStatus.CANCELLED,
            m.Order.placed_at < end_utc,
        )
    ).all()
    for listing_id, quantity, placed_at in lines:
        (before if placed_at < start_utc else during)[listing_id] += Decimal(quantity)
    opening = offered = sold = Decimal(0)
    listings = session.scalars(
        select(m.Listing)
        .join(m.Cooperative, m.Cooperative.id == m.Listing.cooperative_id)
        .where(m.Cooperative.province_id == seller_province)
    ).all()
    for listing in listings:
        if listing.listed_at >= end_utc or (
            listing.closed_at is not None and listing.closed_at < start_utc
        ):
            continue
        price = listing.unit_price
        if listing.listed_at < start_utc:
            stock = max(Decimal(listing.quantity_offered) - before[listing.id], Decimal(0))
            opening += stock * price
        else:
            stock = Decimal(listing.quantity_offered)
            offered += stock * price
        sold += min(during[listing.id], stock) * price
    return sell_through_rate(sold, opening, offered)


def test_the_rate_is_sold_over_opening_stock_plus_offered():
    assert sell_through_rate(30, 40, 60) == Decimal("0.3")
    assert sell_through_rate(1, 1, 2) == Decimal(1) / Decimal(3)
    assert sell_through_rate(0, 0, 0) is None


def test_report_dashboard_and_service_give_the_same_rate_for_a_province_and_month(
    seeded, db_session
):
    from console.services.areas import Area
    from dashboards.data import mevente as dashboard
    from dashboards.filters import Filters
    from reports.definitions.sales import mevente as report
    from reports.parameters import ReportParameters

    gitega = province_id(db_session, PROVINCE)
    service = sell_through(
        db_session, NATIONAL, MONTH, MONTH_END, province_id=gitega, map_version="2015"
    ).rate
    assert service is not None and 0 < service < 1
    assert service == _replayed_rate(db_session, MONTH, MONTH_END, gitega)
    assert (
        service
        == sell_through(
            db_session, ProvinceScope(False, frozenset({gitega})), MONTH, MONTH_END
        ).rate
    )

    province = db_session.get(m.Province, gitega)
    params = ReportParameters(
        period=period_of(MONTH),
        province=Area(province.id, province.code, province.name, province.map_version),
        map_version="2015",
    )
    assert report(db_session, params)["rate"] == service

    filters = Filters(start=MONTH, end=MONTH, map_version="2015")
    by_province = dashboard.by_province(db_session, NATIONAL, filters)
    assert by_province.set_index("province_id").loc[gitega, "rate"] == service
    narrowed = Filters(start=MONTH, end=MONTH, map_version="2015", province_id=gitega)
    assert dashboard.totals(db_session, NATIONAL, narrowed).loc[0, "rate"] == service
    assert dashboard.offered_vs_sold(db_session, NATIONAL, narrowed).loc[0, "rate"] == service

    # What the coordinator's chart draws is that number, under the same label and its definition.
    from dashboards.charts import CHARTS, chart_output

    with signed_in(seeded, "coord.gitega"):
        figure = chart_output(
            "mevente-provinces", {"du": "2025-03", "au": "2025-03", "carte": "2015"}
        )
    assert dict(zip(figure["data"][0]["y"], figure["data"][0]["x"], strict=True))[
        province.name
    ] == float(service)
    assert CHARTS["mevente-provinces"].title.startswith(LABEL)
    assert "stock en ligne au début" in CHARTS["mevente-provinces"].note


def test_monthly_rates_match_the_replay_for_every_month(seeded, db_session):
    from dashboards.data import mevente as dashboard
    from dashboards.filters import Filters

    gitega = province_id(db_session, PROVINCE)
    filters = Filters(
        start=dt.date(2024, 10, 1), end=dt.date(2025, 6, 1), map_version="2015", province_id=gitega
    )
    monthly = dashboard.offered_vs_sold(db_session, NATIONAL, filters)
    for row in monthly.itertuples(index=False):
        last = period_of(row.month).end
        assert row.rate == _replayed_rate(db_session, row.month, last, gitega), row.month


def test_stored_terms_equal_the_records_for_each_month_and_over_several_months(seeded, db_session):
    """The terms refresh_facts stores per listing × month give the same figures (opening,
    offered, sold, offers, unsold offers) as the service's select over the records, per month
    and over a period of several months, grouped or not, scoped or not."""
    from console.services.mevente.sell_through import sell_through_by, stored_sell_through_by
    from console.services.periods import add_months, month_end

    stored = db_session.scalar(select(func.count()).select_from(m.SellThroughMonthFact))
    assert stored > 0
    gitega = province_id(db_session, PROVINCE)
    coordinator = ProvinceScope(False, frozenset({gitega}))
    first, last = dt.date(2024, 11, 1), dt.date(2025, 4, 1)
    cases = [
        (NATIONAL, ("value_chain",), {}),
        (NATIONAL, ("province_2015",), {"map_version": "2015"}),
        (coordinator, ("province_2025",), {}),
        (NATIONAL, (), {"province_id": gitega, "map_version": "2015"}),
    ]
    for scope, group_by, narrowing in cases:
        per_month = stored_sell_through_by(
            db_session, scope, first, last, group_by=group_by, per_month=True, **narrowing
        )
        month = first
        while month <= last:
            direct = sell_through_by(
                db_session, scope, month, month_end(month), group_by=group_by, **narrowing
            )
            assert direct, (month, group_by)
            assert {k[1:]: v for k, v in per_month.items() if k[0] == month} == direct
            month = add_months(month, 1)
        period = stored_sell_through_by(
            db_session, scope, first, last, group_by=group_by, **narrowing
        )
        direct = sell_through_by(
            db_session, scope, first, month_end(last), group_by=group_by, **narrowing
        )
        assert period == direct, group_by
        assert {k: v.rate for k, v in period.items()} == {k: v.rate for k, v in direct.items()}
        # The period is not the sum of its months: the stock is the first month's only.
        assert sum(f.opening_milli for f in period.values()) < sum(
            f.opening_milli for f in per_month.values()
        )


def test_the_dashboard_reads_the_same_rates_from_the_aggregate_as_from_the_records(
    seeded, db_session
):
    from dashboards.data import mevente as dashboard
    from dashboards.data.sources import AGGREGATES, records
    from dashboards.filters import Filters

    filters = Filters(start=dt.date(2024, 10, 1), end=dt.date(2025, 6, 1), map_version="2015")
    for function in (
        dashboard.offered_vs_sold,
        dashboard.by_value_chain,
        dashboard.by_province,
        dashboard.falling_chains,
        dashboard.totals,
    ):
        stored = function(db_session, NATIONAL, filters, AGGREGATES)
        live = function(db_session, NATIONAL, filters, records())
        assert len(stored) > 0, function.__name__
        assert stored.equals(live), function.__name__
