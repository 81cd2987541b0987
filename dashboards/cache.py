"""Cache of the dashboards' data frames (flask-caching), never mixing two scopes.

Keys hold the data function, the user's ProvinceScope.cache_key, the filters, the id of
the last aggregate refresh (refresh_facts writes a new id, so every cached frame is stale
at once, in every process) and the **generation of each data domain** the function reads.
A domain is a group of models (DOMAIN_OF_MODULE: orders and listings, cooperatives and
provinces, devices, the pilot programme…); any commit that wrote one of its rows — a
console form, an import, an API call, a command — gives it a new generation right after
the commit (SQLAlchemy session events), so a theft recorded in the console shows on the
next callback, not after the 15 minutes' expiry. Generations are random tokens stored in
the cache itself: in Redis they are shared by every worker; in the in-process cache they
hold for that process; a generation evicted or lost reads as a new one (a miss, never a
stale hit). Redis serves the cache when ISOKO_REDIS_URL is set (shared by gunicorn
workers), with a per-process SimpleCache while Redis is down; otherwise a per-process
SimpleCache.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from functools import cache as cache_fn
from typing import TypeVar

from cachelib import SimpleCache
from flask import Flask, has_app_context, has_request_context, request
from flask_caching import Cache
from redis.exceptions import RedisError
from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from console import models as m
from console.security.scoping import ProvinceScope

T = TypeVar("T")

log = logging.getLogger(__name__)
cache = Cache()
TIMEOUT_S = 15 * 60
# This process's own cache while Redis does not answer (pickled copies, like Redis's).
fallback = SimpleCache(threshold=500, default_timeout=TIMEOUT_S)


# Data domains: the models of a console.models module feed the same dashboards' figures.
# Models of other modules (audit trail, API log, imports' journal, reports…) feed none.
DOMAIN_OF_MODULE = {
    "console.models.marketplace": "ventes",
    "console.models.facts": "ventes",
    "console.models.tax": "fiscalite",
    "console.models.tax_settings": "fiscalite",
    "console.models.cooperatives": "referentiel",
    "console.models.geography": "referentiel",
    "console.models.labels": "referentiel",
    "console.models.inventory": "equipements",
    "console.models.pilot": "programme",
    "console.models.mevente": "mevente",
}
DOMAINS = tuple(sorted(set(DOMAIN_OF_MODULE.values())))
_DIRTY = "isoko.dirty_domains"
_GENERATIONS = "isoko.generations"


def domain_of(model: type) -> str | None:
    """The data domain a mapped class belongs to (None: it feeds no dashboard)."""
    return DOMAIN_OF_MODULE.get(model.__module__)


def _generation_key(domain: str) -> str:
    return f"gen|{domain}"


def _stores():
    """Where generations live: the app's cache, and this process's fallback when it fails."""
    return (cache, fallback)


def generations(domains: Iterable[str]) -> str:
    """The current generation of each domain, as a key part (read once per request)."""
    memo = request.environ if has_request_context() else {}
    known = memo.setdefault(_GENERATIONS, {})
    wanted = sorted(set(domains))
    missing = [d for d in wanted if d not in known]
    if missing:
        known.update(_read_generations(missing))
    return ".".join(f"{d}:{known[d]}" for d in wanted)


def _read_generations(domains: list[str]) -> dict[str, str]:
    keys = [_generation_key(d) for d in domains]
    for store in _stores():
        try:
            values = store.get_many(*keys)
            found = {}
            for domain, key, value in zip(domains, keys, values, strict=True):
                if value is None:  # never bumped, or evicted: a new token, kept if first
                    store.add(key, uuid.uuid4().hex[:12], timeout=0)
                    value = store.get(key)
                found[domain] = value or uuid.uuid4().hex[:12]
            return found
        except RedisError as error:
            log.warning("cache des tableaux de bord indisponible : %s", error)
    return {d: uuid.uuid4().hex[:12] for d in domains}  # pragma: no cover - both stores failed


def bump(domains: Iterable[str]) -> None:
    """Give each domain a new generation: every frame cached from it is stale at once."""
    if not has_app_context():
        return
    tokens = {_generation_key(domain): uuid.uuid4().hex[:12] for domain in set(domains)}
    if tokens:
        for store in _stores():
            try:
                store.set_many(tokens, timeout=0)
            except RedisError as error:
                log.warning("cache des tableaux de bord indisponible : %s", error)
            except (KeyError, RuntimeError):  # this app has no dashboards' cache
                pass
    if has_request_context():
        request.environ.pop(_GENERATIONS, None)


def _note(session: Session, models: Iterable[type]) -> None:
    found = {domain_of(model) for model in models} - {None}
    if found:
        session.info.setdefault(_DIRTY, set()).update(found)


def _after_flush(session: Session, _context) -> None:
    """Note the domains whose rows this flush wrote (objects added, changed or deleted)."""
    _note(session, {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)})


@cache_fn
def _models_by_table() -> dict[str, type]:
    """Each mapped table's class, to place a Core statement on a table in its domain."""
    from console.extensions import Model

    return {mapper.local_table.name: mapper.class_ for mapper in Model.registry.mappers}


def _on_execute(state: ORMExecuteState) -> None:
    """Note the domain of a bulk insert, update or delete run through the session, on a
    model or on its table (importers' staging SQL, refreshes)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.bind_mapper is not None:
        _note(state.session, [state.bind_mapper.class_])
        return
    table = getattr(state.statement, "table", None)
    model = _models_by_table().get(getattr(table, "name", None))
    if model is not None:
        _note(state.session, [model])


def _after_commit(session: Session) -> None:
    """Bump the domains the committed transaction wrote."""
    dirty = session.info.pop(_DIRTY, None)
    if dirty:
        bump(dirty)


def _after_rollback(session: Session, previous_transaction) -> None:
    """Forget what the transaction wrote when the whole of it is rolled back (a savepoint's
    rollback keeps the outer transaction's writes noted: at worst a needless refresh)."""
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_DIRTY, None)


def install_listeners() -> None:
    """Listen to every session's writes (idempotent): the console's, imports', the API's."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_execute),
        ("after_commit", _after_commit),
        ("after_soft_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


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
    install_listeners()


def data_version(session: Session) -> int:
    """The id of the last aggregate refresh (0 before the first); read once per request."""
    memo = request.environ if has_request_context() else {}
    if "isoko.data_version" not in memo:
        memo["isoko.data_version"] = session.scalar(select(func.max(m.FactRefresh.id))) or 0
    return memo["isoko.data_version"]


def cached(
    name: str,
    scope: ProvinceScope,
    key: str,
    session: Session,
    load: Callable[[], T],
    domains: Iterable[str] = DOMAINS,
) -> T:
    """``load()``'s result, cached under the scope, the view key, the data version and the
    generations of the ``domains`` it reads (all of them unless told).

    While Redis is down, each process keeps what it computes in its own memory (the
    same keys, so never stale): the dashboards slow down for a first visit, not for all.
    """
    full_key = f"{name}|{scope.cache_key}|v{data_version(session)}|{generations(domains)}|{key}"
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
