"""Rows read as detached entities, without the ORM's loading: the API's hot path.

An order through the integration API reads its seller, its products and its listings only
to check them and to stamp its lines; the ORM's loading (identity map, loader options,
instance events) cost more than the statements themselves (bench.ingest_profile). Here a
plain select of a mapped class's table columns (:func:`columns`, run on PostgreSQL's
driver: console.services.driver_sql) gives rows that :func:`detached` turns into instances
of the class belonging to no session: their columns are loaded, and reading anything else
(a relationship not given) raises ``DetachedInstanceError`` instead of querying or
answering None. They can be referenced by new objects (an order's seller, a line's
product) like any row read by the session.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from sqlalchemy import Integer, any_, bindparam, inspect
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.base import instance_state


def columns(cls) -> tuple:
    """The columns of a mapped class's table, in the order :func:`detached` reads them."""
    return tuple(inspect(cls).local_table.c)


@functools.cache
def _keys(cls) -> tuple[str, ...]:
    mapper = inspect(cls)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.local_table.c)


def detached(cls, row: Sequence, related: Mapping | None = None):
    """An instance of ``cls`` holding ``row`` (its table's columns, in order) and the
    ``related`` objects given by relationship name, detached from any session."""
    obj = cls.__mapper__.class_manager.new_instance()
    loaded = instance_state(obj).dict
    loaded.update(zip(_keys(cls), row, strict=True))
    if related:
        loaded.update(related)
    make_transient_to_detached(obj)
    return obj


def id_among(column, dialect: str, name: str = "ids"):
    """``column`` among the ids of the list parameter ``name``: ``= ANY (array)`` on
    PostgreSQL (one statement text for any number of ids, as driver_sql needs), an
    expanding ``IN`` elsewhere."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))
