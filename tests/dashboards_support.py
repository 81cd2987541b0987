"""Helpers for the dashboards' tests: a seeded app, signing in inside a request, the
raw sums the dashboards must equal, and a small hand-built marketplace."""

from __future__ import annotations

import datetime as dt
import itertools
from contextlib import contextmanager
from decimal import Decimal

import pytest
from flask import g
from flask_login import login_user
from sqlalchemy import func, select

from console import models as m
from console.services.periods import local_midnight_utc

from .conftest import Template, build_app, close_app, create_user, make_database_url
from .dash_requests import charts_body, listed

UNTIL = dt.date(2025, 6, 30)
ROLE_USERS = {
    "Admin": ("admin.dash", None),
    "Ministère": ("ministere.dash", None),
    "PNUD": ("pnud.dash", None),
    "Coordinateur provincial": ("coord.gitega", ["BI-GI"]),
    "Auditeur fiscal": ("obr.dash", None),
}


def _seed_dashboards(app) -> None:
    """Demo data, aggregates refreshed, one user per role (the dashboards' template)."""
    from console.demo.seed import seed_demo
    from console.extensions import db
    from console.services.facts import refresh_facts

    with app.app_context():
        seed_demo(db, order_lines=3000, seed=5, until=UNTIL)
        refresh_facts(db.session)
        db.session.commit()
    for role, (username, provinces) in ROLE_USERS.items():
        create_user(app, username, role, provinces)


SEEDED = Template("dashboards-3000", _seed_dashboards)


def seeded_app(backend, tmp_path_factory, overrides: dict | None = None):
    """An app on its own copy of a database with demo data, aggregates refreshed and one
    user per role (seeded once per session)."""
    url = make_database_url(backend, tmp_path_factory, SEEDED)
    return build_app(url, overrides), url


@pytest.fixture(scope="module")
def seeded(backend, tmp_path_factory):
    app, url = seeded_app(backend, tmp_path_factory)
    yield app
    close_app(app, url)


@pytest.fixture
def db_session(seeded):
    """The seeded app's session (overrides conftest's, bound to the plain app)."""
    from console.extensions import db

    with seeded.app_context():
        yield db.session
        db.session.rollback()


@contextmanager
def signed_in(app, username: str, path: str = "/dashboards/_dash-update-component"):
    """A request context in which ``username`` is the signed-in user (as FAB sets it)."""
    with app.test_request_context(path):
        user = app.appbuilder.sm.find_user(username=username)
        login_user(user)
        g.user = user
        yield user


def province_id(session, code: str) -> int:
    return session.scalar(select(m.Province.id).where(m.Province.code == code))


def raw_sales(session, start: dt.date, end: dt.date, *group_by, where=()):
    """Sums of order lines of non-cancelled orders placed in Bujumbura days [start, end]."""
    stmt = (
        select(*group_by, func.sum(m.OrderLine.gross), func.sum(m.OrderLine.tax), func.count())
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .join(m.Cooperative, m.Cooperative.id == m.Order.seller_id)
        .join(m.Product, m.Product.id == m.OrderLine.product_id)
        .join(m.Category, m.Category.id == m.Product.category_id)
        .where(
            m.Order.status != m.OrderStatus.CANCELLED,
            m.Order.placed_at >= local_midnight_utc(start),
            m.Order.placed_at < local_midnight_utc(end + dt.timedelta(days=1)),
            *where,
        )
    )
    if group_by:
        stmt = stmt.group_by(*group_by)
    return session.execute(stmt).all()


# -- a hand-built marketplace -------------------------------------------------------------

_counter = itertools.count(1)


def utc(year, month, day, hour=10, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def make_cooperative(
    session, name: str, province_code: str, *, pioneer: bool = False
) -> m.Cooperative:
    province = session.scalar(select(m.Province).where(m.Province.code == province_code))
    coop = m.Cooperative(
        registration_number=f"DASH-{next(_counter):05d}",
        name=name,
        province_id=province.id,
        province_2025_id=province.successor_id or province.id,
        members_total=12,
        is_pioneer=pioneer,
    )
    session.add(coop)
    session.flush()
    return coop


def make_product(session, coop: m.Cooperative, category_code: str) -> m.Product:
    category = session.scalar(select(m.Category).where(m.Category.code == category_code))
    unit = session.scalar(select(m.Unit).where(m.Unit.code == "kg"))
    item = m.Product(
        cooperative_id=coop.id,
        category_id=category.id,
        unit_id=unit.id,
        sku=f"DASH-SKU-{next(_counter):05d}",
        name=category.name,
    )
    session.add(item)
    session.flush()
    return item


def make_buyer(session, kind: str = "consumer", coop: m.Cooperative | None = None) -> m.Buyer:
    buyer = m.Buyer(
        kind=m.BuyerKind(kind),
        name=f"Acheteur {next(_counter)}",
        cooperative_id=coop.id if coop else None,
    )
    session.add(buyer)
    session.flush()
    return buyer


def make_listing(
    session,
    item: m.Product,
    quantity: str,
    price: int,
    listed_at: dt.datetime,
    closed_at: dt.datetime | None = None,
) -> m.Listing:
    listing = m.Listing(
        product_id=item.id,
        cooperative_id=item.cooperative_id,
        quantity_offered=Decimal(quantity),
        unit_price=price,
        listed_at=listed_at,
        closed_at=closed_at,
    )
    session.add(listing)
    session.flush()
    return listing


def make_order(
    session,
    buyer: m.Buyer,
    seller: m.Cooperative,
    placed_at: dt.datetime,
    lines,
    *,
    status: str = "delivered",
    export: bool = False,
    paid_tax: int | None = None,
) -> m.Order:
    """An order; ``lines`` are (product, quantity, unit price, tax, listing or None)."""
    order = m.Order(
        reference=f"DASH-{next(_counter):06d}",
        buyer_id=buyer.id,
        seller_id=seller.id,
        placed_at=placed_at,
        status=m.OrderStatus(status),
        is_export=export,
    )
    session.add(order)
    session.flush()
    total = 0
    vat = session.scalar(select(m.TaxRule.id).where(m.TaxRule.code == "TVA-18"))
    for number, (item, quantity, price, tax, listing) in enumerate(lines, start=1):
        net = int(Decimal(quantity) * price)
        total += net + tax
        session.add(
            m.OrderLine(
                order_id=order.id,
                line_no=number,
                product_id=item.id,
                listing_id=listing.id if listing else None,
                quantity=Decimal(quantity),
                unit_price=price,
                net=net,
                tax=tax,
                gross=net + tax,
                tax_rule_id=vat if tax else None,
                tax_rate=Decimal("0.18") if tax else Decimal("0"),
            )
        )
    if paid_tax is not None:
        session.add(
            m.Payment(
                order_id=order.id,
                paid_at=placed_at + dt.timedelta(days=1),
                amount=total,
                tax_amount=paid_tax,
                method=m.PaymentMethod.CASH,
            )
        )
    session.flush()
    return order


# -- Dash's HTTP callback protocol ----------------------------------------------------------

FILTER_IDS = ("f-du", "f-au", "f-carte", "f-province", "f-filiere", "f-cooperative")
FILTER_KEYS = ("du", "au", "carte", "province", "filiere", "cooperative")


def charts_payload(charts, values: dict, changed: tuple[str, ...] = ()) -> dict:
    """The JSON Dash's renderer posts to /_dash-update-component for a page showing
    ``charts`` (the charts' one callback fills whichever charts the page holds)."""
    return charts_body(
        [listed(c) for c in charts], values, list(FILTER_KEYS), list(FILTER_IDS), changed
    )


def update_payload(chart, values: dict, changed: tuple[str, ...] = ()) -> dict:
    """The same for a page showing only ``chart``."""
    return charts_payload([chart], values, changed)


FACT_TABLES = (
    m.SalesDayFact,
    m.SalesMonthFact,
    m.SalesWeekFact,
    m.PaymentMonthFact,
    m.ListingFact,
    m.ListingMonthFact,
    m.SellThroughMonthFact,
)


def fact_snapshot(session) -> dict:
    """Every row of the aggregate tables, comparable across refreshes."""

    def plain(value):
        if isinstance(value, Decimal | float):
            return Decimal(str(value)).quantize(Decimal("0.001"))
        return value

    snapshot = {}
    for model in FACT_TABLES:
        rows = session.execute(select(*model.__table__.columns)).all()
        snapshot[model.__tablename__] = sorted(tuple(plain(v) for v in row) for row in rows)
    return snapshot
