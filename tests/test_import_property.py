"""Generated garbage — random bytes and near-valid CSV — never crashes an import nor writes a row."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.models.imports import ImportOutcome

from .conftest import create_user
from .import_support import COOPERATIVES_CSV, ORDERS_CSV, PRODUCTS_CSV, fingerprint, run_as

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def loaded(app):
    create_user(app, "ministere", "Ministère")
    for kind, content in (
        ("cooperatives", COOPERATIVES_CSV),
        ("products", PRODUCTS_CSV),
        ("orders", ORDERS_CSV),
    ):
        assert run_as(app, kind, content, username="ministere").outcome == ImportOutcome.APPLIED
    return app


CELLS = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(
        [
            "",
            "=1+1",
            "-3",
            "31/02/2023",
            "45103",
            "1 234,5",
            "1.234.567",
            "oui",
            "Gitega",
            "ANACOOP/KI/001",
            "KI-HAR-001",
            "CMD-1",
            '"',
            ";",
            "\n",
            "\u202f",
            "\x00",
        ]
    ),
)


def _near_valid(base: str, data) -> str:
    """The base file with cells replaced, rows dropped or duplicated and the end cut off."""
    lines = base.splitlines()
    header, rows = lines[0], lines[1:]
    out = [header]
    for row in rows:
        cells = row.split(";")
        for _ in range(data.draw(st.integers(0, 3))):
            cells[data.draw(st.integers(0, len(cells) - 1))] = data.draw(CELLS)
        out.extend([";".join(cells)] * data.draw(st.integers(0, 2)))
    text = "\n".join(out) + "\n"
    return text[: data.draw(st.integers(len(header), len(text)))]


@SETTINGS
@given(
    kind=st.sampled_from(["cooperatives", "orders", "devices", "remittances"]),
    payload=st.binary(max_size=400),
)
def test_random_bytes_never_crash_nor_write(loaded, kind, payload):
    before = fingerprint(loaded)
    result = run_as(loaded, kind, payload, username="ministere")
    assert result.outcome in (ImportOutcome.REJECTED, ImportOutcome.APPLIED)
    if result.outcome == ImportOutcome.REJECTED:
        assert result.errors and all(e.message for e in result.errors)
        assert fingerprint(loaded) == before


@SETTINGS
@given(data=st.data(), kind=st.sampled_from(["cooperatives", "products", "orders"]))
def test_near_valid_files_never_crash_and_write_all_or_nothing(loaded, data, kind):
    base = {"cooperatives": COOPERATIVES_CSV, "products": PRODUCTS_CSV, "orders": ORDERS_CSV}[kind]
    content = _near_valid(base, data)
    before = fingerprint(loaded)
    result = run_as(loaded, kind, content, username="ministere", dry_run=True)
    assert result.outcome in (ImportOutcome.REJECTED, ImportOutcome.DRY_RUN)
    assert fingerprint(loaded) == before
    if result.outcome == ImportOutcome.DRY_RUN:
        assert result.created + result.updated + result.unchanged == result.rows_total
    else:
        assert result.error_count >= 1
