"""What counts as a sale (an order not cancelled) is written once, in console/services/sales.py."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from console import models as m
from console.services.sales import NOT_A_SALE, is_sale, is_sale_status

ROOT = Path(__file__).resolve().parents[1]
# A comparison with the cancelled status, in SQLAlchemy, Python or array form.
COMPARISON = re.compile(r"""[!=]=\s*(m\.)?OrderStatus\.CANCELLED|[!=]=\s*["']cancelled["']""")


def test_no_module_but_the_sales_rule_compares_with_the_cancelled_status():
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("console", "dashboards", "reports", "importers")
        for path in (ROOT / package).rglob("*.py")
        if path != ROOT / "console/services/sales.py" and COMPARISON.search(path.read_text())
    ]
    assert not offenders


def test_the_sql_python_and_array_forms_agree():
    assert str(is_sale().compile(compile_kwargs={"literal_binds": True})).endswith("!= 'cancelled'")
    assert is_sale(m.Order(status=m.OrderStatus.PAID)) is True
    assert is_sale(m.Order(status=NOT_A_SALE)) is False
    statuses = np.array([s.value for s in m.OrderStatus], dtype=object)
    assert list(is_sale_status(statuses)) == [s != NOT_A_SALE for s in m.OrderStatus]
