"""What counts as a sale: an order that is not cancelled. The one place this rule lives.

Every total of sales, tax due, sell-through, matchmaking history and key figure counts
the orders for which :func:`is_sale` holds; array code (the demo generator) uses
:func:`is_sale_status` on stored status values. Both derive from ``NOT_A_SALE``.
"""

from __future__ import annotations

import numpy as np

from console.models.marketplace import Order, OrderStatus

# The one order status whose orders are not sales.
NOT_A_SALE = OrderStatus.CANCELLED


def is_sale(order=Order):
    """The order counts as a sale: a SQL condition on ``Order`` (or an alias), a bool on a row."""
    return order.status != NOT_A_SALE


def is_sale_status(statuses) -> np.ndarray:
    """Element-wise :func:`is_sale` over stored status values (``"placed"``, ``"cancelled"``…)."""
    return np.asarray(statuses) != NOT_A_SALE.value
