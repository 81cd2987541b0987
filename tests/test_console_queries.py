"""What a console request costs the database: bounded queries, and grants read fresh.

A list page must not run one query per row shown (its sellers and buyers load for the
whole page at once), and the roles' permissions, kept by the process between requests,
must still follow a grant revoked in the database by another process.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .conftest import create_user, login
from .console_builders import make_cooperative, make_sale

UTC = dt.UTC


@contextmanager
def counted_queries():
    """The SQL statements run inside the block, by any engine of this process."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(Engine, "before_cursor_execute", record)


def add_orders(app, count: int) -> list[str]:
    """``count`` orders, each from its own cooperative and buyer; their references."""
    from console.extensions import db

    with app.app_context():
        references = []
        for i in range(count):
            cooperative = make_cooperative(db.session, "BI-GI", name=f"Vendeuse {i}")
            line = make_sale(db.session, cooperative, dt.datetime(2024, 3, 1, 8, i, tzinfo=UTC))
            references.append(line.order.reference)
        db.session.commit()
        return references


@pytest.fixture(scope="module")
def ministry(app):
    create_user(app, "ministere.q", "Ministère")
    return "ministere.q"


def test_an_orders_page_runs_as_many_queries_for_25_rows_as_for_2(app, client, ministry):
    login(client, ministry)
    add_orders(app, 2)
    with counted_queries() as few:
        assert client.get("/orderview/list/").status_code == 200
    references = add_orders(app, 30)
    with counted_queries() as many:
        page = client.get("/orderview/list/").get_data(as_text=True)
    shown = [r for r in references if r in page]
    assert len(shown) == 25  # a full page of orders, each with its own seller and buyer
    assert all(f"Vendeuse {references.index(r)}" in page for r in shown)
    assert len(many) == len(few), "\n".join(many)


def test_a_grant_revoked_in_the_database_is_refused_on_the_next_request(app, client, ministry):
    from console.extensions import db

    login(client, ministry)
    assert client.get("/deviceview/list/").status_code == 200
    grant = (
        sa.select(sa.text("pvr.id"))
        .select_from(
            sa.text(
                "ab_permission_view_role pvr JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id "
                "JOIN ab_permission p ON p.id = pv.permission_id JOIN ab_view_menu v ON v.id = pv.view_menu_id "
                "JOIN ab_role r ON r.id = pvr.role_id"
            )
        )
        .where(sa.text("p.name = 'can_list' AND v.name = 'DeviceView' AND r.name = 'Ministère'"))
    )
    with app.app_context():
        # Another connection, as `isoko init-roles` run by the operator would use.
        with db.engine.begin() as conn:
            grant_id = conn.scalar(grant)
            row = (
                conn.execute(
                    sa.text("SELECT * FROM ab_permission_view_role WHERE id = :id"),
                    {"id": grant_id},
                )
                .mappings()
                .one()
            )
            conn.execute(
                sa.text("DELETE FROM ab_permission_view_role WHERE id = :id"), {"id": grant_id}
            )
    try:
        response = client.get("/deviceview/list/")
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or "/login/" in response.headers["Location"]
    finally:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO ab_permission_view_role (id, permission_view_id, role_id) "
                    "VALUES (:id, :permission_view_id, :role_id)"
                ),
                dict(row),
            )
    assert client.get("/deviceview/list/").status_code == 200


@pytest.mark.postgres
def test_text_searches_on_large_tables_have_a_trigram_index_on_postgresql(app):
    """FAB searches with ILIKE; on PostgreSQL only a trigram index serves it."""
    from console.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("index GIN de trigrammes : PostgreSQL seulement")
        with db.engine.connect() as conn:
            for table, column in (
                ("sale_order", "reference"),
                ("payment", "reference"),
                ("buyer", "name"),
            ):
                definition = conn.scalar(
                    sa.text(
                        "SELECT indexdef FROM pg_indexes WHERE tablename = :t AND indexname = :i"
                    ),
                    {"t": table, "i": f"ix_{table}_{column}_trgm"},
                )
                assert (
                    definition is not None and "gin" in definition and "gin_trgm_ops" in definition
                )
            conn.execute(sa.text("SET enable_seqscan = off"))
            plan = "\n".join(
                conn.scalars(
                    sa.text("EXPLAIN SELECT id FROM sale_order WHERE reference ILIKE 'CMD-2024%'")
                )
            )
            assert "ix_sale_order_reference_trgm" in plan


def test_a_user_is_found_by_an_id_given_as_text_and_garbage_finds_no_one(app, ministry):
    """Session cookies and URLs carry the id as text (PostgreSQL refuses integer = text)."""
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=ministry)
        found = sm.get_user_by_id(str(user.id))
        assert found.id == user.id and [r.name for r in found.roles] == ["Ministère"]
        assert sm.get_user_by_id("3 OR 1=1") is None and sm.get_user_by_id(None) is None


def _menu(client) -> str:
    """The navbar of the home page."""
    page = client.get("/").get_data(as_text=True)
    return page[page.index('<header class="top"') : page.index("</header>")]


def test_the_kept_menu_follows_grants_language_and_name(app, client, ministry):
    """The navbar is kept per user between requests, never past a change it shows."""
    from console.extensions import db

    login(client, ministry)
    menu = _menu(client)
    assert 'href="/deviceview/list/"' in menu and "Équipements" in menu
    assert _menu(client) == menu
    grant = sa.text(
        "SELECT pvr.* FROM ab_permission_view_role pvr "
        "JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id "
        "JOIN ab_permission p ON p.id = pv.permission_id JOIN ab_view_menu v ON v.id = pv.view_menu_id "
        "JOIN ab_role r ON r.id = pvr.role_id "
        "WHERE p.name = 'menu_access' AND v.name = 'DeviceView' AND r.name = 'Ministère'"
    )
    with app.app_context(), db.engine.begin() as conn:
        row = conn.execute(grant).mappings().one()
        conn.execute(
            sa.text("DELETE FROM ab_permission_view_role WHERE id = :id"), {"id": row["id"]}
        )
    try:
        assert 'href="/deviceview/list/"' not in _menu(client)
    finally:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO ab_permission_view_role (id, permission_view_id, role_id) "
                    "VALUES (:id, :permission_view_id, :role_id)"
                ),
                dict(row),
            )
    assert _menu(client) == menu
    client.get("/lang/en")
    english = _menu(client)
    assert "Equipment" in english and "Équipements" not in english
    client.get("/lang/fr")
    with app.app_context():
        user = app.appbuilder.sm.find_user(username=ministry)
        first = user.first_name
        user.first_name = "Renommée"
        db.session.commit()
    try:
        assert "Renommée" in _menu(client)
    finally:
        with app.app_context():
            app.appbuilder.sm.find_user(username=ministry).first_name = first
            db.session.commit()
