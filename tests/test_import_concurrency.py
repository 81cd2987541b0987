"""Two imports of the same file at the same time on PostgreSQL create no duplicates."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from console.models.imports import ImportOutcome

from .conftest import build_app, close_app, create_user, make_database_url, require_postgres
from .import_support import COOPERATIVES_CSV, ORDERS_CSV, PRODUCTS_CSV, run_as


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["cooperatives", "orders"])
def test_concurrent_imports_of_the_same_file_create_no_duplicates(kind, tmp_path_factory):
    require_postgres()
    url = make_database_url("postgresql", tmp_path_factory)
    app = build_app(url)
    try:
        create_user(app, "ministere", "Ministère")
        preload = {
            "cooperatives": [],
            "orders": [("cooperatives", COOPERATIVES_CSV), ("products", PRODUCTS_CSV)],
        }
        for other, content in preload[kind]:
            assert (
                run_as(app, other, content, username="ministere").outcome == ImportOutcome.APPLIED
            )
        content = {"cooperatives": COOPERATIVES_CSV, "orders": ORDERS_CSV}[kind]
        results, barrier = [], threading.Barrier(2)

        def worker():
            barrier.wait()
            results.append(run_as(app, kind, content, username="ministere"))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.outcome for r in results) == [ImportOutcome.APPLIED, ImportOutcome.APPLIED]
        # The advisory lock serialises them: one creates everything, the other finds it unchanged.
        rows = content.count("\n") - 1
        assert sorted((r.created, r.unchanged) for r in results) == [(0, rows), (rows, 0)]
        from console.extensions import db

        with app.app_context():
            table = {"cooperatives": "cooperative", "orders": "order_line"}[kind]
            assert db.session.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == rows
    finally:
        close_app(app, url)
