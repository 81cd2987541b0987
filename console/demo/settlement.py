"""Money after the sale: payments for orders, and VAT remittances to OBR.

Payments: paid and delivered orders are paid in full (the order's gross and tax),
except ~1 % of delivered orders never paid (a leakage flag). Remittances: each
VAT-registered seller declares each calendar month by the 15th of the next; most do
so in full, some late, some short (60–90 %), some not at all, by the seller's profile.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .context import DAY_S, LOCAL_OFFSET_S, Window, epoch_day
from .orders import Sales
from .sellers import Sellers

PAYMENT_PREFIX = {"1": "ESP", "2": "VIR", "3": "CRD", "4": "MM"}
DEADLINE_DAY = 15  # tax_rule.remittance_deadline_days after the month's end


def payments(
    rng: np.random.Generator, window: Window, sales: Sales, order_gross, order_tax
) -> pd.DataFrame:
    """One payment per paid or delivered order (except the unpaid anomalies)."""
    paid = np.isin(sales.order_status, ["paid", "delivered"]) & ~sales.unpaid
    rows = np.flatnonzero(paid)
    method = sales.order_method[rows]
    # Cash and mobile money within hours, bank transfers in days, credit in weeks.
    delay = np.select(
        [method == "2", method == "3"],
        [rng.integers(3600, 5 * DAY_S, len(rows)), rng.integers(7 * DAY_S, 30 * DAY_S, len(rows))],
        rng.integers(60, 6 * 3600, len(rows)),
    )
    end = (window.start_epoch_day + window.n_days) * DAY_S - LOCAL_OFFSET_S - 1  # until, 23:59:59
    placed = sales.order_seconds[rows]
    paid_at = np.minimum(placed + delay, np.maximum(end, placed + 60))
    ids = np.arange(1, len(rows) + 1)
    return pd.DataFrame(
        {
            "id": ids,
            "order_id": rows + 1,
            "paid_at": paid_at.astype("datetime64[s]"),
            "amount": order_gross[rows],
            "tax_amount": order_tax[rows],
            "method": method,
            "reference": [f"{PAYMENT_PREFIX[m]}-{i:09d}" for m, i in zip(method, ids, strict=True)],
        }
    )


def remittances(
    rng: np.random.Generator, window: Window, sales: Sales, sellers: Sellers, line_tax: np.ndarray
) -> pd.DataFrame:
    """Monthly VAT remittances of the registered sellers, by their profile."""
    months = window.months()
    counted = np.isin(sales.order_status, ["paid", "delivered"])[sales.line_order]
    seller = sales.order_seller[sales.line_order]
    month = sales.order_month[sales.line_order]
    due = np.zeros((len(sellers.ids), len(months)), dtype=np.int64)
    np.add.at(due, (seller[counted], month[counted]), line_tax[counted])
    rows = []
    for m, period in months.iterrows():
        first = dt.date(int(period.year), int(period.month), 1)
        if first < window.start:
            continue  # a partial first month: its earlier sales are not in the demo
        following = (first + dt.timedelta(days=32)).replace(day=1)
        last = following - dt.timedelta(days=1)
        for s in np.flatnonzero(sellers.vat_registered & (due[:, m] > 0)):
            profile, amount = sellers.remittance_profile[s], int(due[s, m])
            day = following + dt.timedelta(days=int(rng.integers(2, DEADLINE_DAY)))
            u = rng.random()
            if profile == "missing" and u < 0.3:
                continue
            if profile == "late" and u < 0.35:
                day = following + dt.timedelta(days=DEADLINE_DAY + int(rng.integers(1, 45)))
            if profile == "short" and u < 0.4:
                amount = int(round(amount * rng.uniform(0.6, 0.9)))
            if day > window.until:
                continue
            rows.append((int(sellers.ids[s]), first, last, amount, day))
    rows.sort(key=lambda r: (r[4], r[0], r[1]))
    frame = pd.DataFrame(
        rows, columns=["cooperative_id", "period_start", "period_end", "amount", "remitted_on"]
    )
    year = frame["remitted_on"].map(lambda d: d.year)
    seq = frame.groupby(year).cumcount() + 1
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    frame.insert(1, "tax_kind", "vat")
    frame["obr_receipt_ref"] = [f"OBR-{y}-{n:06d}" for y, n in zip(year, seq, strict=True)]
    recorded = np.array([epoch_day(d) for d in frame["remitted_on"]], dtype=np.int64) * DAY_S
    frame["recorded_at"] = (
        recorded + rng.integers(10 * 3600, 16 * 3600, len(frame)) - LOCAL_OFFSET_S
    ).astype("datetime64[s]")
    return frame
