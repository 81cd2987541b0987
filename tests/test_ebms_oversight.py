"""What the regulator sees of eBMS: the statuses, the OBR panel, the 24 h flag, the tax
statement and the invoice PDF, on sales drained into a real sandbox."""
# ruff: noqa: F811  (the eBMS fixtures are imported from tests/ebms_support.py)

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from console import models as m
from console.ebms.client import EbmsClient
from console.models.ebms import InvoiceMessage, MessageKind, MessageState
from console.models.types import utcnow
from console.security.scoping import NATIONAL, ProvinceScope
from console.services.ebms import outbox as outbox
from console.services.ebms import status as ebms_status
from console.services.ebms.transmission import RetryPolicy, drain
from console.services.tax.leakage import EBMS_LATE, leakage_flags

from .ebms_support import calm, sandbox, settings_for  # noqa: F401
from .tax_data import local, make_order, make_seller

FAST = RetryPolicy(base_s=0.05, cap_s=0.2, lease_s=30)
LINES = [("savon", 1000, "3"), ("haricot-sec", 2900, "2")]


@pytest.fixture(scope="module")
def world(app, sandbox):
    """Sellers in Gitega and Ngozi: registered, refused, pending, never written, not sent."""
    from console.extensions import db

    with app.app_context():
        s = db.session
        sellers = {
            "ok": make_seller(s, "Ȁ", "BI-GI", vat=True),  # transmits, registered
            "refused": make_seller(s, "Ȃ", "BI-NG", vat=True),  # NIF unknown to OBR
            "pending": make_seller(s, "Ȅ", "BI-GI", vat=True),  # written after the drain
            "missing": make_seller(s, "Ȇ", "BI-NG", vat=True),  # transmits, message never written
            "off": make_seller(s, "Ȉ", "BI-GI", vat=True),  # no NIF: does not transmit
        }
        for key, seller in sellers.items():
            seller.nif = None if key == "off" else f"43{seller.id:08d}"
        buyers = {}
        for code in ("BI-GI", "BI-NG"):
            province = s.scalars(select(m.Province).where(m.Province.code == code)).one()
            buyers[code] = m.Buyer(
                kind=m.BuyerKind.CONSUMER, name=f"Client {code}", province_id=province.id
            )
            s.add(buyers[code])
        s.flush()

        def sale(key, placed_at, enqueue=True, status=m.OrderStatus.DELIVERED):
            seller = sellers[key]
            buyer = buyers["BI-NG" if seller.province.code == "BI-NG" else "BI-GI"]
            order = make_order(s, buyer, seller, placed_at, LINES, status=status)
            if enqueue:
                outbox.enqueue_invoice(s, order)
            return order

        orders = {key: [] for key in sellers}
        for day in (20, 21, 22):
            for key in ("ok", "refused", "off"):
                orders[key].append(sale(key, local(2026, 11, day, 9)))
        orders["missing"].append(sale("missing", local(2026, 11, 21, 9), enqueue=False))
        cancelled = sale("ok", local(2026, 11, 22, 11), status=m.OrderStatus.CANCELLED)
        s.commit()
        sandbox.state.unknown_nifs.add(sellers["refused"].nif)
        with EbmsClient(settings_for(sandbox)) as client:
            drain(db.engine, client, FAST, wait_s=10)
        orders["pending"].append(sale("pending", local(2026, 11, 23, 9)))
        recent = sale("pending", utcnow() - dt.timedelta(hours=2))  # not late yet
        s.commit()
        ids = {key: [o.id for o in found] for key, found in orders.items()}
        yield SimpleNamespace(
            sellers={k: v.id for k, v in sellers.items()},
            orders=ids,
            recent=recent.id,
            cancelled=cancelled.id,
        )


WINDOW = (local(2026, 11, 1, 0).astimezone(dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))


def _database_truth(session, scope_ids=None, before=None):
    """Sales and tax by status, straight from the tables."""
    truth = {status: [0, 0] for status in ebms_status.STATUSES}
    orders = session.scalars(
        select(m.Order).where(
            m.Order.status != m.OrderStatus.CANCELLED,
            m.Order.placed_at < (before or WINDOW[1]),
        )
    )
    for order in orders:
        if scope_ids is not None and order.seller_id not in scope_ids:
            continue
        message = session.scalar(
            select(InvoiceMessage).where(
                InvoiceMessage.order_id == order.id, InvoiceMessage.kind == MessageKind.INVOICE
            )
        )
        status = (
            ebms_status.NOT_SENT
            if message is None
            else {
                MessageState.REGISTERED: ebms_status.REGISTERED,
                MessageState.PENDING: ebms_status.PENDING,
                MessageState.REFUSED: ebms_status.REFUSED,
            }[message.state]
        )
        truth[status][0] += 1
        truth[status][1] += sum(line.tax for line in order.lines)
    return truth


def test_status_totals_equal_the_database_and_add_up_to_the_stamped_sales(app, db_session, world):
    rows = ebms_status.status_totals(db_session, NATIONAL, *WINDOW)
    got = {status: [count, tax] for status, count, tax in rows}
    truth = _database_truth(db_session)
    assert {k: v for k, v in truth.items() if v[0]} == got
    assert got[ebms_status.REGISTERED][0] == 3  # the "ok" seller's three sales
    stamped = db_session.scalar(
        select(func.sum(m.OrderLine.tax))
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(m.Order.status != m.OrderStatus.CANCELLED)
    )
    assert sum(tax for _s, _c, tax in rows) == stamped


def test_the_24h_flag_names_only_transmitting_sellers_with_unregistered_sales(
    app, db_session, world
):
    flags = leakage_flags(
        db_session, NATIONAL, dt.date(2026, 11, 1), dt.date(2026, 12, 31), kinds=[EBMS_LATE]
    )
    by_seller = {f.seller_id: f for f in flags}
    assert set(by_seller) == {
        world.sellers["refused"],
        world.sellers["pending"],
        world.sellers["missing"],
    }
    refused = by_seller[world.sellers["refused"]]
    assert refused.label == "Vente non transmise à l'OBR après 24 h"
    assert set(refused.order_ids) == set(world.orders["refused"])
    assert refused.figure("refused") == 3 and refused.amount_at_stake == sum(
        db_session.scalar(select(func.sum(m.OrderLine.tax)).where(m.OrderLine.order_id == oid))
        for oid in world.orders["refused"]
    )
    pending = by_seller[world.sellers["pending"]]
    assert world.recent not in pending.order_ids  # placed 2 h ago: not late yet
    assert pending.order_ids == tuple(world.orders["pending"])
    assert by_seller[world.sellers["missing"]].figure("not_sent") == 1
    # A coordinator's scope: Gitega's flags only.
    gitega = db_session.scalars(select(m.Province).where(m.Province.code == "BI-GI")).one()
    scoped = leakage_flags(
        db_session,
        ProvinceScope(False, frozenset({gitega.id})),
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 31),
        kinds=[EBMS_LATE],
    )
    assert {f.seller_id for f in scoped} == {world.sellers["pending"]}


def test_the_flags_page_shows_the_24h_flag_with_its_orders(app, db_session, world, users):
    auditor = _signed_in(app, "auditeur")
    page = auditor.get("/signalements/?type=ebms_late&debut=2026-11&fin=2026-12")
    text = page.get_data(as_text=True).replace("&#39;", "'")
    assert page.status_code == 200
    assert "Vente non transmise à l'OBR après 24 h" in text
    assert "Dont refusées" in text
    coordinator = _signed_in(app, "coord_gi")
    scoped = coordinator.get("/signalements/?type=ebms_late&debut=2026-11&fin=2026-12")
    assert scoped.status_code in (302, 403)  # national tax oversight: no coordinator


def test_the_override_never_takes_a_seller_out_of_the_flag(app, db_session, world):
    seller = db_session.get(m.Cooperative, world.sellers["missing"])
    seller.ebms_transmit = False
    db_session.flush()
    flags = leakage_flags(
        db_session, NATIONAL, dt.date(2026, 11, 1), dt.date(2026, 12, 31), kinds=[EBMS_LATE]
    )
    assert world.sellers["missing"] not in {f.seller_id for f in flags}
    db_session.rollback()


def test_the_lag_is_measured_on_registered_invoices_only(app, db_session, world):
    lags = ebms_status.transmission_lags(db_session, NATIONAL, *WINDOW)
    registered = db_session.scalar(
        select(func.count())
        .select_from(InvoiceMessage)
        .where(InvoiceMessage.state == MessageState.REGISTERED)
    )
    assert len(lags) == registered == 3
    summary = ebms_status.lag_summary(lags)
    assert summary.count == 3 and 0 <= summary.p50_s <= summary.p95_s


def test_obr_panel_sums_equal_the_database_and_follow_the_scope(app, db_session, world):
    from dashboards.data import tax
    from dashboards.filters import Filters

    filters = Filters(dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    totals = tax.obr_totals(db_session, NATIONAL, filters).iloc[0]
    truth = _database_truth(db_session)
    for status in ebms_status.STATUSES:
        assert int(totals[status]) == truth[status][0]
    assert int(totals["stamped"]) == sum(v[0] for v in truth.values())
    assert int(totals["registered_tax"]) == truth[ebms_status.REGISTERED][1]
    days = tax.obr_by_day(db_session, NATIONAL, filters)
    assert dt.date(2026, 11, 20) in set(days["day"])
    provinces = tax.obr_by_province(db_session, NATIONAL, filters)
    assert int(provinces["stamped"].sum()) == int(totals["stamped"])
    ngozi = db_session.scalars(select(m.Province).where(m.Province.code == "BI-NG")).one()
    scoped = tax.obr_totals(db_session, ProvinceScope(False, frozenset({ngozi.id})), filters)
    ngozi_sellers = {world.sellers["refused"], world.sellers["missing"]}
    truth_ng = _database_truth(db_session, ngozi_sellers)
    assert int(scoped.iloc[0]["stamped"]) == sum(v[0] for v in truth_ng.values())
    assert int(scoped.iloc[0]["registered"]) == 0


def _report(app, tmp_path, name, fmt, **options) -> bytes:
    output = tmp_path / f"{name}.{fmt}"
    args = ["report", name, "--format", fmt, "--output", str(output)]
    for key, value in options.items():
        args += [f"--{key}", value]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return output


def test_tax_statement_sets_registered_tax_against_stamped_tax_per_seller(
    app, db_session, world, tmp_path
):
    from openpyxl import load_workbook

    workbook = load_workbook(_report(app, tmp_path, "recettes-fiscales", "xlsx", period="2026-11"))
    ws = workbook["Par vendeur"]
    col = {cell.value: i for i, cell in enumerate(ws[1])}
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    total = next(r for r in rows if r[0] == "TOTAL")
    truth = _database_truth(db_session, before=local(2026, 12, 1, 0))
    registered = truth[ebms_status.REGISTERED][1]
    assert total[col["Taxe enregistrée OBR"]] == registered > 0
    assert total[col["Taxe due"]] == sum(v[1] for v in truth.values())
    assert total[col["Taxe non enregistrée OBR"]] == total[col["Taxe due"]] - registered
    ok = next(
        r for r in rows if r[col["NIF"]] == db_session.get(m.Cooperative, world.sellers["ok"]).nif
    )
    assert ok[col["Taxe enregistrée OBR"]] == ok[col["Taxe due"]]
    lines = workbook["Lignes de commande"]
    lcol = {cell.value: i for i, cell in enumerate(lines[1])}
    numbers = {
        row[lcol["Commande"]]: row[lcol["N° OBR"]]
        for row in lines.iter_rows(min_row=2, values_only=True)
    }
    messages = db_session.execute(
        select(m.Order.reference, InvoiceMessage.obr_number)
        .join(InvoiceMessage, InvoiceMessage.order_id == m.Order.id)
        .where(m.Order.placed_at < local(2026, 12, 1, 0))
    ).all()
    assert any(number for _ref, number in messages)
    for reference, number in messages:
        assert numbers[reference] == number
    pdf = _report(app, tmp_path, "recettes-fiscales", "pdf", period="2026-11")
    assert "Enregistrée OBR" in _pdf_text(pdf)


def _pdf_text(path) -> str:
    import subprocess

    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def users(app, world, tmp_path_factory):
    from .conftest import create_user

    app.config["REPORTS_DIR"] = str(tmp_path_factory.mktemp("reports"))
    create_user(app, "ministere", "Ministère")
    create_user(app, "coord_gi", "Coordinateur provincial", ["BI-GI"])
    create_user(app, "auditeur", "Auditeur fiscal")
    create_user(app, "pnud", "PNUD")


def _signed_in(app, username):
    from .reports_fixtures import login_as

    client = app.test_client()
    login_as(client, username)
    return client


def _reference(session, order_id):
    return session.get(m.Order, order_id).reference


def test_invoice_pdf_prints_obr_number_date_signature_and_totals(app, db_session, world, users):
    from .reports_fixtures import fetch_report, latest_archive, pdf_text

    order_id = world.orders["ok"][0]
    order = db_session.get(m.Order, order_id)
    message = ebms_status.invoice_of(db_session, order_id)
    auditor = _signed_in(app, "auditeur")
    page = auditor.get(f"/orderview/show/{order_id}").get_data(as_text=True)
    assert f"/rapports/facture/?order={order.reference}" in page
    data = fetch_report(app, auditor, "auditeur", "facture", order=order.reference, format="pdf")
    text = pdf_text(data)
    flat = " ".join(text.split())
    assert message.obr_number and message.obr_number in text
    assert message.obr_signature.replace(" ", "") in flat.replace(" ", "")
    assert "Enregistrée par l'OBR" in text and "NON TRANSMISE" not in text
    assert order.seller.name in text and order.buyer.name in text and order.seller.nif in text
    for value in (
        sum(line.net for line in order.lines),
        sum(line.tax for line in order.lines),
        sum(line.gross for line in order.lines),
    ):
        assert f"{value:,}".replace(",", " ") in text
    archive = latest_archive(app, "auditeur")
    assert archive.report == "facture" and archive.sha256
    from reports.verification import display_code

    assert display_code(archive.code) in text  # archived, with its verification code


def test_invoice_pdf_says_plainly_when_obr_has_not_registered_it(app, world, users):
    from .reports_fixtures import fetch_report, pdf_text

    client = _signed_in(app, "ministere")
    for key in ("off", "refused", "pending"):
        order_id = world.orders[key][0]
        data = fetch_report(app, client, "ministere", "facture", order=str(order_id), format="pdf")
        text = pdf_text(data)
        assert "FACTURE NON TRANSMISE À L'OBR" in text, key
        assert "N° enregistré par l'OBR" not in text


def test_invoice_pdf_is_scoped_and_follows_the_policy(app, db_session, world, users):
    from .reports_fixtures import generate

    coordinator = _signed_in(app, "coord_gi")
    ngozi = _reference(db_session, world.orders["refused"][0])
    gitega = _reference(db_session, world.orders["ok"][0])
    assert generate(coordinator, "facture", order=ngozi, format="pdf").status_code == 404
    assert coordinator.get(f"/rapports/facture/?order={ngozi}").status_code == 200  # the form
    own = generate(coordinator, "facture", order=gitega, format="pdf")
    assert own.status_code == 200 and own.mimetype == "application/pdf"
    unknown = generate(coordinator, "facture", order="CMD-NULLE-PART", format="pdf")
    assert unknown.status_code == 404
    for odd in ("²³", "9" * 40, "' OR 1=1 --"):
        assert generate(coordinator, "facture", order=odd, format="pdf").status_code == 404
    blank = generate(coordinator, "facture", order="", format="pdf")
    assert blank.status_code == 400 and "Commande" in blank.get_data(as_text=True)
    pnud = _signed_in(app, "pnud")
    assert generate(pnud, "facture", order=gitega, format="pdf").status_code == 403


def test_only_admin_sets_the_transmission_override_and_it_is_audited(app, db_session, world):
    from .conftest import create_user

    create_user(app, "admin_obr", "Admin")
    create_user(app, "ministere_obr", "Ministère")
    seller_id = world.sellers["ok"]
    ministry = _signed_in(app, "ministere_obr")
    assert ministry.get(f"/cooperativeview/obr/{seller_id}").status_code in (302, 403)
    ministry.post(f"/cooperativeview/obr/{seller_id}", data={"choice": "never"})
    db_session.expire_all()
    assert db_session.get(m.Cooperative, seller_id).ebms_transmit is None
    admin = _signed_in(app, "admin_obr")
    page = admin.get(f"/cooperativeview/obr/{seller_id}").get_data(as_text=True)
    assert "Suivre le réglage général" in page and "Ne jamais transmettre" in page
    bad = admin.post(f"/cooperativeview/obr/{seller_id}", data={"choice": "peut-être"})
    assert "Choisissez" in bad.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(m.Cooperative, seller_id).ebms_transmit is None
    done = admin.post(f"/cooperativeview/obr/{seller_id}", data={"choice": "never"})
    assert done.status_code == 302
    db_session.expire_all()
    seller = db_session.get(m.Cooperative, seller_id)
    assert seller.ebms_transmit is False and not outbox.transmits(seller)
    event = db_session.scalars(
        select(m.AuditEvent)
        .where(m.AuditEvent.table_name == "cooperative", m.AuditEvent.row_id == seller_id)
        .order_by(m.AuditEvent.id.desc())
    ).first()
    assert event.username == "admin_obr" and "ebms_transmit" in event.changes
    shown = admin.get(f"/cooperativeview/show/{seller_id}").get_data(as_text=True)
    assert "Ne jamais transmettre" in shown
    no_nif = world.sellers["off"]
    refused = admin.post(f"/cooperativeview/obr/{no_nif}", data={"choice": "transmit"})
    assert "pas de NIF" in refused.get_data(as_text=True).replace("&#39;", "'")
    admin.post(f"/cooperativeview/obr/{seller_id}", data={"choice": "follow"})
    db_session.expire_all()
    assert db_session.get(m.Cooperative, seller_id).ebms_transmit is None


def test_obr_panel_draws_its_cards_and_charts(app, db_session, world):
    from dashboards.data import tax
    from dashboards.filters import Filters
    from dashboards.pages import recettes

    filters = Filters(dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    cards = recettes.draw_obr_totals(tax.obr_totals(db_session, NATIONAL, filters), filters)
    assert [title for title, _v, _n in cards][0] == "Ventes taxées"
    assert "médiane" in cards[-1][1]
    days = recettes.draw_obr_by_day(tax.obr_by_day(db_session, NATIONAL, filters), filters)
    names = {trace["name"] for trace in days["data"]}
    assert names == set(ebms_status.STATUS_LABELS.values())
    exported = recettes.export_obr_by_province(tax.obr_by_province(db_session, NATIONAL, filters))
    assert "Enregistrées par l'OBR" in exported.columns


def test_demo_sends_the_outbox_to_a_sandbox_in_its_process(app, db_session, world):
    """run.py --demo: a sandbox starts, the settings point at it, pending invoices are sent."""
    import time

    from console.demo.ebms import start_demo_transmission

    saved = {k: app.config.get(k) for k in ("EBMS_BASE_URL", "EBMS_USERNAME", "EBMS_PASSWORD")}
    app.config.update(EBMS_BASE_URL=None, EBMS_USERNAME=None, EBMS_PASSWORD=None)
    pending = ebms_status.invoice_of(db_session, world.orders["pending"][0])
    assert pending.state == MessageState.PENDING
    try:
        line = start_demo_transmission(app)
        assert line.startswith("OBR eBMS : bac à sable démarré sur http://127.0.0.1:")
        demo = app.extensions["isoko_ebms_demo"]
        assert app.config["EBMS_BASE_URL"] == demo.sandbox.url
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db_session.expire_all()
            if ebms_status.invoice_of(db_session, world.orders["pending"][0]).state != (
                MessageState.PENDING
            ):
                break
            time.sleep(0.5)
        db_session.expire_all()
        settled = ebms_status.invoice_of(db_session, world.orders["pending"][0])
        assert settled.state in (MessageState.REGISTERED, MessageState.REFUSED)
        if settled.state == MessageState.REGISTERED:
            assert demo.sandbox.store.find(settled.identifier) is not None
    finally:
        demo = app.extensions.pop("isoko_ebms_demo", None)
        if demo is not None:
            demo.stop()
        app.config.update(saved)
