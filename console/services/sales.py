"""What counts as a sale: an order that is not cancelled. The one place this rule lives.

Every total of sales, tax due, sell-through, matchmaking history and key figure counts
the orders for which :func:`is_sale` holds; array code (the demo generator) uses
:func:`is_sale_status` on stored status values. Both derive from ``NOT_A_SALE``.

A return of goods (console.services.returns) is an order of its own, dated when the
goods come back, whose lines are the negative of what the sale stamped. Its amounts
and tax count like a credit note: summed with the sales of the day it happened, they
net the returned goods out of the period's sales and tax. But it is not another sale:
**counting orders** (or sales of a listing) leaves it out, with :func:`counts_as_order`
and :func:`order_count`, so a return changes the amounts, never the number of orders.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import and_, case, func

from console.models.marketplace import Order, OrderStatus

# The one order status whose orders are not sales.
NOT_A_SALE = OrderStatus.CANCELLED


def is_sale(order=Order):
    """The order counts as a sale: a SQL condition on ``Order`` (or an alias), a bool on a row."""
    return order.status != NOT_A_SALE


def is_sale_status(statuses) -> np.ndarray:
    """Element-wise :func:`is_sale` over stored status values (``"placed"``, ``"cancelled"``…)."""
    return np.asarray(statuses) != NOT_A_SALE.value


def is_return(order=Order):
    """SQL condition on ``Order`` (or an alias): the order is a return of goods."""
    return order.returns_order_id.is_not(None)


def counts_as_order(order=Order):
    """SQL condition: the order is counted in order counts (a sale, and not a return)."""
    return and_(is_sale(order), order.returns_order_id.is_(None))


def order_count(order=Order):
    """SQL aggregate: how many distinct orders count (:func:`counts_as_order`) among the rows."""
    return func.count(func.distinct(case((counts_as_order(order), order.id))))
