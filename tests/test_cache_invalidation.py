"""Writes invalidate the dashboards' cache: a theft recorded through the console's form
shows on the very next callback (not after the 15 minutes' expiry), with the in-process
cache and with Redis; a write elsewhere leaves other domains' frames cached."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from console import models as m
from console.services.periods import today_local

from . import dashboards_support as support
from .conftest import login
from .dash_requests import chart_part
from .test_console_queries import counted_queries

seeded, db_session = support.seeded, support.db_session

PERIOD = {"du": "2024-07", "au": "2025-06"}


@pytest.fixture(params=["in-process", "redis"])
def dashboards_cache(request, seeded):
    """The seeded app's dashboards cache: its own SimpleCache, or a Redis database."""
    from dashboards.cache import cache

    working = seeded.extensions["cache"][cache]
    if request.param == "redis":
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": "redis://127.0.0.1:6379/0"}
    else:
        config = {"CACHE_TYPE": "SimpleCache"}
    # A prefix of its own: nothing cached by another test or process is read.
    cache.init_app(
        seeded, config={**config, "CACHE_KEY_PREFIX": f"isoko:test:{uuid.uuid4().hex[:8]}:"}
    )
    if request.param == "redis":
        import redis

        try:
            redis.Redis.from_url(config["CACHE_REDIS_URL"]).ping()
        except redis.exceptions.RedisError:
            seeded.extensions["cache"][cache] = working
            pytest.skip("Redis ne répond pas sur 127.0.0.1:6379")
    yield request.param
    with seeded.app_context():
        cache.clear()
    seeded.extensions["cache"][cache] = working


def _lost_or_stolen(client) -> int:
    from dashboards.charts import CHARTS

    body = support.update_payload(CHARTS["pilote-tablettes"], PERIOD)
    response = client.post("/dashboards/_dash-update-component", json=body)
    assert response.status_code == 200
    figure = chart_part(response.get_json(), "graphique", "pilote-tablettes")["figure"]
    (lost,) = [t for t in figure["data"] if t["name"] == "Perdues ou volées"]
    return sum(int(v) for v in lost["y"])


def _deployed_tablet(session) -> m.Device:
    return session.scalars(
        select(m.Device)
        .where(m.Device.kind == m.DeviceKind.TABLET, m.Device.status == m.DeviceStatus.ASSIGNED)
        .order_by(m.Device.id)
    ).first()


def test_a_theft_recorded_in_the_console_shows_on_the_next_callback(
    seeded, db_session, dashboards_cache
):
    client = seeded.test_client()
    login(client, "admin.dash")
    before = _lost_or_stolen(client)
    with counted_queries() as statements:  # the second call is served by the cache
        assert _lost_or_stolen(client) == before
    assert not [s for s in statements if "FROM device" in s]
    device = _deployed_tablet(db_session)
    db_session.rollback()
    response = client.post(
        "/deviceincidentview/add",
        data={
            "device": str(device.id),
            "kind": "stolen",
            "occurred_on": f"{today_local():%d/%m/%Y}",
            "reported_by": "Agent de test",
            "description": "Volée au marché",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert db_session.get(m.Device, device.id).status == m.DeviceStatus.STOLEN
    assert _lost_or_stolen(client) == before + 1


def test_a_write_leaves_other_domains_cached(seeded, db_session, dashboards_cache):
    """A bump of a domain the chart does not read keeps its frame; of one it reads, not."""
    from dashboards.cache import bump

    client = seeded.test_client()
    login(client, "admin.dash")
    _lost_or_stolen(client)
    with seeded.app_context():
        bump(["mevente"])  # a domain the tablets' chart does not read
    with counted_queries() as statements:
        _lost_or_stolen(client)
    assert not [s for s in statements if "FROM device" in s]
    with seeded.app_context():
        bump(["equipements"])
    with counted_queries() as statements:
        _lost_or_stolen(client)
    assert [s for s in statements if "FROM device" in s]


def test_a_rolled_back_write_bumps_nothing(seeded, db_session):
    from dashboards.cache import _DIRTY

    device = _deployed_tablet(db_session)
    device.model = "brouillon"
    db_session.flush()
    assert db_session.info[_DIRTY] == {"equipements"}
    db_session.rollback()
    assert _DIRTY not in db_session.info


def test_bulk_statements_on_a_model_or_its_table_are_noted(seeded, db_session):
    """Importers write with bulk statements, some on the bare table: their domain is noted."""
    from sqlalchemy import update

    from dashboards.cache import _DIRTY

    table = m.Device.__table__
    db_session.execute(update(table).where(table.c.id == -1).values(model="x"))
    assert db_session.info[_DIRTY] == {"equipements"}
    db_session.execute(
        update(m.Enrollment).where(m.Enrollment.id == -1).values(selection_reason="x")
    )
    assert db_session.info[_DIRTY] == {"equipements", "programme"}
    db_session.rollback()
    assert _DIRTY not in db_session.info
