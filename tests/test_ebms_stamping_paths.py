"""Every stamping path writes the sale's OBR invoice message in its own transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from console import models as m
from console.models.ebms import InvoiceMessage, MessageKind
from importers.command import ImportOutcome

from .import_support import ORDERS_CSV, PRODUCTS_CSV, run_as

COOPERATIVES_WITH_NIF = (
    "Numéro d'enregistrement;Nom;Province;Commune;Membres;Membres femmes;Assujetti TVA;Pionnière;NIF\n"
    "ANACOOP/KI/001;Coopérative Twiyungunganye;Kirundo;Busoni;40;25;oui;oui;4100000001\n"
    "ANACOOP/GI/002;Coopérative Dukorere Hamwe;BI-GI;;12;6;non;non;\n"
    "ANACOOP/NG/003;Coopérative Abahuzamugambi;Ngozi;Ngozi;30;10;oui;non;4100000003\n"
)


def _messages(app) -> dict[str, int]:
    from console.extensions import db

    with app.app_context():
        rows = db.session.execute(
            select(m.Order.reference, InvoiceMessage.tax)
            .join(InvoiceMessage, InvoiceMessage.order_id == m.Order.id)
            .where(InvoiceMessage.kind == MessageKind.INVOICE)
        ).all()
        return dict(rows)


def test_orders_import_queues_one_invoice_per_new_sale_of_a_seller_with_a_nif(app):
    from console.extensions import db

    for kind, content in (("cooperatives", COOPERATIVES_WITH_NIF), ("products", PRODUCTS_CSV)):
        assert run_as(app, kind, content).outcome == ImportOutcome.APPLIED
    assert run_as(app, "orders", ORDERS_CSV, dry_run=True).outcome == ImportOutcome.DRY_RUN
    assert _messages(app) == {}
    assert run_as(app, "orders", ORDERS_CSV).outcome == ImportOutcome.APPLIED
    queued = _messages(app)
    assert set(queued) == {"CMD-1", "CMD-3"}  # CMD-2's seller has no NIF
    with app.app_context():
        stamped = dict(
            db.session.execute(
                select(m.Order.reference, func.sum(m.OrderLine.tax))
                .join(m.OrderLine)
                .group_by(m.Order.reference)
            ).all()
        )
    assert all(queued[ref] == stamped[ref] for ref in queued)
    assert run_as(app, "orders", ORDERS_CSV).outcome == ImportOutcome.APPLIED
    assert _messages(app) == queued  # a re-import queues nothing twice


def test_demo_seeding_queues_the_last_month_of_sales(tmp_path_factory, backend):
    from console.demo.seed import EBMS_SINCE, seed_demo
    from console.extensions import db
    from console.services.periods import local_midnight_utc

    from .conftest import build_app, dispose_database, make_database_url

    url = make_database_url(backend, tmp_path_factory)
    app = build_app(url)
    try:
        with app.app_context():
            until = dt.date(2025, 6, 30)
            summary = seed_demo(db, order_lines=3000, seed=5, until=until)
            since = local_midnight_utc(until - EBMS_SINCE)
            expected = db.session.scalar(
                select(func.count())
                .select_from(m.Order)
                .join(m.Cooperative, m.Cooperative.id == m.Order.seller_id)
                .where(
                    m.Order.placed_at >= since,
                    m.Order.status != m.OrderStatus.CANCELLED,
                    m.Cooperative.nif.is_not(None),
                )
            )
            queued = db.session.scalar(select(func.count()).select_from(InvoiceMessage))
            assert queued == expected == summary.counts["ebms_message"] > 0
            db.session.remove()
            db.engine.dispose()
    finally:
        dispose_database(url)
