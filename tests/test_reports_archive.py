"""The archive and verification: every file recorded with its hash; copies checked byte for byte."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console import models as m
from reports.archive import stored_file
from reports.verification import display_code, normalise_code

from .reports_fixtures import PERIOD, generate, latest_archive, login_as, seeded_app_fixture

# This module's app: its own copy of the seeded reports database (replaces conftest's).
app = seeded_app_fixture(order_lines=1500)


@pytest.fixture(scope="module")
def report(app):
    """A province sales PDF requested by the coordinator: (bytes, archive)."""
    client = app.test_client()
    login_as(client, "coord")
    response = generate(client, "ventes-mensuel", period=PERIOD, province="BI25-GI", format="pdf")
    assert response.status_code == 200
    return response.data, latest_archive(app, "coord")


def _verify(
    client, code: str | None = None, content: bytes | None = None, name: str = "rapport.pdf"
):
    data = {}
    if code is not None:
        data["code"] = code
    if content is not None:
        data["file"] = (BytesIO(content), name)
    return client.post("/rapports/verifier/", data=data, content_type="multipart/form-data")


def test_generated_file_is_archived_with_hash_parameters_user_and_time(app, report):
    content, archive = report
    assert archive.status == m.ReportStatus.DONE
    assert archive.sha256 == hashlib.sha256(content).hexdigest()
    assert archive.size_bytes == len(content)
    assert archive.parameters == {"period": "2024-05", "province": "BI25-GI", "map": "2025"}
    assert archive.requested_by == "coord" and archive.requested_by_id is not None
    assert archive.requested_at is not None and archive.finished_at >= archive.requested_at
    with app.app_context():
        assert stored_file(app, archive).read_bytes() == content
        assert Path(app.config["REPORTS_DIR"]) in stored_file(app, archive).parents


def test_verification_codes_are_unique_ten_letter_base32(db_session, report):
    codes = db_session.scalars(select(m.ReportArchive.code)).all()
    assert len(codes) == len(set(codes))
    assert all(
        len(code) == 10 and set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for code in codes
    )


def test_unmodified_copy_with_its_code_is_authentic(client, report):
    content, archive = report
    login_as(client, "auditeur")
    page = _verify(client, display_code(archive.code), content).get_data(as_text=True)
    assert "Document authentique" in page
    assert "Rapport mensuel des ventes" in page and "coord" in page
    assert "Province de Gitega (carte de 2025)" in page
    assert archive.sha256 in page


def test_copy_with_one_byte_changed_is_reported_as_not_authentic(client, report):
    content, archive = report
    tampered = bytearray(content)
    tampered[len(tampered) // 2] ^= 0x01
    login_as(client, "ministere")
    page = _verify(client, archive.code, bytes(tampered)).get_data(as_text=True)
    assert "Document NON authentique" in page
    assert "modifié" in page
    page = _verify(client, None, bytes(tampered)).get_data(as_text=True)
    assert "Document NON authentique" in page


def test_file_alone_is_recognised_by_its_hash(client, report):
    content, archive = report
    login_as(client, "pnud")
    page = _verify(client, None, content).get_data(as_text=True)
    assert "Document authentique" in page
    assert display_code(archive.code) in page or archive.title in page


def test_typed_sha256_stands_in_for_a_file_too_big_to_upload(client, report):
    content, archive = report
    login_as(client, "auditeur")
    digest = hashlib.sha256(content).hexdigest().upper()
    page = client.post(
        "/rapports/verifier/", data={"code": archive.code, "sha256": digest}
    ).get_data(as_text=True)
    assert "Document authentique" in page
    response = client.post("/rapports/verifier/", data={"code": archive.code, "sha256": "abc123"})
    assert response.status_code == 400
    assert "64 caractères hexadécimaux" in response.get_data(as_text=True)


def test_unknown_code_is_reported_as_not_authentic(client):
    login_as(client, "auditeur")
    page = _verify(client, "ZZZZZ-ZZZZZ").get_data(as_text=True)
    assert "aucun rapport archivé ne correspond" in page


def test_code_alone_says_which_report_it_belongs_to(client, report):
    _content, archive = report
    login_as(client, "auditeur")
    page = client.get(f"/rapports/verifier/?code={archive.code.lower()}").get_data(as_text=True)
    assert "Ce code correspond à un rapport archivé" in page
    assert archive.title in page


def test_typed_codes_are_normalised():
    assert normalise_code(" k7qf2-m4xra ") == "K7QF2M4XRA"
    assert normalise_code("AB0CD-1EF8G") == "ABOCDIEFBG"


def test_empty_verification_asks_for_a_code_or_a_file(client):
    login_as(client, "auditeur")
    response = _verify(client, "")
    assert response.status_code == 400
    assert "Saisissez le code" in response.get_data(as_text=True)


def test_bad_period_gets_a_french_message_and_archives_nothing(client, db_session):
    before = db_session.scalar(select(func.count()).select_from(m.ReportArchive))
    login_as(client, "ministere")
    response = generate(client, "ventes-mensuel", period="mai 2024", province="", format="pdf")
    assert response.status_code == 400
    assert "indiquez un mois (AAAA-MM" in response.get_data(as_text=True)
    response = generate(client, "ventes-mensuel", period=PERIOD, province="", format="docx")
    assert response.status_code == 400
    assert "Format : choisissez PDF ou XLSX" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(m.ReportArchive)) == before


def test_command_line_report_is_archived_as_cron_and_copied(app, tmp_path, db_session):
    output = tmp_path / "ventes.pdf"
    result = app.test_cli_runner().invoke(
        args=[
            "report",
            "ventes-mensuel",
            "--period",
            PERIOD,
            "--province",
            "BI25-GI",
            "--format",
            "pdf",
            "--output",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    archive = db_session.scalar(
        select(m.ReportArchive).order_by(m.ReportArchive.id.desc()).limit(1)
    )
    assert (
        archive.requested_by == "cron"
        and archive.source == "cli"
        and archive.requested_by_id is None
    )
    assert hashlib.sha256(output.read_bytes()).hexdigest() == archive.sha256
    assert display_code(archive.code) in result.output


def test_command_line_defaults_to_the_previous_month_for_cron(app, db_session):
    from console.services.periods import add_months, today_local

    result = app.test_cli_runner().invoke(
        args=["report", "ventes-mensuel", "--province", "BI25-GI"]
    )
    assert result.exit_code == 0, result.output
    archive = db_session.scalar(
        select(m.ReportArchive).order_by(m.ReportArchive.id.desc()).limit(1)
    )
    assert archive.parameters["period"] == f"{add_months(today_local(), -1):%Y-%m}"


def test_command_line_refuses_a_bad_period_in_french(app, db_session):
    before = db_session.scalar(select(func.count()).select_from(m.ReportArchive))
    result = app.test_cli_runner().invoke(
        args=["report", "recettes-fiscales", "--period", "2024-13"]
    )
    assert result.exit_code != 0
    assert "indiquez un mois" in result.output
    assert db_session.scalar(select(func.count()).select_from(m.ReportArchive)) == before


def test_worker_command_explains_that_it_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "ISOKO_REDIS_URL" in result.output
