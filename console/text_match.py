"""Searching text as people type it: case and accents do not matter (« gitega » finds « Gitéga »).

One folding, the same in Python, in SQLite (a function registered on each connection by
console.database) and in PostgreSQL (``translate(lower(…))``: no extension to install,
so no superuser needed at deploy time).
"""

from __future__ import annotations

import sqlalchemy as sa

# Accented letters of French and Kirundi names, and what they fold to (lower case).
ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyyoa"
_TABLE = str.maketrans(ACCENTED, PLAIN)
SQLITE_FUNCTION = "isoko_fold"


def fold(text) -> str | None:
    """Lower case without accents: ``Gitéga`` → ``gitega``."""
    return None if text is None else str(text).lower().translate(_TABLE)


def folded(column, dialect_name: str):
    """SQL for ``fold(column)`` on this database."""
    if dialect_name == "sqlite":
        return sa.func.isoko_fold(column)
    return sa.func.translate(sa.func.lower(column), ACCENTED, PLAIN)


def contains_folded(column, text: str, dialect_name: str):
    """``column`` contains ``text``, whatever the case and accents of either."""
    return folded(column, dialect_name).contains(fold(text), autoescape=True)


def register_sqlite_fold(dbapi_connection) -> None:
    """Make ``isoko_fold`` callable in this SQLite connection's SQL."""
    dbapi_connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
