"""The eBMS sandbox's store: registered invoices in SQLite (a file, or memory)."""

from __future__ import annotations

import contextlib
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
    invoice_number TEXT NOT NULL DEFAULT '',
    tp_tin TEXT NOT NULL DEFAULT '',
    tax INTEGER NOT NULL,
    payload TEXT NOT NULL,
    cancelled_motif TEXT
);
CREATE INDEX IF NOT EXISTS ix_invoice_number ON invoice (tp_tin, invoice_number);
CREATE TABLE IF NOT EXISTS taxpayer (tin TEXT PRIMARY KEY, name TEXT NOT NULL);
"""


class SandboxStore:
    """Invoices OBR registered; every method is one atomic statement or transaction.

    In memory (tests, drills): one connection shared under a lock (a statement takes
    microseconds). In a file (``isoko ebms-sandbox --db``): one connection per server
    thread on a WAL database, so readers never wait for the writer and a commit costs no
    fsync (synchronous=NORMAL); SQLite serialises the writers itself.
    """

    def __init__(self, path: str = ":memory:", secret: bytes = b"isoko-ebms-sandbox") -> None:
        self._path = path
        self._memory = path == ":memory:" or path.startswith("file::memory:")
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opening = threading.Lock()
        self._lock = threading.Lock() if self._memory else contextlib.nullcontext()
        self._shared = self._open() if self._memory else None
        self._conn().executescript(SCHEMA)
        self._secret = secret

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None, timeout=30)
        if self._memory:
            db.execute("PRAGMA journal_mode=MEMORY")
        else:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        with self._opening:
            self._opened.append(db)
        return db

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (the shared one in memory)."""
        if self._shared is not None:
            return self._shared
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._open()
        return db

    def close(self) -> None:
        with self._opening:
            for db in self._opened:
                db.close()
            self._opened.clear()

    def signature(self, identifier: str) -> str:
        """OBR's electronic signature of an identifier (an HMAC here: only the sandbox can make one)."""
        return hmac.new(self._secret, identifier.encode(), hashlib.sha256).hexdigest()

    def register(self, identifier: str, invoice: dict, tax: int) -> dict | None:
        """Register an invoice; None when the identifier is already registered."""
        now = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        with self._lock:
            try:
                cursor = self._conn().execute(
                    "INSERT INTO invoice (identifier, registered_date, signature, invoice_type,"
                    " invoice_number, tp_tin, tax, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        identifier,
                        now,
                        self.signature(identifier),
                        invoice.get("invoice_type", "FN"),
                        str(invoice.get("invoice_number") or ""),
                        str(invoice.get("tp_TIN") or ""),
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
            row = (
                self._conn()
                .execute(
                    "SELECT registered_number, registered_date, signature, payload, cancelled_motif"
                    " FROM invoice WHERE identifier = ?",
                    (identifier,),
                )
                .fetchone()
            )
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

    def knows_ref(self, ref: str, tin: str) -> bool:
        """Whether a credit note's ``invoice_ref`` names a registered invoice of this seller:
        its identifier, or its number (OBR's specification is read both ways)."""
        with self._lock:
            row = (
                self._conn()
                .execute(
                    "SELECT 1 FROM invoice WHERE invoice_type = 'FN' AND (identifier = ?"
                    " OR (tp_tin = ? AND invoice_number = ?))",
                    (ref, tin, ref),
                )
                .fetchone()
            )
        return row is not None

    def cancel(self, identifier: str, motif: str) -> str:
        """Cancel a registered invoice: 'cancelled', 'unknown' or 'already'."""
        with self._lock:
            db = self._conn()
            changed = db.execute(
                "UPDATE invoice SET cancelled_motif = ? WHERE identifier = ?"
                " AND cancelled_motif IS NULL",
                (motif, identifier),
            ).rowcount
            if changed:
                return "cancelled"
            known = db.execute("SELECT 1 FROM invoice WHERE identifier = ?", (identifier,))
            return "already" if known.fetchone() else "unknown"

    def add_taxpayers(self, taxpayers: dict[str, str]) -> None:
        """Make NIFs known to checkTIN (NIF → name)."""
        with self._lock:
            self._conn().executemany(
                "INSERT OR REPLACE INTO taxpayer (tin, name) VALUES (?, ?)", taxpayers.items()
            )

    def taxpayer(self, tin: str) -> str | None:
        """The name of a known taxpayer, or None."""
        with self._lock:
            row = self._conn().execute("SELECT name FROM taxpayer WHERE tin = ?", (tin,)).fetchone()
        return row[0] if row else None

    def identifiers(self) -> set[str]:
        """Every identifier registered (the drill compares them with Isoko's)."""
        with self._lock:
            return {row[0] for row in self._conn().execute("SELECT identifier FROM invoice")}

    def stats(self) -> dict:
        """Counts and sums the drill compares with Isoko's: invoices by type, tax, duplicates."""
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT invoice_type, count(*), coalesce(sum(tax), 0) FROM invoice"
                    " WHERE cancelled_motif IS NULL GROUP BY invoice_type"
                )
                .fetchall()
            )
            total = (
                self._conn()
                .execute("SELECT count(*), count(DISTINCT identifier) FROM invoice")
                .fetchone()
            )
        return {
            "by_type": {t: {"count": c, "tax": s} for t, c, s in rows},
            "invoices": total[0],
            "distinct_identifiers": total[1],
        }
