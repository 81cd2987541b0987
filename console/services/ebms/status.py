"""Where each sale stands with OBR: the one definition the dashboards, reports and flags use.

Every sale (:func:`console.services.sales.is_sale`) is *stamped*: its lines carry their tax.
Its normal invoice (the outbox's ``FN`` message, one per order) then is, at a given moment:

``registered``
    the message is ``registered``: OBR answered with its number and signature;
``pending``
    the message waits in the outbox (never sent yet, or retried after a transient failure);
``refused``
    OBR refused it (a business refusal, waiting in « Refusées par l'OBR »);
``not_sent``
    the order has no invoice message: its seller does not transmit (no NIF, the rule, or the
    Admin's override), or the sale predates transmission.

So stamped = registered + pending + refused + not_sent, by count and by tax (the sum of the
stamped lines' tax). The *transmission lag* of a registered invoice is the time from the
message's writing (in the stamping transaction) to the worker's settling it as registered
(``settled_at − created_at``, both on Isoko's clock); p50 and p95 are taken over the
registered invoices of the sales in the window.

A sale *not transmitted after 24 h* (the leakage flag) is a sale of a seller that transmits
(:func:`console.services.ebms.outbox.transmits_clause`), placed since transmission started
(the earliest sale with an invoice message) and more than ``LATE_AFTER`` before the moment
of examination, whose invoice is not registered (pending, refused, or never written).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from console import models as m
from console.models.ebms import InvoiceMessage, MessageKind, MessageState
from console.security.scoping import ProvinceScope, apply_scope
from console.services.ebms.outbox import transmits_clause
from console.services.sales import is_sale

REGISTERED, PENDING, REFUSED, NOT_SENT = "registered", "pending", "refused", "not_sent"
STATUSES = (REGISTERED, PENDING, REFUSED, NOT_SENT)
STATUS_LABELS = {
    REGISTERED: "Enregistrées par l'OBR",
    PENDING: "En attente d'envoi",
    REFUSED: "Refusées par l'OBR",
    NOT_SENT: "Hors eBMS (non transmises)",
}
STATE_OF_ONE = {
    REGISTERED: "Enregistrée par l'OBR",
    PENDING: "En attente d'envoi",
    REFUSED: "Refusée par l'OBR",
    NOT_SENT: "Non transmise à l'OBR",
}
LATE_AFTER = dt.timedelta(hours=24)

# The order's normal invoice message (at most one per order: ebms_outbox.enqueue_invoice).
INVOICE = aliased(InvoiceMessage, name="fn_message")


def invoice_join():
    """ON clause joining ``INVOICE`` to the order's normal invoice message."""
    return and_(INVOICE.order_id == m.Order.id, INVOICE.kind == MessageKind.INVOICE)


def status_column():
    """The sale's OBR status (one of STATUSES) as a SQL expression over ``INVOICE``."""
    return case(
        (INVOICE.id.is_(None), literal(NOT_SENT)),
        (INVOICE.state == MessageState.REGISTERED, literal(REGISTERED)),
        (INVOICE.state == MessageState.REFUSED, literal(REFUSED)),
        else_=literal(PENDING),
    )


def sales_select(
    *columns,
    scope: ProvinceScope,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    where: Sequence = (),
):
    """SELECT ``columns`` over the sales placed in [start, end) in ``scope``, each with its
    seller (``Cooperative``) and its invoice message (``INVOICE``, outer-joined)."""
    stmt = (
        select(*columns)
        .select_from(m.Order)
        .join(m.Cooperative, m.Cooperative.id == m.Order.seller_id)
        .outerjoin(INVOICE, invoice_join())
        .where(is_sale(), *where)
    )
    if start is not None:
        stmt = stmt.where(m.Order.placed_at >= start)
    if end is not None:
        stmt = stmt.where(m.Order.placed_at < end)
    return apply_scope(stmt, m.Order, scope)


def _order_tax():
    return (
        select(func.coalesce(func.sum(m.OrderLine.tax), 0))
        .where(m.OrderLine.order_id == m.Order.id)
        .scalar_subquery()
    )


def status_totals(
    session: Session,
    scope: ProvinceScope,
    start: dt.datetime | None,
    end: dt.datetime | None,
    *keys,
    where: Sequence = (),
) -> list[tuple]:
    """Rows (*keys, status, sales, tax): the sales of the window by OBR status and ``keys``.

    The message's tax is its lines' stamped tax (written with it); a sale without a
    message sums its lines.
    """
    status = status_column()
    tax = func.coalesce(INVOICE.tax, _order_tax())
    stmt = sales_select(
        *keys,
        status,
        func.count(m.Order.id),
        func.sum(tax),
        scope=scope,
        start=start,
        end=end,
        where=where,
    ).group_by(*keys, status)
    return [(*row[:-2], int(row[-2] or 0), int(row[-1] or 0)) for row in session.execute(stmt)]


def tax_by_seller(
    session: Session,
    scope: ProvinceScope,
    start: dt.datetime,
    end: dt.datetime,
    where: Sequence = (),
) -> dict[int, dict[str, int]]:
    """Per seller: the tax of all stamped sales and of those whose invoice OBR registered."""
    result: dict[int, dict[str, int]] = {}
    for seller_id, status, _count, tax in status_totals(
        session, scope, start, end, m.Order.seller_id, where=where
    ):
        row = result.setdefault(seller_id, {"stamped": 0, REGISTERED: 0})
        row["stamped"] += tax
        if status == REGISTERED:
            row[REGISTERED] += tax
    return result


def transmission_lags(
    session: Session,
    scope: ProvinceScope,
    start: dt.datetime | None,
    end: dt.datetime | None,
    where: Sequence = (),
) -> np.ndarray:
    """Seconds from writing to registration of the registered invoices of the window's sales."""
    stmt = sales_select(
        INVOICE.created_at,
        INVOICE.settled_at,
        scope=scope,
        start=start,
        end=end,
        where=[
            *where,
            INVOICE.state == MessageState.REGISTERED,
            INVOICE.settled_at.is_not(None),
        ],
    )
    lags = [
        max(0.0, (settled - created).total_seconds()) for created, settled in session.execute(stmt)
    ]
    return np.asarray(lags, dtype=float)


@dataclass(frozen=True)
class Lag:
    """The transmission lag of registered invoices: how many, median and 95th percentile."""

    count: int
    p50_s: float | None
    p95_s: float | None


def lag_summary(lags: np.ndarray) -> Lag:
    """p50 and p95 of lags in seconds (None when there are none)."""
    if len(lags) == 0:
        return Lag(0, None, None)
    p50, p95 = np.percentile(lags, [50, 95])
    return Lag(len(lags), float(p50), float(p95))


def format_lag(seconds: float | None) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 10 min``, ``1 j 4 h``; « — » when unknown."""
    if seconds is None:
        return "—"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} j {s % 86400 // 3600} h"


def transmission_start(session: Session) -> dt.datetime | None:
    """When transmission started: the placing of the earliest sale with an invoice message."""
    return session.scalar(select(func.min(m.Order.placed_at)).join(INVOICE, invoice_join()))


def late_sales(
    session: Session,
    scope: ProvinceScope,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    where: Sequence = (),
) -> list[tuple]:
    """Sales of transmitting sellers not registered ``LATE_AFTER`` after being placed.

    Rows (order id, seller id, placed_at, status, tax) of the sales placed in [start, end)
    (and since transmission started, and before ``now − LATE_AFTER``).
    """
    begun = transmission_start(session)
    if begun is None:
        return []
    cutoff = min(end, now - LATE_AFTER)
    start = max(start, begun)
    if start >= cutoff:
        return []
    status = status_column()
    stmt = sales_select(
        m.Order.id,
        m.Order.seller_id,
        m.Order.placed_at,
        status,
        func.coalesce(INVOICE.tax, _order_tax()),
        scope=scope,
        start=start,
        end=cutoff,
        where=[*where, transmits_clause(), status != REGISTERED],
    ).order_by(m.Order.placed_at, m.Order.id)
    return [(*row[:4], int(row[4] or 0)) for row in session.execute(stmt)]


def invoice_of(session: Session, order_id: int) -> InvoiceMessage | None:
    """The order's normal invoice message (None: not transmitted)."""
    return session.scalar(
        select(InvoiceMessage).where(
            InvoiceMessage.order_id == order_id, InvoiceMessage.kind == MessageKind.INVOICE
        )
    )
