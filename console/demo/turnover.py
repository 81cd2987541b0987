"""Keep the VAT-threshold story true whatever the number of lines.

Unregistered sellers stay below the registration threshold over every 12 months,
except the 2–3 deliberate breaches, which are pushed above it over the last year.
The threshold (100 million BIF a year) is unconfirmed (DOMAIN.md): it is the demo's
assumption here, not a rule of the console.
"""

from __future__ import annotations

import numpy as np

from console.services.sales import is_sale_status

from .orders import Sales
from .sellers import Sellers
from .stamps import line_amount

VAT_THRESHOLD = 100_000_000
BELOW = 0.85 * VAT_THRESHOLD
ABOVE = 1.25 * VAT_THRESHOLD


def _rescale(qty: np.ndarray, factor: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """Scale quantities (thousandths), keeping whole units whole and at least one unit."""
    scaled = qty * factor
    whole = (qty % 1000 == 0) | pieces
    return np.where(
        whole, np.maximum(np.round(scaled / 1000), 1) * 1000, np.maximum(np.round(scaled), 500)
    ).astype(np.int64)


def adjust_turnover(sales: Sales, sellers: Sellers, line_pieces: np.ndarray, n_days: int) -> None:
    """Scale line quantities in place so the threshold flags hit exactly the chosen sellers."""
    seller = sales.order_seller[sales.line_order]
    counted = is_sale_status(sales.order_status[sales.line_order])
    n_sellers, n_months = len(sellers.ids), int(sales.order_month.max()) + 1
    capped = ~sellers.vat_registered & ~sellers.threshold_breach
    for _ in range(3):  # minimum quantities may leave a seller above: a second pass settles it
        amount = np.where(counted, line_amount(sales.line_price, sales.line_qty_milli), 0)
        monthly = np.zeros((n_sellers, n_months), dtype=np.int64)
        np.add.at(monthly, (seller, sales.order_month[sales.line_order]), amount)
        cumulative = np.concatenate(
            [np.zeros((n_sellers, 1), np.int64), monthly.cumsum(axis=1)], axis=1
        )
        rolling = cumulative[:, 12:] - cumulative[:, :-12] if n_months >= 12 else cumulative[:, -1:]
        worst = rolling.max(axis=1)
        factor = np.where(capped & (worst > BELOW), BELOW / np.maximum(worst, 1), 1.0)
        last_year = sales.order_day[sales.line_order] >= n_days - 365
        recent = np.bincount(
            seller[last_year & counted], weights=amount[last_year & counted], minlength=n_sellers
        )
        factor = np.where(
            sellers.threshold_breach & (recent > 0) & (recent < ABOVE),
            ABOVE / np.maximum(recent, 1),
            factor,
        )
        if np.all(factor == 1.0):
            return
        sales.line_qty_milli = _rescale(sales.line_qty_milli, factor[seller], line_pieces)


def sellers_above_threshold(
    sales: Sales, sellers: Sellers, line_gross: np.ndarray, n_days: int
) -> int:
    """Unregistered sellers whose sales over the last 365 days exceed the threshold."""
    seller = sales.order_seller[sales.line_order]
    keep = is_sale_status(sales.order_status[sales.line_order]) & (
        sales.order_day[sales.line_order] >= n_days - 365
    )
    total = np.bincount(seller[keep], weights=line_gross[keep], minlength=len(sellers.ids))
    return int(np.sum(~sellers.vat_registered & (total > VAT_THRESHOLD)))
