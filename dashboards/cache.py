"""Cache of the dashboards' data frames (flask-caching), never mixing two scopes.

Keys hold the data function, the user's ProvinceScope.cache_key, the filters and the
id of the last aggregate refresh: refresh_facts writes a new id, so every cached frame
is stale at once, in every process, with no explicit invalidation. Redis serves the
cache when ISOKO_REDIS_URL is set (shared by gunicorn workers); otherwise a per-process
SimpleCache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

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
    """``load()``'s result, cached under the scope, the view key and the data version."""
    full_key = f"{name}|{scope.cache_key}|v{data_version(session)}|{key}"
    try:
        value = cache.get(full_key)
    except RedisError as error:  # Redis down: answer from the database, uncached
        log.warning("cache des tableaux de bord indisponible : %s", error)
        return load()
    if value is None:
        value = load()
        try:
            cache.set(full_key, value)
        except RedisError as error:
            log.warning("cache des tableaux de bord indisponible : %s", error)
    return value
