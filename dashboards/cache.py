"""Cache of the dashboards' data frames (flask-caching), never mixing two scopes.

Keys hold the data function, the user's ProvinceScope.cache_key, the filters and the
id of the last aggregate refresh: refresh_facts writes a new id, so every cached frame
is stale at once, in every process, with no explicit invalidation. Redis serves the
cache when ISOKO_REDIS_URL is set (shared by gunicorn workers), with a per-process
SimpleCache while Redis is down; otherwise a per-process SimpleCache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from cachelib import SimpleCache
from flask import Flask, has_request_context, request
from flask_caching import Cache
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope

T = TypeVar("T")

log = logging.getLogger(__name__)
cache = Cache()
TIMEOUT_S = 15 * 60
# This process's own cache while Redis does not answer (pickled copies, like Redis's).
fallback = SimpleCache(threshold=500, default_timeout=TIMEOUT_S)


def init_cache(app: Flask) -> None:
    """Bind the cache to ``app``: Redis when configured, else in-process (or off)."""
    redis_url = app.config.get("REDIS_URL")
    if app.config.get("DASHBOARD_CACHE", True) is False:
        config = {"CACHE_TYPE": "NullCache"}
    elif redis_url:
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url}
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}
    config.update(CACHE_DEFAULT_TIMEOUT=TIMEOUT_S, CACHE_KEY_PREFIX="isoko:dash:")
    cache.init_app(app, config=config)


def data_version(session: Session) -> int:
    """The id of the last aggregate refresh (0 before the first); read once per request."""
    memo = request.environ if has_request_context() else {}
    if "isoko.data_version" not in memo:
        memo["isoko.data_version"] = session.scalar(select(func.max(m.FactRefresh.id))) or 0
    return memo["isoko.data_version"]


def cached(name: str, scope: ProvinceScope, key: str, session: Session, load: Callable[[], T]) -> T:
    """``load()``'s result, cached under the scope, the view key and the data version.

    While Redis is down, each process keeps what it computes in its own memory (the
    same keys, so never stale): the dashboards slow down for a first visit, not for all.
    """
    full_key = f"{name}|{scope.cache_key}|v{data_version(session)}|{key}"
    store = cache
    try:
        value = cache.get(full_key)
    except RedisError as error:
        log.warning("cache des tableaux de bord indisponible : %s", error)
        store = fallback
        value = fallback.get(full_key)
    if value is None:
        value = load()
        try:
            store.set(full_key, value)
        except RedisError as error:
            log.warning("cache des tableaux de bord indisponible : %s", error)
            fallback.set(full_key, value)
    return value
