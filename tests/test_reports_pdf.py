"""PDF reports read back with pdftotext: totals equal the database's, and the form is right."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import func, select

from console import models as m
from console.models.ebms import InvoiceMessage, MessageKind, MessageState
from reports.parameters import parse_period
from reports.registry import reports
from reports.verification import display_code

from .reports_fixtures import (
    COORDINATOR_PROVINCE,
    PERIOD,
    fetch_report,
    first_page_png,
    francs,
    latest_archive,
    line_starting,
    login_as,
    page_count,
    pdf_text,
    sales_sums,
    seeded_app_fixture,
)

# This module's app: its own copy of the seeded reports database (replaces conftest's).
app = seeded_app_fixture()


@pytest.fixture(scope="module")
def ids(app):
    """A pioneer cooperative with sales and a device assignment to print."""
    from console.extensions import db

    with app.app_context():
        coop = db.session.scalar(
            select(m.Order.seller_id)
            .join(m.Cooperative, m.Cooperative.id == m.Order.seller_id)
            .where(m.Cooperative.is_pioneer.is_(True))
            .group_by(m.Order.seller_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        assignment = db.session.scalar(select(func.min(m.DeviceAssignment.id)))
        order = db.session.scalar(select(func.min(m.Order.id)).where(m.Order.seller_id == coop))
        return {"cooperative": coop, "assignment": assignment, "order": order}


def _form(key: str, ids: dict) -> dict:
    spec = reports()[key]
    values = {
        "period": PERIOD,
        "province": "",
        "map": "",
        "cohort": "",
        "format": "pdf",
        "cooperative": str(ids["cooperative"]),
        "assignment": str(ids["assignment"]),
        "order": str(ids["order"]),
    }
    return {k: v for k, v in values.items() if k in spec.parameters or k == "format"}


@pytest.fixture(scope="module")
def pdfs(app, ids):
    """Each PDF report, requested once through the console by the ministry: (bytes, text, archive)."""
    client = app.test_client()
    login_as(client, "ministere")
    result = {}
    for key, spec in reports().items():
        if "pdf" in spec.formats:
            data = fetch_report(app, client, "ministere", key, **_form(key, ids))
            result[key] = (data, pdf_text(data), latest_archive(app, "ministere"))
    return result


def page_text(data: bytes, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout.decode()


def test_national_sales_pdf_totals_equal_database_sums(pdfs, db_session):
    text = pdfs["ventes-mensuel"][1]
    gross, tax = sales_sums(db_session)
    assert gross > 0
    total = line_starting(text, "Total", after="Ventes par province")
    assert francs(total) == [gross, tax]
    assert f"{gross:,}".replace(",", " ") + " FBu" in text


def test_province_sales_pdf_totals_equal_that_province_sums(app, client, db_session):
    login_as(client, "coord")
    text = pdf_text(
        fetch_report(
            app,
            client,
            "coord",
            "ventes-mensuel",
            period=PERIOD,
            province=COORDINATOR_PROVINCE,
            format="pdf",
        )
    )
    gross, tax = sales_sums(db_session, province_code=COORDINATOR_PROVINCE)
    assert 0 < gross < sales_sums(db_session)[0]
    assert francs(line_starting(text, "Total", after="Ventes par province")) == [gross, tax]
    assert "Province de Gitega (carte de 2025)" in text


def test_tax_statement_pdf_totals_equal_database_sums(pdfs, db_session):
    text = pdfs["recettes-fiscales"][1]
    period = parse_period(PERIOD)
    sale = (
        m.Order.placed_at >= period.utc_start,
        m.Order.placed_at < period.utc_end,
        m.Order.status != m.OrderStatus.CANCELLED,
    )
    due = db_session.scalar(select(func.sum(m.OrderLine.tax)).join(m.Order).where(*sale))
    collected = db_session.scalar(select(func.sum(m.Payment.tax_amount)).join(m.Order).where(*sale))
    remitted = db_session.scalar(
        select(func.coalesce(func.sum(m.TaxRemittance.amount), 0)).where(
            m.TaxRemittance.tax_kind == m.TaxKind.VAT,
            m.TaxRemittance.period_end >= period.start,
            m.TaxRemittance.period_end <= period.end,
        )
    )
    total = line_starting(text, "Total", after="Recettes par vendeur")
    assert due > 0
    registered = db_session.scalar(
        select(func.coalesce(func.sum(InvoiceMessage.tax), 0))
        .join(m.Order, m.Order.id == InvoiceMessage.order_id)
        .where(
            *sale,
            InvoiceMessage.kind == MessageKind.INVOICE,
            InvoiceMessage.state == MessageState.REGISTERED,
        )
    )
    assert francs(total) == [due, collected, remitted, due - remitted, registered]


def test_cooperative_sheet_twelve_month_total_equals_the_cooperative_sales(pdfs, db_session, ids):
    text = pdfs["fiche-cooperative"][1]
    start = parse_period("2023-06").utc_start
    end = parse_period(PERIOD).utc_end
    gross, due = db_session.execute(
        select(func.sum(m.OrderLine.gross), func.sum(m.OrderLine.tax))
        .join(m.Order)
        .where(
            m.Order.seller_id == ids["cooperative"],
            m.Order.placed_at >= start,
            m.Order.placed_at < end,
            m.Order.status != m.OrderStatus.CANCELLED,
        )
    ).one()
    assert gross > 0
    assert francs(line_starting(text, "Total", after="Ventes et taxes"))[:2] == [gross, due]


def test_inventory_total_equals_the_number_of_devices(pdfs, db_session):
    text = pdfs["inventaire-tablettes"][1]
    devices = db_session.scalar(select(func.count()).select_from(m.Device))
    total = line_starting(text, "Total", after="par province et par statut")
    assert int(total.split()[-1]) == devices > 0


def test_pilot_report_counts_trained_participants_by_gender(pdfs, db_session):
    text = pdfs["programme-pilote"][1]
    women = db_session.scalar(select(func.count()).where(m.Attendance.gender == m.Gender.FEMALE))
    men = db_session.scalar(select(func.count()).where(m.Attendance.gender == m.Gender.MALE))
    assert women + men > 0
    assert f"{women} femmes · {men} hommes" in text


def test_handover_receipt_is_one_page_with_signature_lines(pdfs):
    data, text, _archive = pdfs["bon-de-remise"]
    assert page_count(data) == 1
    for role in ("Remis par", "Reçu par", "Visa"):
        assert role in text
    assert text.count("Signature") >= 3


@pytest.mark.parametrize("key", [k for k, s in reports().items() if "pdf" in s.formats])
def test_every_pdf_has_issuer_title_pages_and_its_verification_code(pdfs, key):
    """Header, parameters, date, user, ``Page x / y`` and the archived code on each PDF."""
    data, text, archive = pdfs[key]
    pages = page_count(data)
    assert "RÉPUBLIQUE DU BURUNDI" in text.upper()
    assert (
        "Direction de la promotion de l'économie locale, des coopératives et de l'entrepreneuriat"
        in text
    )
    assert "Projet e-commerce des coopératives avec le PNUD" in text
    assert reports()[key].title in text
    assert f"Page 1 / {pages}" in text and f"Page {pages} / {pages}" in text
    assert display_code(archive.code) in text
    assert re.search(r"Généré le \d{2}/\d{2}/\d{4} \d{2}:\d{2} \(heure de Bujumbura\)", text)
    assert "par ministere" in text
    png = first_page_png(data, f"rapport-{key}")
    assert png.stat().st_size > 10_000


def test_long_tables_repeat_their_header_on_following_pages(pdfs):
    data = pdfs["recettes-fiscales"][0]
    assert page_count(data) >= 2
    second = page_text(data, 2)
    assert "Encaissée" in second and "Versée" in second


def test_pdf_renderer_fetches_only_local_resources():
    from reports.pdf import PDF_TEMPLATES, make_fetcher, render_pdf

    fetcher = make_fetcher()
    for url in ("http://example.org/logo.png", "https://example.org/x.css", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url) if hasattr(fetcher, "fetch") else fetcher(url)
    local = (PDF_TEMPLATES / "report.css").as_uri()
    response = fetcher.fetch(local) if hasattr(fetcher, "fetch") else fetcher(local)
    assert response is not None
    # A remote image in a template is skipped, never downloaded: the PDF still renders.
    pdf = render_pdf('<p>Bonjour</p><img src="http://127.0.0.1:9/pixel.png">')
    assert pdf.startswith(b"%PDF")


def _words_outside_the_margins(data: bytes, margin_mm: float = 14) -> list[tuple]:
    """Words (page, text, xMin, xMax) not within the left and right margins of their page,
    read with pdftotext -bbox (points, from the page's top left)."""
    from xml.etree import ElementTree

    html = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    namespace = {"x": "http://www.w3.org/1999/xhtml"}
    margin = margin_mm / 25.4 * 72
    outside = []
    pages = ElementTree.fromstring(html).iterfind(".//x:page", namespace)
    for number, page in enumerate(pages, start=1):
        width = float(page.get("width"))
        for word in page.iterfind("x:word", namespace):
            x_min, x_max = float(word.get("xMin")), float(word.get("xMax"))
            if x_min < margin - 1 or x_max > width - margin + 1:
                outside.append((number, word.text, round(x_min), round(x_max), round(width)))
    return outside


def test_the_tax_statement_tables_stay_inside_the_page_margins(app, pdfs, ids):
    """The month's statement, and the year's (larger amounts in the unbreakable columns)."""
    data, text, _ = pdfs["recettes-fiscales"]
    assert "Recettes par vendeur" in text and "Signalements" in text
    assert _words_outside_the_margins(data) == []
    client = app.test_client()
    login_as(client, "ministere")
    form = {**_form("recettes-fiscales", ids), "period": "2024"}
    yearly = fetch_report(app, client, "ministere", "recettes-fiscales", **form)
    assert "Recettes par vendeur" in pdf_text(yearly)
    assert _words_outside_the_margins(yearly) == []
