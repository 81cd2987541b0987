"""The eBMS sandbox behaves like OBR, and the client tells transient failures from refusals."""
# ruff: noqa: F811  (the eBMS fixtures are imported from tests/ebms_support.py)

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import httpx
import pytest

from console.ebms.client import BusinessRefusal, EbmsClient, TransientError
from console.ebms.interface import invoice_identifier

from .ebms_support import SYSTEM_ID, calm, client, sandbox, settings_for  # noqa: F401

NIF = "4000000065"
WHEN = dt.datetime(2026, 12, 4, 10, 15, 30)


def invoice(number: str = "CMD-1", nif: str = NIF, **changes) -> dict:
    body = {
        "invoice_number": number,
        "invoice_date": WHEN.strftime("%Y-%m-%d %H:%M:%S"),
        "invoice_type": "FN",
        "invoice_identifier": invoice_identifier(nif, SYSTEM_ID, WHEN, number),
        "tp_TIN": nif,
        "tp_name": "Coopérative A",
        "payment_type": "1",
        "invoice_currency": "BIF",
        "invoice_items": [
            {
                "item_designation": "savon",
                "item_quantity": "3",
                "item_price": 1000,
                "item_ct": 0,
                "item_tl": 0,
                "item_price_nvat": 3000,
                "vat": 540,
                "item_price_wvat": 3540,
                "item_total_amount": 3540,
            }
        ],
    }
    body.update(changes)
    return body


def test_add_invoice_registers_once_and_refuses_the_duplicate(client, calm):
    result = client.add_invoice(invoice("CMD-DUP"))
    assert result["invoice_registered_number"] and result["electronic_signature"]
    with pytest.raises(BusinessRefusal, match="existe déjà"):
        client.add_invoice(invoice("CMD-DUP"))
    found = client.get_invoice(invoice("CMD-DUP")["invoice_identifier"])
    assert found["invoice_registered_number"] == result["invoice_registered_number"]
    assert calm.store.stats()["distinct_identifiers"] == calm.store.stats()["invoices"]


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"invoice_identifier": "4000000065/ws400000000000/20261204/CMD-X"},
            "invoice_identifier doit",
        ),
        ({"invoice_identifier": f"4000000065/autre/{WHEN:%Y%m%d%H%M%S}/CMD-X"}, "system"),
        ({"invoice_identifier": f"4000000065/{SYSTEM_ID}/20261204101531/CMD-X"}, "stamp"),
        ({"invoice_date": "04/12/2026"}, "invoice_date"),
        ({"invoice_type": "XX"}, "Type de facture"),
        ({"invoice_type": "FA"}, "invoice_ref et cn_motif"),
        ({"invoice_items": []}, "au moins une ligne"),
        ({"tp_name": ""}, "Champs obligatoires"),
    ],
)
def test_add_invoice_refuses_malformed_invoices_and_writes_nothing(client, calm, changes, message):
    before = calm.store.stats()["invoices"]
    with pytest.raises(BusinessRefusal, match=message):
        client.add_invoice(invoice("CMD-X", **changes))
    assert calm.store.stats()["invoices"] == before


def test_credit_note_needs_a_registered_invoice_as_its_ref(client, calm):
    original = invoice("CMD-ORIG")
    credit = invoice("CMD-ORIG-R1", invoice_type="FA", cn_motif="Retour de marchandises")
    before = calm.store.stats()["invoices"]
    with pytest.raises(BusinessRefusal, match="référence .* inconnue"):
        client.add_invoice({**credit, "invoice_ref": original["invoice_identifier"]})
    assert calm.store.stats()["invoices"] == before  # refused: nothing written
    client.add_invoice(original)
    assert client.add_invoice({**credit, "invoice_ref": original["invoice_identifier"]})
    # The original's number is accepted too, but only the same seller's.
    other = invoice("CMD-ORIG-R2", invoice_type="FA", cn_motif="Retour", invoice_ref="CMD-ORIG")
    assert client.add_invoice(other)
    stranger = invoice("CMD-ORIG-R3", nif="4000000066", invoice_type="FA", cn_motif="Retour")
    with pytest.raises(BusinessRefusal, match="inconnue"):
        client.add_invoice({**stranger, "invoice_ref": "CMD-ORIG"})


def test_line_amounts_must_add_up_and_be_whole_francs(client, calm):
    line = invoice()["invoice_items"][0]
    with pytest.raises(BusinessRefusal, match="≠"):
        client.add_invoice(invoice("CMD-SUM", invoice_items=[{**line, "vat": 541}]))
    with pytest.raises(BusinessRefusal, match="francs entiers"):
        client.add_invoice(invoice("CMD-FLT", invoice_items=[{**line, "vat": 540.5}]))


def test_unknown_nif_is_a_business_refusal_and_check_tin_says_so(client, calm):
    calm.state.unknown_nifs.add("4999999999")
    with pytest.raises(BusinessRefusal, match="inconnu"):
        client.add_invoice(invoice("CMD-NIF", nif="4999999999"))
    assert client.check_tin("4999999999").known is False
    assert client.check_tin(NIF).known is True
    assert client.check_tin("12AB").known is False


def test_expired_token_is_renewed_once_transparently(client, calm):
    client.check_tin(NIF)
    logins = client.logins
    calm.state.expire_tokens()
    assert client.check_tin(NIF).known
    assert client.logins == logins + 1


def test_short_token_lifetime_expires_tokens(client, calm):
    calm.faults.update({"token_lifetime_s": 0.2})
    client.check_tin(NIF)
    time.sleep(0.3)
    logins = client.logins
    client.check_tin(NIF)
    assert client.logins == logins + 1


def test_wrong_password_is_an_access_refusal_not_the_invoices_fault(calm):
    from console.ebms.client import AccessRefused

    with (
        EbmsClient(settings_for(calm, password="faux")) as ebms,
        pytest.raises(AccessRefused, match="Identifiants"),
    ):
        ebms.check_tin(NIF)


def test_5xx_and_down_are_transient(client, calm):
    client.check_tin(NIF)
    calm.faults.update({"error_rate": 1})
    with pytest.raises(TransientError) as error:
        client.add_invoice(invoice("CMD-500"))
    assert error.value.status == 500
    calm.faults.update({"error_rate": 0, "down": True})
    with pytest.raises(TransientError) as error:
        client.check_tin(NIF)
    assert error.value.status == 503


def test_dropped_connection_is_transient_and_uncertain(client, calm):
    client.check_tin(NIF)
    calm.faults.update({"drop_rate": 1})
    with pytest.raises(TransientError) as error:
        client.add_invoice(invoice("CMD-DROP"))
    assert error.value.uncertain
    calm.faults.update({"drop_rate": 0})
    assert client.get_invoice(invoice("CMD-DROP")["invoice_identifier"]) is None


def test_timeout_after_the_write_registers_the_invoice_without_answering(client, calm):
    client.check_tin(NIF)
    calm.faults.update({"timeout_after_write_rate": 1, "hang_ms": 3000})
    with pytest.raises(TransientError, match="délai") as error:
        client.add_invoice(invoice("CMD-HANG"))
    assert error.value.uncertain
    calm.faults.update({"timeout_after_write_rate": 0})
    assert client.get_invoice(invoice("CMD-HANG")["invoice_identifier"]) is not None


def test_connection_refused_is_transient_and_certain():
    from console.ebms.client import EbmsSettings

    settings = EbmsSettings(
        "http://127.0.0.1:9/ebms_api/", SYSTEM_ID, "x", timeout_s=1, connect_timeout_s=1
    )
    with EbmsClient(settings) as ebms, pytest.raises(TransientError) as error:
        ebms.check_tin(NIF)
    assert error.value.uncertain is False


def test_latency_and_faults_change_at_run_time_through_the_control_interface(calm):
    base = calm.url.split("/ebms_api/")[0]
    answer = httpx.post(f"{base}/_sandbox/faults", json={"latency_ms": 150}).json()
    assert answer["result"]["latency_ms"] == 150
    refused = httpx.post(f"{base}/_sandbox/faults", json={"nonsense": 1})
    assert refused.status_code == 400 and "nonsense" in refused.json()["msg"]
    started = time.monotonic()
    httpx.post(calm.url + "checkTIN", json={"tp_TIN": NIF})
    assert time.monotonic() - started >= 0.15


def test_cancel_invoice_cancels_once(client, calm):
    client.add_invoice(invoice("CMD-CAN"))
    identifier = invoice("CMD-CAN")["invoice_identifier"]
    client.cancel_invoice(identifier, "Commande annulée")
    assert client.get_invoice(identifier)["cancelled"] is True
    with pytest.raises(BusinessRefusal, match="déjà annulée"):
        client.cancel_invoice(identifier, "encore")


def test_sandbox_runs_as_a_separate_process(tmp_path):
    """`isoko ebms-sandbox --port N` serves the interface from its own process."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    isoko = str(__import__("pathlib").Path(sys.executable).with_name("isoko"))
    process = subprocess.Popen(
        [
            isoko,
            "ebms-sandbox",
            "--port",
            str(port),
            "--db",
            str(tmp_path / "obr.db"),
            "--password",
            "p",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/ebms_api/"
        for _ in range(100):
            try:
                answer = httpx.post(url + "login", json={"username": SYSTEM_ID, "password": "p"})
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert answer.json()["result"]["token"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_file_store_serves_concurrent_writers_once_each(tmp_path):
    """On a file (WAL, a connection per server thread), parallel sends register each once."""
    from concurrent.futures import ThreadPoolExecutor

    from console.ebms.sandbox import EbmsSandbox
    from console.ebms.sandbox_store import SandboxStore

    from .ebms_support import PASSWORD

    store = SandboxStore(str(tmp_path / "obr.sqlite"))
    with (
        EbmsSandbox(username=SYSTEM_ID, password=PASSWORD, store=store) as box,
        EbmsClient(settings_for(box, parallelism=8)) as ebms,
    ):

        def send(number: int) -> str:
            try:
                ebms.add_invoice(invoice(f"CMD-F{number % 40}"))
            except BusinessRefusal as refusal:
                return refusal.message
            return "ok"

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, range(80)))
        assert answers.count("ok") == 40 and sum("existe déjà" in a for a in answers) == 40
        assert box.store.stats()["invoices"] == 40 == len(box.store.identifiers())
        identifier = invoice("CMD-F7")["invoice_identifier"]
        assert ebms.cancel_invoice(identifier, "Erreur")["success"]
        with pytest.raises(BusinessRefusal, match="déjà annulée"):
            ebms.cancel_invoice(identifier, "Erreur")
    store.close()
