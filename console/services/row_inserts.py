"""New rows written as a flush would, without the unit of work: the API's hot path.

:func:`insert_new` takes new (transient) objects of one mapped class, never added to the
session, and writes them with one INSERT … RETURNING: their many-to-one references are
copied into the foreign keys as a flush would, the columns they leave unset take their
defaults, and every column the database returns is set back on the objects (their ids
first), so the caller goes on with them as after a flush. On PostgreSQL the statement
goes straight to the driver (console.services.driver_sql). Their audit events are written
by the one audit trail (console.services.audit.record_inserts). The objects stay out of
the session: a later flush never writes them again.

Why: an order through the API is an order row, its lines, its eBMS message and their
audit events; the ORM's unit of work spent more CPU sorting and bookkeeping them than
everything else of the request (bench.ingest_profile).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import MANYTOONE

from console.services import driver_sql
from console.services.audit import record_inserts


def _values(obj) -> dict:
    """The object's column values by column key, its many-to-one references as ids."""
    state = inspect(obj)
    mapper = state.mapper
    loaded = state.dict
    primary = set(mapper.primary_key)
    values = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if attr.key in loaded and not (column in primary and loaded[attr.key] is None):
            values[column.key] = loaded[attr.key]
    for relation in mapper.relationships:
        if relation.direction is not MANYTOONE or relation.key not in loaded:
            continue
        target = loaded[relation.key]
        for local, remote in relation.local_remote_pairs:
            if target is None:
                values[local.key] = None
                continue
            remote_key = inspect(target).mapper.get_property_by_column(remote).key
            remote_value = getattr(target, remote_key)
            if remote_value is None:
                raise ValueError(f"{relation} : l'objet référencé n'est pas encore écrit.")
            values[local.key] = remote_value
    return values


def insert_new(session: Session, objects: Sequence) -> None:
    """Write these new objects of one class (one statement), set their stored values, audit them."""
    if not objects:
        return
    mapper = inspect(objects[0]).mapper
    if any(inspect(obj).mapper is not mapper or not inspect(obj).transient for obj in objects):
        raise ValueError("insert_new écrit des objets nouveaux d'une seule classe, hors session.")
    table = mapper.local_table
    rows = [_values(obj) for obj in objects]
    # One key set for every row (a multi-row insert): a key some rows leave unset is given
    # the column's default, as a flush gives it.
    for key in set().union(*rows):
        for row in rows:
            if key not in row:
                row[key] = driver_sql.python_default(table.c[key])
    stored = driver_sql.returning(session, _insert_returning(table), rows)
    attributes = [mapper.get_property_by_column(column).key for column in table.c]
    for obj, row in zip(objects, stored, strict=True):
        for attribute, value in zip(attributes, row, strict=True):
            set_committed_value(obj, attribute, value)
    record_inserts(session, objects)


@functools.cache
def _insert_returning(table):
    """INSERT INTO table … RETURNING every column, in the parameters' order (built once)."""
    return table.insert().returning(*table.c, sort_by_parameter_order=True)
