"""Scratch databases for the tests and the benchmarks: create, copy, drop.

No pytest here: bench/ uses it too. PostgreSQL databases get a unique name under a
prefix; a copy of a prepared database is ``CREATE DATABASE … TEMPLATE`` on PostgreSQL
and SQLite's online backup on a file, both far cheaper than migrating again.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path

import sqlalchemy as sa


def database_name(url: str) -> str:
    """The database name at the end of a PostgreSQL URL."""
    return url.rsplit("/", 1)[1]


def create_database(tag: str, admin_url: str, prefix: str, template: str | None = None) -> str:
    """Create a uniquely named database (empty, or a copy of the database ``template``
    names, which nobody may be connected to); return its SQLAlchemy URL."""
    name = f"{prefix}_{tag}_{uuid.uuid4().hex[:8]}"
    statement = f'CREATE DATABASE "{name}"'
    if template is not None:
        statement += f' TEMPLATE "{template}"'
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()
    return re.sub(r"/[^/]*$", f"/{name}", admin_url)


def drop_database(url: str, admin_url: str) -> None:
    """Drop a scratch database, closing whatever still holds it."""
    name = database_name(url)
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///path`` URL."""
    return Path(url.removeprefix("sqlite:///"))


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database file through the backup API (consistent even in WAL mode)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
