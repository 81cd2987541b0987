"""The very first process of a clean clone speaks Isoko's French, not FAB's."""

from __future__ import annotations

import html
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# FAB's own French that Isoko's fix-up catalogue corrects (see console/translations/fr).
FAB_WORDING = ["S'enregistrer", "Ajouter un filter", "Nombre de record", "Se deconnecter"]


def _clean_clone(target: Path) -> Path:
    """Copy what git tracks (and new, not ignored files): no compiled ``.mo``, no instance."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file() and not name.startswith("tests/"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    assert not list(target.rglob("*.mo"))
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 240) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"run.py s'est arrêté : {process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return html.unescape(response.read().decode())
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} ne répond pas")


def _environment() -> dict[str, str]:
    """This process's environment, less what an in-process `flask` CLI test left behind
    (FLASK_RUN_FROM_CLI makes app.run() in run.py return at once)."""
    return {k: v for k, v in os.environ.items() if k != "FLASK_RUN_FROM_CLI"}


def test_first_start_of_a_clean_clone_shows_isoko_french_on_the_sign_in_page(tmp_path):
    clone = _clean_clone(tmp_path / "clone")
    port = _free_port()
    env = {
        **_environment(),
        "ISOKO_ENV": "development",
        "ISOKO_INSTANCE_DIR": str(tmp_path / "instance"),
        "ISOKO_DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'isoko.db'}",
        "ISOKO_ADMIN_PASSWORD": "Premier-Demarrage-2026!",
        "PYTHONPATH": str(clone),
    }
    process = subprocess.Popen(
        [sys.executable, "run.py", "--port", str(port)],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page = _wait_for(f"http://127.0.0.1:{port}/login/", process)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "Se connecter" in page and "Mot de passe" in page
    assert [words for words in FAB_WORDING if words in page] == []
    assert list((clone / "console" / "translations").rglob("*.mo"))  # compiled by this start


def test_a_second_start_syncs_the_roles_without_fab_refusal_warnings(app, caplog):
    from console.security.roles import sync_roles

    with app.app_context(), caplog.at_level("WARNING"):
        sync_roles(app.appbuilder)
    assert [r.getMessage() for r in caplog.records if "Refused" in r.getMessage()] == []


def test_first_run_says_each_step_and_gives_the_admin_and_demo_passwords_apart(app):
    import run

    from .conftest import login

    steps: list[str] = []
    app.config["ADMIN_PASSWORD"] = None
    [admin_line] = run.prepare(app, False, 0, steps.append)
    assert [step.split(" ")[0] for step in steps] == ["Base", "Données", "Rôles"]
    assert "5 rôles" in steps[2]
    with app.app_context():
        [demo_line] = run._demo_accounts(app)
    admin_password = admin_line.rsplit(" ", 1)[-1]
    demo_password = demo_line.rsplit(" ", 1)[-1]
    assert "admin" in admin_line and "pnud (PNUD)" in demo_line
    assert admin_password != demo_password and admin_password not in demo_line
    for username, password in (("admin", admin_password), ("pnud", demo_password)):
        client = app.test_client()
        assert "/logout/" in login(client, username, password).get_data(as_text=True)
