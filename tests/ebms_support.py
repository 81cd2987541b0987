"""Fixtures shared by the eBMS tests: a sandbox on a free loopback port and a client for it."""

from __future__ import annotations

import pytest

from console.ebms.client import EbmsClient, EbmsSettings
from console.ebms.faults import Faults
from console.ebms.sandbox import EbmsSandbox

SYSTEM_ID = "ws400000000000"
PASSWORD = "sandbox-secret"


@pytest.fixture(scope="module")
def sandbox():
    """A real eBMS sandbox server in a thread, for the whole module."""
    server = EbmsSandbox(username=SYSTEM_ID, password=PASSWORD, faults=Faults(seed=7)).start()
    yield server
    server.stop()


@pytest.fixture
def calm(sandbox):
    """The sandbox with no faults (restored after the test), and its tokens expired."""
    sandbox.faults.update(
        {
            "latency_ms": 0,
            "down": False,
            "error_rate": 0,
            "drop_rate": 0,
            "timeout_after_write_rate": 0,
            "refuse_rate": 0,
            "hang_ms": 2000,
            "token_lifetime_s": 3600,
        }
    )
    sandbox.state.unknown_nifs.clear()
    yield sandbox
    sandbox.faults.update(
        {
            "latency_ms": 0,
            "down": False,
            "error_rate": 0,
            "drop_rate": 0,
            "timeout_after_write_rate": 0,
            "refuse_rate": 0,
        }
    )


def settings_for(sandbox, **overrides) -> EbmsSettings:
    values = {
        "base_url": sandbox.url,
        "username": SYSTEM_ID,
        "password": PASSWORD,
        "timeout_s": 1.0,
        "connect_timeout_s": 1.0,
        "parallelism": 4,
        **overrides,
    }
    return EbmsSettings(**values)


@pytest.fixture
def client(calm):
    with EbmsClient(settings_for(calm)) as ebms:
        yield ebms
