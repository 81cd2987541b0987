"""Settings are read in config.py only: no other module reads or edits the environment."""

from __future__ import annotations

import re
from pathlib import Path

import config

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENT = re.compile(r"\bos\.(environ|getenv|putenv)\b")


def test_only_config_reads_the_environment():
    paths = [
        ROOT / "run.py",
        *(
            p
            for pkg in ("console", "dashboards", "reports", "importers")
            for p in (ROOT / pkg).rglob("*.py")
        ),
    ]
    offenders = [str(p.relative_to(ROOT)) for p in paths if ENVIRONMENT.search(p.read_text())]
    assert not offenders


def test_the_demo_run_gets_the_demo_settings_without_touching_the_environment(monkeypatch):
    monkeypatch.delenv("ISOKO_ENV", raising=False)
    monkeypatch.delenv("ISOKO_DEMO", raising=False)
    chosen = config.config_for_environment(demo=True)
    assert chosen.DEMO_MODE is True and chosen.ENV_NAME == "development"
    assert chosen.SESSION_COOKIE_SECURE is False
    assert config.config_for_environment() is config.Config
