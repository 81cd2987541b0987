"""Operations: the health check, request logs and the read replica."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from console.models import Province

from .conftest import build_app, dispose_database, make_database_url, signed_in_client

MONITOR = {"X-Health-Token": "jeton-de-supervision"}


@pytest.fixture
def monitored(app):
    app.config["HEALTH_TOKEN"] = MONITOR["X-Health-Token"]
    yield app
    app.config["HEALTH_TOKEN"] = None


def test_health_says_up_to_anyone_and_details_to_the_monitor(client, monitored):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}  # nothing about the components
    body = client.get("/health", headers=MONITOR).get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "non configuré"
    assert "checks" not in client.get("/health", headers={"X-Health-Token": "devine"}).get_json()


def test_the_tab_icon_is_served_at_the_root_without_signing_in(client):
    # Browsers ask for /favicon.ico on every first visit; on the development server it
    # answered 404 (a console error on the sign-in page). nginx serves the same file.
    from pathlib import Path

    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    icon = Path(__file__).resolve().parent.parent / "console/static/isoko/favicon.ico"
    assert response.data == icon.read_bytes()


def test_health_details_for_a_signed_in_admin_only(app):
    pnud = signed_in_client(app, "pnud.sante", "PNUD")
    assert "checks" not in pnud.get("/health").get_json()
    admin = signed_in_client(app, "admin.sante", "Admin")
    assert admin.get("/health").get_json()["checks"]["database"] == "ok"


def test_health_degrades_but_answers_when_redis_is_down(monitored):
    app = monitored
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        body = app.test_client().get("/health", headers=MONITOR).get_json()
    finally:
        app.config["REDIS_URL"] = None
    assert body["status"] == "ok"
    assert body["checks"]["redis"].startswith("dégradé")


def test_each_request_is_logged_with_its_duration(client, caplog):
    with caplog.at_level(logging.INFO, logger="isoko.request"):
        client.get("/health")
    lines = [r.getMessage() for r in caplog.records if r.name == "isoko.request"]
    assert any('"path": "/health"' in line and '"duration_ms"' in line for line in lines)


def test_without_replica_reads_use_the_primary(app):
    from console.database import read_session
    from console.extensions import db

    with app.app_context():
        assert read_session().get_bind().url == db.engine.url


def test_with_replica_reads_go_to_the_replica(backend, tmp_path_factory):
    """A replica with different data proves dashboards' reads do not hit the primary."""
    primary = make_database_url(backend, tmp_path_factory)
    replica = make_database_url(
        backend, tmp_path_factory
    )  # a migrated copy standing in for the replica
    app = build_app(primary, {"SQLALCHEMY_REPLICA_URI": replica})
    try:
        from console.database import read_session
        from console.extensions import db

        with app.app_context():
            db.session.execute(
                sa.update(Province).where(Province.code == "BI-GI").values(name="Gitega (primaire)")
            )
            db.session.commit()
            seen = read_session().scalar(sa.select(Province.name).where(Province.code == "BI-GI"))
            assert seen == "Gitega"
            assert str(read_session().get_bind().url) != str(db.engine.url)
            read_session().close()
            db.session.remove()
            db.engine.dispose()
    finally:
        dispose_database(primary)
        dispose_database(replica)


def test_dashboards_and_reports_read_the_replica_while_archives_go_to_the_primary(
    backend, tmp_path_factory
):
    """Dashboard options and report figures come from the replica; the archive row does not."""
    from io import BytesIO

    from openpyxl import load_workbook

    from console.extensions import db
    from console.models import ReportArchive
    from console.security.scoping import NATIONAL
    from dashboards.layout import province_options

    from .conftest import create_user, login
    from .reports_fixtures import fetch_report

    primary = make_database_url(backend, tmp_path_factory)
    replica = make_database_url(backend, tmp_path_factory)
    app = build_app(primary, {"SQLALCHEMY_REPLICA_URI": replica})
    app.config["REPORTS_DIR"] = str(tmp_path_factory.mktemp("replica-reports"))
    try:
        with app.app_context():
            db.session.execute(
                sa.update(Province).where(Province.code == "BI-GI").values(name="Gitega (primaire)")
            )
            db.session.commit()
        create_user(app, "ministere", "Ministère")
        with app.test_request_context():
            names = {option["label"] for option in province_options(NATIONAL, "2015")}
        assert "Gitega" in names and "Gitega (primaire)" not in names

        client = app.test_client()
        login(client, "ministere")
        content = fetch_report(
            app, client, "ministere", "ventes-mensuel", period="2024-05", province="", format="xlsx"
        )
        sheet = load_workbook(BytesIO(content))["Par province"]
        listed = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert "Gitega" in listed and "Gitega (primaire)" not in listed
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportArchive)) == 1
            db.session.remove()
            db.engine.dispose()
    finally:
        dispose_database(primary)
        dispose_database(replica)


def test_generated_passwords_pass_the_complexity_rule(app):
    from flask_appbuilder.validators import default_password_complexity

    from console.services.accounts import random_password

    with app.test_request_context():
        for _ in range(200):
            default_password_complexity(random_password())  # raises when too weak
