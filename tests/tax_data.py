"""A small constructed marketplace whose tax figures are known by hand.

Used by tests/test_reconciliation.py. All sellers sell soap ("savon", processed: VAT
18 %) or dry beans ("haricot-sec", unprocessed: reduced 10 %) under the reference
rules (console/reference/catalogue_data.py). Times are Bujumbura local (UTC+2).

Seller A (Gitega, VAT-registered), monthly remittances:
  o1 10/01/2024 savon 1000 × 3 excl. (540) + haricot 2900 × 2 excl. (580), paid 1120
  o2 31/01/2024 23:30 savon 500 excl. (90), paid 90
  o3 01/02/2024 00:30 (still 31/01 in UTC) savon 1180 incl. (180), paid 180
  o4 15/02/2024 savon 10000 excl. (1800), CANCELLED: never due
  o5 05/03/2024 savon 2000 excl. (360), delivered, NEVER PAID
  o6 02/04/2024 savon 1000 excl. (180), paid 180
  remittances: January 1210 on 10/02 (on time), February 180 on 25/03 (late: deadline
  15/03), March none (missing), April 100 on 10/05 (short: 180 due)
Seller B (Ngozi → Butanyerera, VAT-registered), one quarterly remittance:
  p1 20/01/2024 haricot 1000 × 10 excl. (1000), paid 1000
  p2 20/02/2024 savon 1000 excl. stamped with NO tax (180 expected), paid 0
  p3 20/03/2024 savon 1000 excl. stamped at an outdated 16 % (160; 180 expected), paid 160
  remittance: 01/01–31/03/2024, 1160 on 10/04/2024 (on time, in full)
Seller C (Gitega, not registered): c1 15/01/2024 savon 5000 × 2 (no VAT), paid.
Seller D (Kirundo → Butanyerera, not registered): 1 000 000 net a month from January
  to December 2023, then 100 000 a month from January to March 2024 (a sudden drop).
Seller E (Bururi → Burunga, VAT-registered), clean: savon 1000 excl. (180) on the 8th
  of January, February and March 2024, paid in full, remitted in full on the 10th of
  the following month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from console import models as m
from console.services.periods import BUJUMBURA
from console.services.tax.stamping import stamp_order

_counter = {"order": 0, "remittance": 0, "payment": 0}


def local(year, month, day, hour=10, minute=0) -> dt.datetime:
    """An aware datetime given in Bujumbura time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=BUJUMBURA)


def _next(kind: str) -> int:
    _counter[kind] += 1
    return _counter[kind]


def _province(session, code: str) -> m.Province:
    return session.scalars(select(m.Province).where(m.Province.code == code)).one()


def _category(session, code: str) -> m.Category:
    return session.scalars(select(m.Category).where(m.Category.code == code)).one()


def make_seller(session, key: str, province_code: str, vat: bool) -> m.Cooperative:
    """A seller in a 2015 province, with its 2025 successor, and two products."""
    province = _province(session, province_code)
    seller = m.Cooperative(
        registration_number=f"TEST-{key}",
        name=f"Coopérative {key}",
        province_id=province.id,
        province_2025_id=province.successor_id,
        vat_registered=vat,
        nif=f"400000000{ord(key)}",
    )
    session.add(seller)
    session.flush()
    unit = session.scalars(select(m.Unit).where(m.Unit.code == "piece")).one()
    for code in ("savon", "haricot-sec"):
        session.add(
            m.Product(
                cooperative_id=seller.id,
                category_id=_category(session, code).id,
                unit_id=unit.id,
                sku=f"{key}-{code}",
                name=f"{code} de {key}",
            )
        )
    session.flush()
    return seller


def product(session, seller: m.Cooperative, code: str) -> m.Product:
    return session.scalars(
        select(m.Product).where(m.Product.sku == f"{seller.registration_number[5:]}-{code}")
    ).one()


def make_order(
    session,
    buyer: m.Buyer,
    seller: m.Cooperative,
    placed_at: dt.datetime,
    lines: list[tuple[str, int, str]],
    *,
    inclusive: bool = False,
    status: m.OrderStatus = m.OrderStatus.DELIVERED,
    paid_tax: int | None = None,
    stamps: dict[int, tuple[int, int, int, Decimal]] | None = None,
) -> m.Order:
    """An order stamped by the engine; ``stamps`` forces a (net, tax, gross, rate) on some lines.

    ``paid_tax`` records one payment of the order's gross carrying that tax (None: unpaid).
    """
    order = m.Order(
        reference=f"CMD-T-{_next('order'):05d}",
        buyer_id=buyer.id,
        seller_id=seller.id,
        placed_at=placed_at,
        status=status,
        prices_include_tax=inclusive,
    )
    for number, (code, unit_price, quantity) in enumerate(lines, start=1):
        line = m.OrderLine(
            line_no=number,
            product_id=product(session, seller, code).id,
            unit_price=unit_price,
            quantity=Decimal(quantity),
        )
        forced = (stamps or {}).get(number)
        if forced:
            # A planted anomaly: the stamp is written as the faulty platform did.
            line.net, line.tax, line.gross, line.tax_rate = forced
            line.tax_rule_id = session.scalars(
                select(m.TaxRule.id).where(m.TaxRule.code == "TVA-18")
            ).one()
        order.lines.append(line)
    session.add(order)
    stamp_order(session, order)
    session.flush()
    if paid_tax is not None:
        session.add(
            m.Payment(
                order_id=order.id,
                paid_at=placed_at + dt.timedelta(hours=1),
                amount=sum(line.gross for line in order.lines),
                tax_amount=paid_tax,
                method=m.PaymentMethod.CASH,
                reference=f"PAY-T-{_next('payment'):05d}",
            )
        )
    return order


def remit(
    session, seller, start: dt.date, end: dt.date, amount: int, on: dt.date
) -> m.TaxRemittance:
    remittance = m.TaxRemittance(
        cooperative_id=seller.id,
        tax_kind=m.TaxKind.VAT,
        period_start=start,
        period_end=end,
        amount=amount,
        obr_receipt_ref=f"OBR-T-{_next('remittance'):05d}",
        remitted_on=on,
    )
    session.add(remittance)
    session.flush()
    return remittance


def build(session) -> SimpleNamespace:
    """Create the sellers, orders, payments and remittances described above; flush only."""
    buyer = m.Buyer(kind=m.BuyerKind.CONSUMER, name="Acheteur test")
    session.add(buyer)
    session.flush()
    a = make_seller(session, "A", "BI-GI", vat=True)
    b = make_seller(session, "B", "BI-NG", vat=True)
    c = make_seller(session, "C", "BI-GI", vat=False)
    d = make_seller(session, "D", "BI-KI", vat=False)
    e = make_seller(session, "E", "BI-BR", vat=True)
    o = {}
    o[1] = make_order(
        session,
        buyer,
        a,
        local(2024, 1, 10),
        [("savon", 1000, "3"), ("haricot-sec", 2900, "2")],
        paid_tax=1120,
    )
    o[2] = make_order(
        session, buyer, a, local(2024, 1, 31, 23, 30), [("savon", 500, "1")], paid_tax=90
    )
    o[3] = make_order(
        session,
        buyer,
        a,
        local(2024, 2, 1, 0, 30),
        [("savon", 1180, "1")],
        inclusive=True,
        paid_tax=180,
    )
    o[4] = make_order(
        session,
        buyer,
        a,
        local(2024, 2, 15),
        [("savon", 10000, "1")],
        status=m.OrderStatus.CANCELLED,
    )
    o[5] = make_order(session, buyer, a, local(2024, 3, 5), [("savon", 2000, "1")])
    o[6] = make_order(session, buyer, a, local(2024, 4, 2), [("savon", 1000, "1")], paid_tax=180)
    r = {}
    r["a_jan"] = remit(
        session, a, dt.date(2024, 1, 1), dt.date(2024, 1, 31), 1210, dt.date(2024, 2, 10)
    )
    r["a_feb"] = remit(
        session, a, dt.date(2024, 2, 1), dt.date(2024, 2, 29), 180, dt.date(2024, 3, 25)
    )
    r["a_apr"] = remit(
        session, a, dt.date(2024, 4, 1), dt.date(2024, 4, 30), 100, dt.date(2024, 5, 10)
    )

    p = {}
    p[1] = make_order(
        session, buyer, b, local(2024, 1, 20), [("haricot-sec", 1000, "10")], paid_tax=1000
    )
    p[2] = make_order(
        session,
        buyer,
        b,
        local(2024, 2, 20),
        [("savon", 1000, "1")],
        paid_tax=0,
        stamps={1: (1000, 0, 1000, Decimal("0.18"))},
    )
    p[3] = make_order(
        session,
        buyer,
        b,
        local(2024, 3, 20),
        [("savon", 1000, "1")],
        paid_tax=160,
        stamps={1: (1000, 160, 1160, Decimal("0.16"))},
    )
    r["b_q1"] = remit(
        session, b, dt.date(2024, 1, 1), dt.date(2024, 3, 31), 1160, dt.date(2024, 4, 10)
    )

    make_order(session, buyer, c, local(2024, 1, 15), [("savon", 5000, "2")], paid_tax=0)

    for month in range(1, 13):
        make_order(
            session, buyer, d, local(2023, month, 12), [("savon", 1_000_000, "1")], paid_tax=0
        )
    for month in range(1, 4):
        make_order(session, buyer, d, local(2024, month, 12), [("savon", 100_000, "1")], paid_tax=0)

    for month in range(1, 4):
        make_order(session, buyer, e, local(2024, month, 8), [("savon", 1000, "1")], paid_tax=180)
        start = dt.date(2024, month, 1)
        end = dt.date(2024, month + 1, 1) - dt.timedelta(days=1)
        remit(session, e, start, end, 180, dt.date(2024, month + 1, 10))
    session.flush()
    return SimpleNamespace(
        a=a.id,
        b=b.id,
        c=c.id,
        d=d.id,
        e=e.id,
        orders={k: v.id for k, v in o.items()},
        b_orders={k: v.id for k, v in p.items()},
        b_lines={k: v.lines[0].id for k, v in p.items()},
        remittances={k: v.id for k, v in r.items()},
        provinces={
            "gitega_2025": _province(session, "BI25-GI").id,
            "butanyerera_2025": _province(session, "BI25-BT").id,
            "burunga_2025": _province(session, "BI25-BR").id,
            "gitega_2015": _province(session, "BI-GI").id,
            "ngozi_2015": _province(session, "BI-NG").id,
            "bururi_2015": _province(session, "BI-BR").id,
        },
    )
