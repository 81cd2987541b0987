"""OBR eBMS: drain throughput, and the drill that proves nothing is lost nor doubled.

    python -m bench.ebms throughput [--invoices 10000] [--latency-ms 50] [--parallelism 16]
                                    [--sandbox process|thread] [--database URL]
    python -m bench.ebms drill [--invoices 5000] [--down-s 120] [--database URL]

Both seed a scratch PostgreSQL database (bench.common; ``--database`` reuses a seeded one
and keeps it), queue exactly ``--invoices`` invoice messages, and talk to an eBMS sandbox.

* throughput: the sandbox's own capacity alone (addInvoice from a thread pool of the same
  width), then the drain of the backlog by Isoko (invoices/s), in the same run. The
  sandbox runs in its own process (`isoko ebms-sandbox`, as OBR is a server of its own);
  ``--sandbox thread`` puts it in this process, sharing its interpreter lock.
* drill: the sandbox is down for ``--down-s`` while `isoko ebms-drain` runs; then it answers
  with 200 ms latency, 5 % of timeouts after the write and one expired token; the drain
  process is SIGKILLed once mid-batch and restarted. At the end: one invoice per sale in
  the sandbox, every message registered, and the tax registered equals the tax stamped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa

from .common import ROOT, build_dataset, cli_environment, drop_database

SYSTEM_ID, PASSWORD = "ws400000000000", "bench"


def queue_invoices(url: str, count: int) -> int:
    """Queue the FN message of every sale, then keep exactly the first ``count``."""
    from console import create_app
    from console.extensions import db
    from console.models.ebms import InvoiceMessage
    from console.services.ebms.outbox import enqueue_placed_since

    from .common import bench_config

    app = create_app(bench_config(url))
    with app.app_context():
        db.session.execute(sa.delete(InvoiceMessage))
        enqueue_placed_since(db.session, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        last = db.session.scalar(
            sa.select(InvoiceMessage.id).order_by(InvoiceMessage.id).offset(count - 1).limit(1)
        )
        if last is not None:
            db.session.execute(sa.delete(InvoiceMessage).where(InvoiceMessage.id > last))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # as autovacuum does after a burst of rows
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE ebms_message"))
        queued = db.session.scalar(sa.select(sa.func.count()).select_from(InvoiceMessage))
        db.session.remove()
        db.engine.dispose()
    return queued


def sandbox_capacity(sandbox, requests: int, parallelism: int) -> float:
    """addInvoice calls per second the sandbox answers alone (fresh identifiers)."""
    from console.ebms.client import EbmsClient, EbmsSettings
    from console.ebms.interface import invoice_identifier

    moment = dt.datetime(2026, 1, 1, 8, 0, 0)

    def body(n: int) -> dict:
        number = f"CAP-{n}"
        return {
            "invoice_number": number,
            "invoice_date": moment.strftime("%Y-%m-%d %H:%M:%S"),
            "invoice_type": "FN",
            "invoice_identifier": invoice_identifier("4999000001", SYSTEM_ID, moment, number),
            "tp_TIN": "4999000001",
            "tp_name": "Capacité",
            "payment_type": "1",
            "invoice_currency": "BIF",
            "invoice_items": [
                {
                    "item_designation": "x",
                    "item_quantity": "1",
                    "item_price": 100,
                    "item_ct": 0,
                    "item_tl": 0,
                    "item_price_nvat": 100,
                    "vat": 18,
                    "item_price_wvat": 118,
                    "item_total_amount": 118,
                }
            ],
        }

    settings = EbmsSettings(sandbox.url, SYSTEM_ID, PASSWORD, parallelism=parallelism)
    with EbmsClient(settings) as client, ThreadPoolExecutor(parallelism) as pool:
        client.login()
        started = time.perf_counter()
        list(pool.map(lambda n: client.add_invoice(body(n)), range(requests)))
        return requests / (time.perf_counter() - started)


def totals(url: str) -> dict:
    """What Isoko holds: messages by state, and the tax of the registered ones."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        states = dict(
            conn.execute(sa.text("SELECT state, count(*) FROM ebms_message GROUP BY state")).all()
        )
        tax = conn.scalar(
            sa.text("SELECT coalesce(sum(tax), 0) FROM ebms_message WHERE state = 'registered'")
        )
        stamped = conn.scalar(
            sa.text(
                "SELECT coalesce(sum(l.tax), 0) FROM order_line l JOIN ebms_message m ON m.order_id = l.order_id"
            )
        )
        identifiers = set(
            conn.scalars(sa.text("SELECT identifier FROM ebms_message WHERE state = 'registered'"))
        )
        missing = conn.scalar(
            sa.text(
                "SELECT count(*) FROM ebms_message WHERE state = 'registered' AND obr_number IS NULL"
            )
        )
    engine.dispose()
    return {
        "states": states,
        "tax_registered": tax,
        "tax_stamped": stamped,
        "without_number": missing,
        "identifiers": identifiers,
    }


class _SandboxProcess:
    """`isoko ebms-sandbox` in a process of its own, as OBR is a server of its own."""

    def __init__(self, url: str, latency_ms: float) -> None:
        import httpx

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("isoko")), "ebms-sandbox", "--port", str(port)]
            + ["--username", SYSTEM_ID, "--password", PASSWORD, "--latency-ms", str(latency_ms)],
            cwd=ROOT,
            env=cli_environment(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}/ebms_api/"
        self._control = f"http://127.0.0.1:{port}/_sandbox/"
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.post(self._control + "stats", json={}, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise SystemExit("Le bac à sable eBMS n'a pas démarré.") from None
                time.sleep(0.3)

    def stats(self) -> dict:
        import httpx

        return httpx.post(self._control + "stats", json={}, timeout=30).json()["result"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def throughput(args) -> None:
    from console.ebms.client import EbmsClient, EbmsSettings
    from console.ebms.faults import Faults
    from console.ebms.sandbox import EbmsSandbox
    from console.services.ebms.transmission import RetryPolicy, drain

    data = _dataset(args, "ebms")
    try:
        queued = queue_invoices(data.url, args.invoices)
        if args.sandbox == "process":
            box = _SandboxProcess(data.url, args.latency_ms)
        else:
            box = EbmsSandbox(
                username=SYSTEM_ID, password=PASSWORD, faults=Faults(latency_ms=args.latency_ms)
            ).start()
        try:
            capacity = sandbox_capacity(box, min(3000, args.invoices), args.parallelism)
            engine = sa.create_engine(data.url, pool_size=2)
            settings = EbmsSettings(box.url, SYSTEM_ID, PASSWORD, parallelism=args.parallelism)
            with EbmsClient(settings) as client:
                started = time.perf_counter()
                result = drain(engine, client, RetryPolicy())
                elapsed = time.perf_counter() - started
            engine.dispose()
            stats = box.stats() if args.sandbox == "process" else box.store.stats()
        finally:
            box.stop()
        held = totals(data.url)
        print(
            f"Backlog : {queued} factures ; latence du bac à sable {args.latency_ms:.0f} ms ; "
            f"{args.parallelism} envois en parallèle ; bac à sable : {args.sandbox}"
        )
        print(f"Capacité du bac à sable seul : {capacity:.0f} factures/s")
        print(
            f"Vidage par Isoko : {result.registered} enregistrées en {elapsed:.1f} s = "
            f"{result.registered / elapsed:.0f} factures/s (objectif ≥ 100)"
        )
        print(
            f"Bac à sable : {stats['by_type'].get('FN', {}).get('count', 0)} FN (hors mesure de capacité : "
            f"{stats['invoices'] - min(3000, args.invoices)}), identifiants distincts = {stats['distinct_identifiers']}"
        )
        print(f"Isoko : { {k: v for k, v in held.items() if k != 'identifiers'} }")
    finally:
        if not args.database:
            drop_database(data.url)


def _drain_process(url: str, sandbox_url: str, log: Path) -> subprocess.Popen:
    env = cli_environment(
        url,
        ISOKO_EBMS_BASE_URL=sandbox_url,
        ISOKO_EBMS_USERNAME=SYSTEM_ID,
        ISOKO_EBMS_PASSWORD=PASSWORD,
        ISOKO_EBMS_TIMEOUT_S="1.5",
        ISOKO_EBMS_PARALLELISM="16",
        ISOKO_EBMS_RETRY_BASE_S="1",
        ISOKO_EBMS_RETRY_MAX_S="20",
        # The restarted worker takes over the killed one's messages once their lease ends.
        ISOKO_EBMS_LEASE_S="10",
    )
    with open(log, "a") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("isoko")), "ebms-drain", "--wait", "3600"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def drill(args) -> None:
    from console.ebms.faults import Faults
    from console.ebms.sandbox import EbmsSandbox

    data = _dataset(args, "ebmsdrill")
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "isoko-ebms-drill.log"
    log.write_text("")
    try:
        queued = queue_invoices(data.url, args.invoices)
        faults = Faults(down=True, seed=11, hang_ms=3000)
        with EbmsSandbox(username=SYSTEM_ID, password=PASSWORD, faults=faults) as box:
            process = _drain_process(data.url, box.url, log)
            started = time.perf_counter()
            print(f"{queued} ventes en attente ; OBR en panne pendant {args.down_s:.0f} s…")
            time.sleep(args.down_s)
            faults.update({"down": False, "latency_ms": 200, "timeout_after_write_rate": 0.05})
            print("OBR répond : 200 ms de latence, 5 % de coupures après l'écriture.")
            expired, killed = False, False
            while True:
                held = totals(data.url)
                registered = held["states"].get("registered", 0)
                if not expired and registered >= queued // 4:
                    box.state.expire_tokens()
                    expired = True
                    print(f"  jetons expirés à {registered} enregistrées")
                if not killed and registered >= queued // 2:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    killed = True
                    print(f"  travailleur tué (SIGKILL) à {registered} enregistrées ; relancé")
                    process = _drain_process(data.url, box.url, log)
                if held["states"].get("pending", 0) == 0 or process.poll() is not None:
                    break
                time.sleep(2)
            elapsed = time.perf_counter() - started
            process.terminate()
            process.wait()
            stats = box.store.stats()
            box_identifiers = box.store.identifiers()
        held = totals(data.url)
        registered_tax = stats["by_type"].get("FN", {}).get("tax", 0)
        print(f"Durée : {elapsed:.0f} s (dont {args.down_s:.0f} s de panne)")
        print(
            f"Bac à sable : {stats['invoices']} factures, {stats['distinct_identifiers']} identifiants distincts"
        )
        print(f"Isoko : { {k: v for k, v in held.items() if k != 'identifiers'} }")
        checks = {
            "une facture par vente": stats["invoices"] == stats["distinct_identifiers"] == queued
            and box_identifiers == held["identifiers"]
            and len(held["identifiers"]) == queued,
            "rien en attente": held["states"].get("pending", 0) == 0,
            "toutes enregistrées, avec leur numéro": held["states"].get("registered", 0) == queued
            and held["without_number"] == 0,
            "taxe enregistrée = taxe estampillée": registered_tax
            == held["tax_registered"]
            == held["tax_stamped"],
        }
        for label, ok in checks.items():
            print(f"  {'OK ' if ok else 'ÉCHEC'} {label}")
        if not all(checks.values()):
            sys.exit(1)
    finally:
        if not args.database:
            drop_database(data.url)


def _dataset(args, tag: str):
    """A scratch database seeded with enough sales, or the one given by --database (kept)."""
    if args.database:
        return SimpleNamespace(url=args.database)
    return build_dataset(max(2000, int(args.invoices * 2.2)), tag=tag, mevente=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fast = sub.add_parser("throughput")
    fast.add_argument("--invoices", type=int, default=10_000)
    fast.add_argument("--latency-ms", type=float, default=50.0)
    fast.add_argument("--parallelism", type=int, default=16)
    fast.add_argument(
        "--sandbox",
        choices=("process", "thread"),
        default="process",
        help="Bac à sable dans son propre processus (comme l'OBR) ou dans un fil de celui-ci.",
    )
    slow = sub.add_parser("drill")
    slow.add_argument("--invoices", type=int, default=5_000)
    slow.add_argument("--down-s", type=float, default=120.0)
    for command in (fast, slow):
        command.add_argument(
            "--database",
            help="Base déjà peuplée à réutiliser (ses messages eBMS sont remplacés ; non supprimée).",
        )
    args = parser.parse_args()
    throughput(args) if args.command == "throughput" else drill(args)


if __name__ == "__main__":
    main()
