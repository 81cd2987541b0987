"""Statements run on PostgreSQL's driver (console.services.driver_sql) behave as the
session's execution of the same statement: same rows and Python types, in the
parameters' order, in the session's transaction, with the engine's events and
SQLAlchemy's exceptions. Run on PostgreSQL whatever the run's backend (the driver path
exists only there), and on the run's backend for the fallback."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import event, exc, insert, select

from console import models as m
from console.models.audit import AuditEvent
from console.services import driver_sql
from console.services.row_inserts import _insert_returning
from console.services.tax.stamping import load_rules

from . import tax_data
from .conftest import build_app, close_app, make_database_url, require_postgres

ORDERS = m.Order.__table__
_KEYS = iter("DEFGHIJKLMNOP")  # make_seller's one-letter keys, one per seller


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory):
    require_postgres()
    url = make_database_url("postgresql", tmp_path_factory)
    application = build_app(url)
    yield application
    close_app(application, url)


def _seller(app) -> tuple[int, int]:
    """A new seller's id and a buyer's."""
    from console.extensions import db

    with app.app_context():
        seller = tax_data.make_seller(db.session, next(_KEYS), "BI-GI", vat=True)
        buyer = m.Buyer(kind=m.BuyerKind.CONSUMER, name="Client de passage")
        db.session.add(buyer)
        db.session.commit()
        return seller.id, buyer.id


def _orders(parties: tuple[int, int]) -> list[dict]:
    placed = dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.UTC)
    return [
        {
            "reference": f"DRV-{uuid.uuid4().hex[:10]}",
            "seller_id": parties[0],
            "buyer_id": parties[1],
            "placed_at": placed + dt.timedelta(hours=i),
            "status": status,
            "is_export": i == 1,
            "payment_method": m.PaymentMethod.OTHER,
            "prices_include_tax": True,
        }
        for i, status in enumerate((m.OrderStatus.DELIVERED, m.OrderStatus.PLACED))
    ]


def _as_read(session, order_ids: list[int]) -> list[tuple]:
    rows = session.execute(select(*ORDERS.c).where(ORDERS.c.id.in_(order_ids))).all()
    by_id = {row.id: tuple(row) for row in rows}
    return [by_id[i] for i in order_ids]


@pytest.mark.parametrize("where", ["pg_app", "app"])
def test_rows_returned_are_the_rows_stored_with_their_python_types_in_order(request, where):
    from console.extensions import db

    app = request.getfixturevalue(where)
    params = _orders(_seller(app))
    with app.app_context():
        returned = driver_sql.returning(db.session, _insert_returning(ORDERS), params)
        db.session.commit()
        assert [row[1] for row in returned] == [p["reference"] for p in params]
        assert returned == _as_read(db.session, [row[0] for row in returned])
        statuses = [row[ORDERS.c.keys().index("status")] for row in returned]
        assert statuses == [m.OrderStatus.DELIVERED, m.OrderStatus.PLACED]
        placed = returned[0][ORDERS.c.keys().index("placed_at")]
        assert placed == params[0]["placed_at"] and placed.tzinfo is not None


def test_it_runs_in_the_session_transaction_with_the_engine_events(pg_app):
    from console.extensions import db

    params = _orders(_seller(pg_app))
    seen: list[str] = []
    with pg_app.app_context():
        listener = lambda *args: seen.append(args[2])  # noqa: E731 - (conn, cursor, statement…)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            driver_sql.returning(db.session, _insert_returning(ORDERS), params)
            driver_sql.execute(
                db.session,
                insert(AuditEvent.__table__),
                [
                    {
                        "at": dt.datetime.now(dt.UTC),
                        "user_id": None,
                        "username": "test",
                        "source": "cli",
                        "table_name": "sale_order",
                        "row_id": 0,
                        "action": "insert",
                        "changes": {"note": "é", "n": i},
                    }
                    for i in range(2)
                ],
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert [s.split()[0:3] for s in seen] == [
            ["INSERT", "INTO", "sale_order"],
            ["INSERT", "INTO", "audit_event"],
        ]
        stored = db.session.scalars(
            select(AuditEvent.changes).where(AuditEvent.username == "test")
        ).all()
        assert sorted(c["n"] for c in stored) == [0, 1] and stored[0]["note"] == "é"
        db.session.rollback()
        references = [p["reference"] for p in params]
        assert not db.session.scalars(
            select(ORDERS.c.id).where(ORDERS.c.reference.in_(references))
        ).all()
        assert not db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.username == "test")
        ).all()


def test_a_constraint_refusal_is_sqlalchemys_integrity_error(pg_app):
    from console.extensions import db

    params = _orders(_seller(pg_app))[:1]
    with pg_app.app_context():
        driver_sql.returning(db.session, _insert_returning(ORDERS), params)
        with pytest.raises(exc.IntegrityError):
            driver_sql.returning(db.session, _insert_returning(ORDERS), params)
        db.session.rollback()
        assert not db.session.scalars(
            select(ORDERS.c.id).where(ORDERS.c.reference == params[0]["reference"])
        ).all()


def test_an_update_with_python_onupdate_values_is_refused_and_writes_nothing(pg_app):
    """The driver path does not compute ``onupdate`` values: such an update is refused
    before anything is sent (the session's execution computes them)."""
    from sqlalchemy import bindparam, update

    from console.extensions import db
    from console.models.mevente import MeventeThreshold

    table = MeventeThreshold.__table__
    with pg_app.app_context():
        row = MeventeThreshold(note="avant")
        db.session.add(row)
        db.session.commit()
        with pytest.raises(ValueError, match="onupdate"):
            driver_sql.execute(
                db.session,
                update(table).where(table.c.id == bindparam("row_id")).values(note="après"),
                {"row_id": row.id},
            )
        db.session.rollback()
        assert db.session.scalar(select(table.c.note).where(table.c.id == row.id)) == "avant"


def test_a_read_sees_the_sessions_own_pending_changes_as_session_execute_does(pg_app):
    from console.extensions import db

    with pg_app.app_context():
        before = len(load_rules(db.session))
        rule = db.session.scalars(select(m.TaxRule)).first()
        db.session.add(
            m.TaxRule(
                code="TEST-DRV",
                name="Règle d'essai",
                kind=rule.kind,
                base=rule.base,
                rate=rule.rate,
                valid_from=dt.date(2026, 1, 1),
                legal_reference="essai",
            )
        )
        assert len(load_rules(db.session)) == before + 1
        db.session.rollback()
        assert len(load_rules(db.session)) == before


def test_several_rows_go_as_one_statement_per_page_and_come_back_in_their_order(
    pg_app, monkeypatch
):
    """Several rows are one INSERT with a VALUES row each (not psycopg's executemany), by
    pages: seven rows with pages of three are three statements, and the rows returned are
    in the parameters' order, as stored."""
    from console.extensions import db

    parties = _seller(pg_app)
    params = [
        dict(order, reference=f"{order['reference']}-{i}")
        for i in range(4)
        for order in _orders(parties)
    ][:7]
    monkeypatch.setattr(driver_sql, "PAGE_ROWS", 3)
    sent: list[tuple[str, bool]] = []
    with pg_app.app_context():
        listener = lambda conn, cursor, sql, p, ctx, many: sent.append((sql, many))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            returned = driver_sql.returning(db.session, _insert_returning(ORDERS), params)
            driver_sql.execute(
                db.session,
                insert(AuditEvent.__table__),
                [
                    {
                        "at": dt.datetime.now(dt.UTC),
                        "user_id": None,
                        "username": "test-pages",
                        "source": "cli",
                        "table_name": "sale_order",
                        "row_id": row[0],
                        "action": "insert",
                        "changes": {"n": i},
                    }
                    for i, row in enumerate(returned)
                ],
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert [many for _, many in sent] == [False] * 6
        assert [sql.count("VALUES") and sql.split()[2] for sql, _ in sent] == ["sale_order"] * 3 + [
            "audit_event"
        ] * 3
        assert [row[1] for row in returned] == [p["reference"] for p in params]
        assert returned == _as_read(db.session, [row[0] for row in returned])
        events = db.session.execute(
            select(AuditEvent.row_id, AuditEvent.changes).where(AuditEvent.username == "test-pages")
        ).all()
        assert sorted((e.changes["n"], e.row_id) for e in events) == [
            (i, row[0]) for i, row in enumerate(returned)
        ]
        db.session.rollback()


@pytest.mark.parametrize("where", ["pg_app", "app"])
def test_a_row_read_as_a_detached_entity_holds_its_columns_and_never_loads_more(request, where):
    """console.services.row_reads: the seller read as a plain row has every column the
    session reads, belongs to no session, and reading a relationship it was not given
    raises instead of querying (or answering an empty list)."""
    from sqlalchemy import inspect
    from sqlalchemy.orm.exc import DetachedInstanceError

    from console.extensions import db
    from console.services import row_reads

    app = request.getfixturevalue(where)
    seller_id, _ = _seller(app)
    with app.app_context():
        dialect = db.session.get_bind().dialect.name
        table = m.Cooperative.__table__
        statement = select(*row_reads.columns(m.Cooperative)).where(
            row_reads.id_among(table.c.id, dialect)
        )
        [row] = driver_sql.returning(db.session, statement, [{"ids": [seller_id, 2**31 - 1]}])
        seller = row_reads.detached(m.Cooperative, row)
        stored = db.session.get(m.Cooperative, seller_id)
        mapper = inspect(m.Cooperative)
        keys = [mapper.get_property_by_column(column).key for column in table.c]
        assert [getattr(seller, key) for key in keys] == [getattr(stored, key) for key in keys]
        assert inspect(seller).detached and seller not in db.session
        with pytest.raises(DetachedInstanceError):
            _ = seller.value_chains


def test_an_upsert_of_several_rows_goes_row_by_row_and_writes_each(pg_app):
    """An upsert has no repeatable VALUES row (one ON CONFLICT clause for all rows): its
    rows go by executemany of the plain statement, each written."""
    from console.extensions import db
    from console.services.facts_pending import _mark_days

    days = [dt.date(2031, 1, 1), dt.date(2031, 1, 2)]
    at = dt.datetime(2031, 1, 3, tzinfo=dt.UTC)
    sent: list[tuple[str, bool]] = []
    table = m.FactPendingDay.__table__
    with pg_app.app_context():
        listener = lambda conn, cursor, sql, p, ctx, many: sent.append((sql, many))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            driver_sql.execute(
                db.session, _mark_days("postgresql"), [{"day": d, "requested_at": at} for d in days]
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert [many for _, many in sent] == [True] and "imp_sen" not in sent[0][0]
        stored = db.session.scalars(select(table.c.day).where(table.c.day.in_(days))).all()
        assert sorted(stored) == days
        db.session.rollback()
