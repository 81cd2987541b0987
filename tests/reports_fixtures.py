"""Helpers shared by the report tests: seeded data, users, and reading files back."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select

PERIOD = "2024-05"
UNTIL = dt.date(2024, 6, 30)
COORDINATOR_PROVINCE = "BI25-GI"  # Gitega on the 2025 map (covers four 2015 provinces)
OTHER_PROVINCE = "BI25-BT"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
_FRANCS = re.compile(r"(-?\d{1,3}(?: \d{3})*) ?FBu")


def seed(app, tmp_path_factory, order_lines: int = 2500) -> None:
    """Demo data until June 2024 and a private reports folder for this module's app."""
    app.config["REPORTS_DIR"] = str(tmp_path_factory.mktemp("reports"))
    _seed_demo(app, order_lines)


def _seed_demo(app, order_lines: int) -> None:
    from console.demo.seed import seed_demo
    from console.extensions import db

    with app.app_context():
        seed_demo(db, order_lines=order_lines, seed=11, until=UNTIL)


def _seed_with_users(app, order_lines: int) -> None:
    _seed_demo(app, order_lines)
    make_users(app)


def seeded_app_fixture(order_lines: int = 2500):
    """A module-scoped ``app`` fixture replacing conftest's: the module's own copy of a
    database with demo data until June 2024 and one user per role (see make_users), seeded
    once per session for each size, and a private reports folder."""
    from .conftest import Template, build_app, close_app, make_database_url

    template = Template(
        f"reports-{order_lines}", partial(_seed_with_users, order_lines=order_lines)
    )

    @pytest.fixture(scope="module")
    def app(backend, tmp_path_factory):
        url = make_database_url(backend, tmp_path_factory, template)
        application = build_app(url, {"REPORTS_DIR": str(tmp_path_factory.mktemp("reports"))})
        yield application
        close_app(application, url)

    return app


def login_as(client, username: str):
    """Sign out whoever is signed in, then sign in as ``username`` (FAB ignores a second login)."""
    from .conftest import login

    client.get("/logout/")
    response = login(client, username)
    assert "Tableau de bord" in response.get_data(as_text=True), username
    return response


def make_users(app) -> None:
    """One user per role; the coordinator sees Gitega (2025 map)."""
    from .conftest import create_user

    create_user(app, "ministere", "Ministère")
    create_user(app, "pnud", "PNUD")
    create_user(app, "auditeur", "Auditeur fiscal")
    create_user(app, "coord", "Coordinateur provincial", [COORDINATOR_PROVINCE])
    create_user(app, "coord.autre", "Coordinateur provincial", [OTHER_PROVINCE])


def normalise(text: str) -> str:
    """Text with the narrow and ordinary no-break spaces of French numbers made plain."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def pdf_text(data: bytes) -> str:
    """The text of a PDF, laid out (poppler's pdftotext)."""
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return normalise(done.stdout.decode())


def francs(line: str) -> list[int]:
    """Every ``1 234 FBu`` amount of a line of text, as ints."""
    return [int(match.replace(" ", "")) for match in _FRANCS.findall(normalise(line))]


def line_starting(text: str, start: str, after: str | None = None) -> str:
    """The first line beginning with ``start`` (after the line containing ``after``)."""
    lines = text.splitlines()
    if after is not None:
        index = next(i for i, line in enumerate(lines) if after in line)
        lines = lines[index + 1 :]
    return next(line for line in lines if line.strip().startswith(start))


def page_count(data: bytes) -> int:
    from io import BytesIO

    from pypdf import PdfReader

    return len(PdfReader(BytesIO(data)).pages)


def first_page_png(data: bytes, name: str) -> Path:
    """Render the first page to test-artifacts/NAME.png (pdftoppm) for a human look."""
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / name
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", "-", str(prefix)],
        input=data,
        check=True,
    )
    return prefix.with_suffix(".png")


def sales_sums(
    session, period_key: str = PERIOD, province_code: str | None = None
) -> tuple[int, int]:
    """(gross, tax) of non-cancelled order lines of the period, straight from SQL."""
    from console import models as m
    from reports.parameters import parse_period

    period = parse_period(period_key)
    stmt = (
        select(
            func.coalesce(func.sum(m.OrderLine.gross), 0),
            func.coalesce(func.sum(m.OrderLine.tax), 0),
        )
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(
            m.Order.placed_at >= period.utc_start,
            m.Order.placed_at < period.utc_end,
            m.Order.status != m.OrderStatus.CANCELLED,
        )
    )
    if province_code is not None:
        province = session.scalar(select(m.Province).where(m.Province.code == province_code))
        former = select(m.Province.id).where(m.Province.successor_id == province.id)
        stmt = stmt.join(m.Cooperative, m.Cooperative.id == m.Order.seller_id).where(
            (m.Cooperative.province_2025_id == province.id)
            | (m.Cooperative.province_id.in_(former))
            | (m.Cooperative.province_id == province.id)
        )
    gross, tax = session.execute(stmt).one()
    return int(gross), int(tax)


def generate(client, key: str, **form):
    """POST a report form; returns the response."""
    return client.post(f"/rapports/{key}/generer", data=form)


def latest_archive(app, username: str):
    """The most recent archive entry requested by ``username``."""
    from console.extensions import db
    from console.models import ReportArchive

    with app.app_context():
        archive = db.session.scalar(
            select(ReportArchive)
            .where(ReportArchive.requested_by == username)
            .order_by(ReportArchive.id.desc())
            .limit(1)
        )
        db.session.expunge_all()
        return archive


def fetch_report(app, client, username: str, key: str, **form) -> bytes:
    """The file of a report requested through the console: sent at once, or via Mes rapports."""
    response = generate(client, key, **form)
    if response.status_code == 200 and response.mimetype != "text/html":
        return response.data
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    archive = latest_archive(app, username)
    download = client.get(f"/rapports/mes-rapports/{archive.id}/telecharger")
    assert download.status_code == 200, archive.error
    return download.data
