"""Small constructed marketplaces for the mévente and matchmaking tests."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy import select

from console import models as m

_counter = itertools.count(1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A Bujumbura wall-clock time on ``day`` as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC) - dt.timedelta(hours=2)


def province(session, code: str) -> m.Province:
    return session.scalar(select(m.Province).where(m.Province.code == code))


def category(session, code: str) -> m.Category:
    return session.scalar(select(m.Category).where(m.Category.code == code))


def cooperative(session, name: str, province_code: str, chains: list[str] = ()) -> m.Cooperative:
    """A cooperative located in a 2015 province (and its 2025 successor)."""
    p = province(session, province_code)
    coop = m.Cooperative(
        registration_number=f"TEST-{next(_counter):05d}",
        name=name,
        province_id=p.id,
        province_2025_id=p.successor_id or p.id,
        members_total=12,
    )
    coop.value_chains = list(
        session.scalars(select(m.ValueChain).where(m.ValueChain.code.in_(list(chains))))
    )
    session.add(coop)
    session.flush()
    return coop


def product(session, coop: m.Cooperative, category_code: str) -> m.Product:
    cat = category(session, category_code)
    unit_code = {"l": "l", "piece": "piece"}.get(_unit_of(category_code), "kg")
    unit = session.scalar(select(m.Unit).where(m.Unit.code == unit_code))
    item = m.Product(
        cooperative_id=coop.id,
        category_id=cat.id,
        unit_id=unit.id,
        sku=f"SKU-{next(_counter):06d}",
        name=f"{cat.name} — {coop.name}",
    )
    session.add(item)
    session.flush()
    return item


def _unit_of(category_code: str) -> str:
    from console.reference.catalogue_data import CATEGORIES

    return next(unit for code, _n, _c, unit, *_ in CATEGORIES if code == category_code)


def listing(
    session, item: m.Product, quantity, price: int, listed: dt.date, closed: dt.date | None = None
):
    row = m.Listing(
        product_id=item.id,
        cooperative_id=item.cooperative_id,
        quantity_offered=Decimal(str(quantity)),
        unit_price=price,
        listed_at=at(listed, 8),
        closed_at=at(closed, 18) if closed else None,
    )
    session.add(row)
    session.flush()
    return row


def buyer(session, name: str, kind: str, province_code: str | None = None, coop=None) -> m.Buyer:
    row = m.Buyer(
        kind=m.BuyerKind(kind),
        name=name,
        province_id=province(session, province_code).id if province_code else None,
        cooperative_id=coop.id if coop else None,
    )
    session.add(row)
    session.flush()
    return row


def order(session, who: m.Buyer, seller: m.Cooperative, day: dt.date, lines, status="delivered"):
    """An order; ``lines`` are (product, quantity, unit price, listing or None)."""
    row = m.Order(
        reference=f"CMD-{next(_counter):07d}",
        buyer_id=who.id,
        seller_id=seller.id,
        placed_at=at(day, 11),
        status=m.OrderStatus(status),
    )
    session.add(row)
    session.flush()
    for number, (item, quantity, price, source) in enumerate(lines, start=1):
        qty = Decimal(str(quantity))
        net = int(qty * price)
        session.add(
            m.OrderLine(
                order_id=row.id,
                line_no=number,
                product_id=item.id,
                listing_id=source.id if source is not None else None,
                quantity=qty,
                unit_price=price,
                net=net,
                tax=0,
                gross=net,
                tax_rate=Decimal("0"),
            )
        )
    session.flush()
    return row


# -- the shared scenario ---------------------------------------------------------------

AS_OF = dt.date(2025, 6, 4)  # a Wednesday: the last full week starts Monday 26 May 2025
FIRST_WEEK = dt.date(2025, 3, 10)  # twelve weeks of history up to that one
WEEKS = 12
BEAN_PRICE = 3000


def _weekly_beans(session, coop, item, consumer, sold_per_week, extra_stock=0):
    """A listing of 100 kg every Monday, sold on Wednesday of the same week."""
    if extra_stock:
        listing(session, item, extra_stock, BEAN_PRICE, FIRST_WEEK)
    for week, sold in enumerate(sold_per_week):
        monday = FIRST_WEEK + dt.timedelta(days=7 * week)
        offer = listing(session, item, 100, BEAN_PRICE, monday)
        if sold:
            order(
                session,
                consumer,
                coop,
                monday + dt.timedelta(days=2),
                [(item, sold, BEAN_PRICE, offer)],
            )


def build_scenario(session) -> dict:
    """Beans falling in Gitega and Kirundo, flat in Ngozi; stale maize in Gitega and Kayanza.

    Returns the rows the tests refer to, by name.
    """
    rows: dict = {}
    consumer = buyer(session, "Ménages de la colline", "consumer", "BI-GI")
    falling = [90 - 5 * week for week in range(WEEKS)]
    for code, name in (("BI-GI", "Coop Haricot Gitega"), ("BI-KI", "Coop Haricot Kirundo")):
        coop = cooperative(session, name, code, ["haricot"])
        _weekly_beans(session, coop, product(session, coop, "haricot-sec"), consumer, falling)
        rows[name] = coop
    flat = cooperative(session, "Coop Haricot Ngozi", "BI-NG", ["haricot"])
    _weekly_beans(
        session,
        flat,
        product(session, flat, "haricot-sec"),
        consumer,
        [100] * WEEKS,
        extra_stock=50,
    )
    rows["Coop Haricot Ngozi"] = flat

    seller = cooperative(session, "Coop Maïs Gitega", "BI-GI", ["mais"])
    grain = product(session, seller, "mais-grain")
    mill = cooperative(session, "Minoterie coopérative de Ngozi", "BI-NG", ["mais"])
    product(session, mill, "farine-mais")
    south = cooperative(session, "Farine du Sud", "BI-MA", ["mais"])
    product(session, south, "farine-mais")
    kayanza = cooperative(session, "Coop Maïs Kayanza", "BI-KY", ["mais"])
    kayanza_grain = product(session, kayanza, "mais-grain")
    mill_buyer = buyer(session, mill.name, "cooperative", coop=mill)
    brewery = buyer(session, "Brasserie de Bujumbura", "business", "BI-BM")
    household = buyer(session, "Grand ménage de Gitega", "consumer", "BI-GI")
    old = listing(session, kayanza_grain, 3000, 1100, dt.date(2025, 1, 6))
    order(session, mill_buyer, kayanza, dt.date(2025, 3, 3), [(kayanza_grain, 1200, 1050, old)])
    order(session, brewery, kayanza, dt.date(2024, 6, 3), [(kayanza_grain, 100, 900, old)])
    order(session, household, kayanza, dt.date(2025, 3, 5), [(kayanza_grain, 1500, 1100, old)])
    order(
        session,
        brewery,
        kayanza,
        dt.date(2025, 3, 6),
        [(kayanza_grain, 10, 1100, old)],
        status="cancelled",
    )
    rows["stale maize listing"] = listing(session, grain, 2000, 1100, dt.date(2025, 4, 1))
    rows.update(
        {
            "Coop Maïs Gitega": seller,
            "Minoterie coopérative de Ngozi": mill,
            "Farine du Sud": south,
            "Coop Maïs Kayanza": kayanza,
            "mill buyer": mill_buyer,
            "brewery": brewery,
            "household": household,
        }
    )
    session.flush()
    return rows


def plain(text: str) -> str:
    """French typography's narrow and no-break spaces as plain spaces, for comparisons."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")
