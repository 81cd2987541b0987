"""Searching text as people type it: case and accents do not matter (« gitega » finds « Gitéga »).

One folding, the same in Python, in SQLite (a function registered on each connection by
console.database) and in PostgreSQL (``translate(lower(…))``). On PostgreSQL, GIN trigram
indexes on that expression (pg_trgm, migration 0020) serve ``LIKE '%word%'`` on the main
searched columns; the search works the same without them.
"""

from __future__ import annotations

import sqlalchemy as sa

# Accented letters of French and Kirundi names, and what they fold to (lower case).
ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyyoa"
_TABLE = str.maketrans(ACCENTED, PLAIN)
SQLITE_FUNCTION = "isoko_fold"


# GIN trigram indexes on folded(column), PostgreSQL only (migration 0020). They are not in
# the models (an expression index SQLite cannot build): migrations own them.
FOLDED_INDEX_SUFFIX = "_fold_trgm"


def outside_folded_indexes(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: leave the folded-search indexes to their migration."""
    return not (type_ == "index" and (name or "").endswith(FOLDED_INDEX_SUFFIX))


def fold(text) -> str | None:
    """Lower case without accents: ``Gitéga`` → ``gitega``."""
    return None if text is None else str(text).lower().translate(_TABLE)


def folded(column, dialect_name: str):
    """SQL for ``fold(column)`` on this database."""
    if dialect_name == "sqlite":
        return sa.func.isoko_fold(column)
    # The two letter lists are written into the SQL, not sent as parameters: the trigram
    # indexes on this expression (migration 0020) serve only the very same expression, and
    # a prepared statement's generic plan would not know the parameters' values.
    return sa.func.translate(
        sa.func.lower(column),
        sa.literal(ACCENTED, literal_execute=True),
        sa.literal(PLAIN, literal_execute=True),
    )


def contains_folded(column, text: str, dialect_name: str):
    """``column`` contains ``text``, whatever the case and accents of either."""
    return folded(column, dialect_name).contains(fold(text), autoescape=True)


def register_sqlite_fold(dbapi_connection) -> None:
    """Make ``isoko_fold`` callable in this SQLite connection's SQL."""
    dbapi_connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
