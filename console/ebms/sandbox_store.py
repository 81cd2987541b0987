"""The eBMS sandbox's store: registered invoices in SQLite (a file, or memory), one lock."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import sqlite3
import threading

SCHEMA = """
CREATE TABLE IF NOT EXISTS invoice (
    registered_number INTEGER PRIMARY KEY AUTOINCREMENT,
    identifier TEXT NOT NULL UNIQUE,
    registered_date TEXT NOT NULL,
    signature TEXT NOT NULL,
    invoice_type TEXT NOT NULL,
    tax INTEGER NOT NULL,
    payload TEXT NOT NULL,
    cancelled_motif TEXT
);
CREATE TABLE IF NOT EXISTS taxpayer (tin TEXT PRIMARY KEY, name TEXT NOT NULL);
"""


class SandboxStore:
    """Invoices OBR registered; every method is atomic under the store's lock."""

    def __init__(self, path: str = ":memory:", secret: bytes = b"isoko-ebms-sandbox") -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute(
            "PRAGMA journal_mode=WAL" if path != ":memory:" else "PRAGMA journal_mode=MEMORY"
        )
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._secret = secret

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def signature(self, identifier: str) -> str:
        """OBR's electronic signature of an identifier (an HMAC here: only the sandbox can make one)."""
        return hmac.new(self._secret, identifier.encode(), hashlib.sha256).hexdigest()

    def register(self, identifier: str, invoice: dict, tax: int) -> dict | None:
        """Register an invoice; None when the identifier is already registered."""
        now = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        with self._lock:
            try:
                cursor = self._db.execute(
                    "INSERT INTO invoice (identifier, registered_date, signature, invoice_type, tax, payload)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        identifier,
                        now,
                        self.signature(identifier),
                        invoice.get("invoice_type", "FN"),
                        tax,
                        json.dumps(invoice, ensure_ascii=False),
                    ),
                )
            except sqlite3.IntegrityError:
                return None
            number = cursor.lastrowid
        return {
            "invoice_registered_number": str(number),
            "invoice_registered_date": now,
            "electronic_signature": self.signature(identifier),
        }

    def find(self, identifier: str) -> dict | None:
        """A registered invoice with OBR's fields, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT registered_number, registered_date, signature, payload, cancelled_motif"
                " FROM invoice WHERE identifier = ?",
                (identifier,),
            ).fetchone()
        if row is None:
            return None
        invoice = json.loads(row[3])
        invoice.update(
            invoice_registered_number=str(row[0]),
            invoice_registered_date=row[1],
            electronic_signature=row[2],
            cancelled=row[4] is not None,
            cn_motif=row[4],
        )
        return invoice

    def cancel(self, identifier: str, motif: str) -> str:
        """Cancel a registered invoice: 'cancelled', 'unknown' or 'already'."""
        with self._lock:
            row = self._db.execute(
                "SELECT cancelled_motif FROM invoice WHERE identifier = ?", (identifier,)
            ).fetchone()
            if row is None:
                return "unknown"
            if row[0] is not None:
                return "already"
            self._db.execute(
                "UPDATE invoice SET cancelled_motif = ? WHERE identifier = ?", (motif, identifier)
            )
        return "cancelled"

    def add_taxpayers(self, taxpayers: dict[str, str]) -> None:
        """Make NIFs known to checkTIN (NIF → name)."""
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO taxpayer (tin, name) VALUES (?, ?)", taxpayers.items()
            )

    def taxpayer(self, tin: str) -> str | None:
        """The name of a known taxpayer, or None."""
        with self._lock:
            row = self._db.execute("SELECT name FROM taxpayer WHERE tin = ?", (tin,)).fetchone()
        return row[0] if row else None

    def stats(self) -> dict:
        """Counts and sums the drill compares with Isoko's: invoices by type, tax, duplicates."""
        with self._lock:
            rows = self._db.execute(
                "SELECT invoice_type, count(*), coalesce(sum(tax), 0) FROM invoice"
                " WHERE cancelled_motif IS NULL GROUP BY invoice_type"
            ).fetchall()
            total = self._db.execute(
                "SELECT count(*), count(DISTINCT identifier) FROM invoice"
            ).fetchone()
        return {
            "by_type": {t: {"count": c, "tax": s} for t, c, s in rows},
            "invoices": total[0],
            "distinct_identifiers": total[1],
        }
