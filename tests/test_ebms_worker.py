"""`isoko worker` serves the eBMS queue: pending invoices reach the sandbox, exactly once."""
# ruff: noqa: F811  (the eBMS fixtures are imported from tests/ebms_support.py)

from __future__ import annotations

import os
import subprocess
import uuid

from sqlalchemy import select

from console import models as m
from console.models.ebms import InvoiceMessage, MessageState
from console.services.ebms.outbox import enqueue_invoice

from .ebms_support import PASSWORD, SYSTEM_ID, calm, sandbox  # noqa: F401
from .tax_data import local, make_order, make_seller
from .test_reports_queue import REDIS_URL, isoko_command, require_redis


def _sales(session, count: int) -> list[int]:
    seller = make_seller(session, "ǅ", "BI-GI", vat=True)
    seller.nif = "4200000001"
    gitega = session.scalars(select(m.Province).where(m.Province.code == "BI-GI")).one()
    buyer = m.Buyer(kind=m.BuyerKind.CONSUMER, name="Client", province_id=gitega.id)
    session.add(buyer)
    session.flush()
    orders = [
        make_order(session, buyer, seller, local(2026, 12, 1, 8, n), [("savon", 1000, "2")])
        for n in range(count)
    ]
    for order in orders:
        enqueue_invoice(session, order)
    session.commit()
    return [o.id for o in orders]


def test_worker_drains_the_outbox_into_obr_once(app, db_session, calm):
    require_redis()
    order_ids = _sales(db_session, 12)
    calm.faults.update({"error_rate": 0.2, "timeout_after_write_rate": 0.2, "hang_ms": 1500})
    suffix = uuid.uuid4().hex[:10]
    env = os.environ | {
        "ISOKO_ENV": "development",
        "ISOKO_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "ISOKO_REDIS_URL": REDIS_URL,
        "ISOKO_REPORTS_QUEUE": f"isoko-test-{suffix}",
        "ISOKO_EBMS_QUEUE": f"isoko-test-ebms-{suffix}",
        "ISOKO_EBMS_BASE_URL": calm.url,
        "ISOKO_EBMS_USERNAME": SYSTEM_ID,
        "ISOKO_EBMS_PASSWORD": PASSWORD,
        "ISOKO_EBMS_TIMEOUT_S": "1",
        "ISOKO_EBMS_RETRY_BASE_S": "0.1",
        "ISOKO_EBMS_RETRY_MAX_S": "0.5",
        "ISOKO_EBMS_PARALLELISM": "4",
    }
    done = subprocess.run(
        [isoko_command(), "worker", "--burst"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "isoko-test-ebms-" in done.stdout
    db_session.expire_all()
    messages = db_session.scalars(
        select(InvoiceMessage).where(InvoiceMessage.order_id.in_(order_ids))
    ).all()
    assert {msg.state for msg in messages} == {MessageState.REGISTERED} and len(messages) == 12
    registered = [calm.store.find(msg.identifier) for msg in messages]
    assert all(
        r is not None and r["invoice_registered_number"] == msg.obr_number
        for r, msg in zip(registered, messages, strict=True)
    )
    stats = calm.store.stats()
    assert stats["invoices"] == stats["distinct_identifiers"]
    assert sum(msg.tax for msg in messages) == sum(
        sum(i["vat"] for i in r["invoice_items"]) for r in registered
    )


def test_worker_without_settings_says_transmission_is_off(app):
    require_redis()
    suffix = uuid.uuid4().hex[:10]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISOKO_EBMS_")} | {
        "ISOKO_ENV": "development",
        "ISOKO_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "ISOKO_REDIS_URL": REDIS_URL,
        "ISOKO_REPORTS_QUEUE": f"isoko-test-{suffix}",
        "ISOKO_EBMS_QUEUE": f"isoko-test-ebms-{suffix}",
    }
    done = subprocess.run(
        [isoko_command(), "worker", "--burst"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and "Transmission à l'OBR désactivée" in done.stdout
