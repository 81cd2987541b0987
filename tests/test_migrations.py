"""Migrations build exactly the models' schema, on SQLite and on PostgreSQL, and undo it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from .conftest import create_pg_database, drop_pg_database, make_test_config, require_postgres


def _upgrade_compare_downgrade(url: str) -> tuple[list, list[str], list[str]]:
    """Upgrade an empty database to head, diff it against the models, downgrade to base."""
    from flask_migrate import downgrade, upgrade

    from console import create_app
    from console.extensions import db, metadata
    from console.text_match import outside_folded_indexes

    app = create_app(make_test_config(url))
    with app.app_context():
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            options = {"compare_type": True, "include_object": outside_folded_indexes}
            diff = compare_metadata(MigrationContext.configure(conn, opts=options), metadata)
            tables_at_head = sa.inspect(conn).get_table_names()
        downgrade(revision="base")
        with db.engine.connect() as conn:
            tables_at_base = sa.inspect(conn).get_table_names()
        db.engine.dispose()
    return diff, tables_at_head, tables_at_base


def _assert_parity(url: str) -> None:
    from console.extensions import metadata

    diff, at_head, at_base = _upgrade_compare_downgrade(url)
    assert diff == [], f"migrations differ from the models: {diff}"
    assert set(metadata.tables) <= set(at_head)
    assert set(at_base) <= {"alembic_version"}


def test_migrations_match_models_on_sqlite(tmp_path):
    _assert_parity(f"sqlite:///{tmp_path / 'parity.db'}")


@pytest.mark.postgres
def test_migrations_match_models_on_postgresql():
    require_postgres()
    url = create_pg_database()
    try:
        _assert_parity(url)
    finally:
        drop_pg_database(url)
