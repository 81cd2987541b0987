"""« Pionnières actives » is one figure: the home page and the pilot dashboard count it with
console.services.pioneers over the window periods.active_window gives, and agree at its edge."""

from __future__ import annotations

import datetime as dt

from console.security.scoping import NATIONAL
from console.services.key_figures import key_figures
from console.services.periods import ACTIVE_DAYS, active_window, local_midnight_utc

from . import dashboards_support as support
from .dashboards_support import signed_in

seeded, db_session = support.seeded, support.db_session

REFERENCE = dt.date(2025, 6, 30)  # the pilot dashboard's reference day for « au 2025-06 »


def _pilot_active(app) -> int:
    from dashboards.charts import chart_data

    with signed_in(app, "ministere.dash"):
        data = chart_data("pilote-indicateurs", {"du": "2025-01", "au": "2025-06"})
    assert data.filters.reference_day == REFERENCE
    return int(data.frame["active_pioneers"].iloc[0])


def _home_active(session) -> int:
    return key_figures(session, NATIONAL, REFERENCE).pioneers_active_30_days


def _sale(session, coop, moment: dt.datetime) -> None:
    item = support.make_product(session, coop, "haricot-sec")
    support.make_order(
        session, support.make_buyer(session), coop, moment, [(item, "1", 1000, 0, None)]
    )


def test_window_is_the_30_days_ending_on_the_reference_day():
    first, last = active_window(REFERENCE)
    assert (last - first).days + 1 == ACTIVE_DAYS and last == REFERENCE


def test_home_page_and_pilot_dashboard_agree_at_the_windows_edge(seeded, db_session):
    from dashboards.cache import cache

    before = _home_active(db_session)
    assert before == _pilot_active(seeded) and before > 0
    first, _ = active_window(REFERENCE)
    inside = support.make_cooperative(db_session, "Pionnière au bord", "BI-GI", pioneer=True)
    outside = support.make_cooperative(db_session, "Pionnière dehors", "BI-GI", pioneer=True)
    # The first minute of the window's first day, and the last minute of the day before it.
    _sale(db_session, inside, local_midnight_utc(first) + dt.timedelta(minutes=1))
    _sale(db_session, outside, local_midnight_utc(first) - dt.timedelta(minutes=1))
    db_session.commit()
    try:
        cache.clear()
        assert _home_active(db_session) == before + 1
        assert _pilot_active(seeded) == before + 1
    finally:
        db_session.rollback()
