"""An eBMS sandbox: a real HTTP server that behaves like OBR's invoicing interface.

``isoko ebms-sandbox --port 8765`` runs it as a process; tests and the demo start it in a
thread (:class:`EbmsSandbox`). It serves ``POST <base>/login``, ``addInvoice``,
``getInvoice``, ``cancelInvoice`` and ``checkTIN`` as EBMS.md describes them, and a
control interface under ``/_sandbox/`` (faults, token expiry, taxpayers, statistics) so a
test or the drill can change its behaviour while it runs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .faults import DROP, ERROR_5XX, TIMEOUT_AFTER_WRITE, Faults
from .interface import DATE_FORMAT, IDENTIFIER, INVOICE_TYPES, STAMP_FORMAT, answer
from .sandbox_store import SandboxStore

BASE_PATH = "/ebms_api/"
WELL_FORMED_NIF = re.compile(r"^[0-9]{10}$")
REQUIRED_FIELDS = (
    "invoice_number",
    "invoice_date",
    "invoice_type",
    "invoice_identifier",
    "tp_TIN",
    "tp_name",
    "payment_type",
    "invoice_currency",
    "invoice_items",
)
ITEM_AMOUNTS = (
    "item_price",
    "item_ct",
    "item_tl",
    "item_price_nvat",
    "vat",
    "item_price_wvat",
    "item_total_amount",
)
TOKEN_EXPIRED = "Token expiré ou invalide : reconnectez-vous."


class Refusal(Exception):
    """A business refusal: ``success: false`` with OBR's message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class EbmsState:
    """What one sandbox holds besides its store: credentials, tokens, faults, counters."""

    def __init__(
        self,
        store: SandboxStore,
        faults: Faults,
        username: str,
        password: str,
        accept_well_formed: bool,
    ) -> None:
        self.store, self.faults = store, faults
        self.username, self.password = username, password
        self.accept_well_formed = accept_well_formed
        self.unknown_nifs: set[str] = set()
        self.tokens: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def count(self, name: str) -> None:
        with self.lock:
            self.calls[name] = self.calls.get(name, 0) + 1

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.faults.token_lifetime_s
        return token

    def token_valid(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        with self.lock:
            expiry = self.tokens.get(header[7:].strip())
        return expiry is not None and expiry > time.monotonic()

    def expire_tokens(self) -> int:
        with self.lock:
            count = len(self.tokens)
            self.tokens.clear()
        return count

    def taxpayer_name(self, tin: str) -> str | None:
        """The name OBR knows for a NIF, or None when unknown."""
        if tin in self.unknown_nifs:
            return None
        name = self.store.taxpayer(tin)
        if name is None and self.accept_well_formed and WELL_FORMED_NIF.match(tin or ""):
            name = f"Contribuable {tin}"
        return name

    # The calls -----------------------------------------------------------------
    def login(self, body: dict) -> dict:
        if body.get("username") != self.username or body.get("password") != self.password:
            raise Refusal("Nom d'utilisateur ou mot de passe incorrect.", 401)
        return answer(True, "Opération réussie", {"token": self.issue_token()})

    def add_invoice(self, body: dict) -> dict:
        identifier = self.validate_invoice(body)
        if self.taxpayer_name(body["tp_TIN"]) is None:
            raise Refusal(f"Le NIF du contribuable {body['tp_TIN']} est inconnu.")
        if body["invoice_type"] == "FA" and not self.store.knows_ref(
            str(body["invoice_ref"]), str(body["tp_TIN"])
        ):
            raise Refusal(f"La facture de référence {body['invoice_ref']} est inconnue.")
        if self.faults.refuses():
            raise Refusal("Facture refusée : contrôle de cohérence échoué (refus simulé).")
        tax = sum(int(item["vat"]) for item in body["invoice_items"])
        registered = self.store.register(identifier, body, tax)
        if registered is None:
            raise Refusal(f"La facture {identifier} existe déjà.", 409)
        return answer(True, "La facture a été ajoutée avec succès.", registered)

    def validate_invoice(self, body: dict) -> str:
        """The identifier of a well-formed invoice, or a Refusal naming the first fault found."""
        missing = [name for name in REQUIRED_FIELDS if body.get(name) in (None, "")]
        if missing:
            raise Refusal(f"Champs obligatoires manquants : {', '.join(missing)}.")
        if body["invoice_type"] not in INVOICE_TYPES:
            raise Refusal(f"Type de facture inconnu : {body['invoice_type']}.")
        if body["invoice_type"] == "FA" and not (body.get("invoice_ref") and body.get("cn_motif")):
            raise Refusal("Une facture d'avoir exige invoice_ref et cn_motif.")
        try:
            invoice_date = dt.datetime.strptime(str(body["invoice_date"]), DATE_FORMAT)
        except ValueError as exc:
            raise Refusal("invoice_date doit être au format AAAA-MM-JJ hh:mm:ss.") from exc
        identifier = str(body["invoice_identifier"])
        parts = IDENTIFIER.match(identifier)
        if parts is None:
            raise Refusal(
                "invoice_identifier doit être NIF/identifiant système/AAAAMMJJhhmmss/numéro."
            )
        expected = {
            "nif": str(body["tp_TIN"]),
            "system": self.username,
            "stamp": invoice_date.strftime(STAMP_FORMAT),
            "number": str(body["invoice_number"]),
        }
        wrong = [part for part, value in expected.items() if parts[part] != value]
        if wrong:
            raise Refusal(
                f"invoice_identifier ne correspond pas à la facture ({', '.join(wrong)})."
            )
        items = body["invoice_items"]
        if not isinstance(items, list) or not items:
            raise Refusal("invoice_items doit contenir au moins une ligne.")
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict) or not item.get("item_designation"):
                raise Refusal(f"Ligne {index} : item_designation manquant.")
            if any(not isinstance(item.get(name), int) for name in ITEM_AMOUNTS):
                raise Refusal(f"Ligne {index} : les montants doivent être des francs entiers.")
            if item["item_price_nvat"] + item["vat"] != item["item_price_wvat"]:
                raise Refusal(f"Ligne {index} : item_price_nvat + vat ≠ item_price_wvat.")
        return identifier

    def get_invoice(self, body: dict) -> dict:
        invoice = self.store.find(str(body.get("invoice_signature") or ""))
        if invoice is None:
            raise Refusal("Aucune facture ne correspond à cette signature.", 404)
        return answer(True, "Opération réussie", {"invoices": [invoice]})

    def cancel_invoice(self, body: dict) -> dict:
        identifier, motif = (
            str(body.get("invoice_signature") or ""),
            str(body.get("cn_motif") or ""),
        )
        if not motif:
            raise Refusal("Le motif d'annulation (cn_motif) est obligatoire.")
        outcome = self.store.cancel(identifier, motif)
        if outcome == "unknown":
            raise Refusal("Aucune facture ne correspond à cette signature.", 404)
        if outcome == "already":
            raise Refusal("Cette facture est déjà annulée.", 409)
        return answer(True, "La facture a été annulée.", {"invoice_signature": identifier})

    def check_tin(self, body: dict) -> dict:
        tin = str(body.get("tp_TIN") or "")
        name = self.taxpayer_name(tin)
        if name is None:
            raise Refusal(f"Le NIF {tin} est inconnu.", 404)
        return answer(True, "Opération réussie", {"taxpayer": [{"tp_TIN": tin, "tp_name": name}]})

    def control(self, name: str, method: str, body: dict) -> dict:
        """The sandbox's own interface: faults, expiring tokens, taxpayers, statistics."""
        if name == "faults":
            refused = self.faults.update(body) if method == "POST" else []
            if refused:
                raise Refusal(f"Réglages inconnus ou invalides : {', '.join(refused)}.")
            return answer(True, "ok", self.faults.public())
        if name == "expire-tokens" and method == "POST":
            return answer(True, "ok", {"expired": self.expire_tokens()})
        if name == "taxpayers" and method == "POST":
            self.store.add_taxpayers({str(k): str(v) for k, v in (body.get("known") or {}).items()})
            self.unknown_nifs.update(str(t) for t in body.get("unknown") or [])
            self.unknown_nifs.difference_update(str(t) for t in body.get("known") or {})
            return answer(True, "ok")
        if name == "stats":
            with self.lock:
                calls = dict(self.calls)
            return answer(True, "ok", {**self.store.stats(), "calls": calls})
        raise Refusal("Commande inconnue.", 404)


CALLS = {
    "login": EbmsState.login,
    "addInvoice": EbmsState.add_invoice,
    "getInvoice": EbmsState.get_invoice,
    "cancelInvoice": EbmsState.cancel_invoice,
    "checkTIN": EbmsState.check_tin,
}


class EbmsHandler(BaseHTTPRequestHandler):
    """One HTTP/1.1 connection to the sandbox (keep-alive, as OBR's clients use it)."""

    protocol_version = "HTTP/1.1"
    server: EbmsHTTPServer

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            self._send(400, answer(False, "Le corps de la requête doit être un objet JSON."))
            return
        if path.startswith("/_sandbox/"):
            self._reply(lambda: state.control(path.removeprefix("/_sandbox/"), method, body))
            return
        call = path.rsplit("/", 1)[-1]
        if method != "POST" or call not in CALLS:
            self._send(404, answer(False, "Service inconnu."))
            return
        state.count(call)
        faults = state.faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if faults.down:
            self._send(503, None, "Service temporairement indisponible")
            return
        fault = faults.draw(call)
        if fault == DROP:
            self._drop()
            return
        if fault == ERROR_5XX:
            self._send(500, None, "Erreur interne du serveur")
            return
        if call != "login" and not state.token_valid(self.headers.get("Authorization")):
            self._send(401, answer(False, TOKEN_EXPIRED))
            return
        if fault == TIMEOUT_AFTER_WRITE:
            try:
                CALLS[call](state, body)
            except Refusal:
                pass
            state.stopping.wait(faults.hang_ms / 1000)
            self._drop()
            return
        self._reply(lambda: CALLS[call](state, body))

    def _reply(self, produce) -> None:
        try:
            self._send(200, produce())
        except Refusal as refusal:
            self._send(refusal.status, answer(False, str(refusal)))

    def _send(self, status: int, payload: dict | None, text: str = "") -> None:
        data = (json.dumps(payload, ensure_ascii=False) if payload is not None else text).encode()
        self.send_response(status)
        self.send_header(
            "Content-Type",
            "application/json; charset=utf-8"
            if payload is not None
            else "text/html; charset=utf-8",
        )
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Close the connection without a word, as a crashed or cut-off server does."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class EbmsHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    verbose = False

    def __init__(self, address, state: EbmsState) -> None:
        self.state = state
        super().__init__(address, EbmsHandler)

    def handle_error(self, request, client_address) -> None:
        """A client gone mid-request (killed, timed out) is no error of the sandbox's."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class EbmsSandbox:
    """The sandbox as an object: start it in a thread (tests, demo) or serve forever (CLI)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        username: str = "ws400000000000",
        password: str = "sandbox",
        store: SandboxStore | None = None,
        faults: Faults | None = None,
        accept_well_formed: bool = True,
        verbose: bool = False,
    ) -> None:
        self.state = EbmsState(
            store or SandboxStore(), faults or Faults(), username, password, accept_well_formed
        )
        self.server = EbmsHTTPServer((host, port), self.state)
        self.server.verbose = verbose
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL a client is configured with."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{BASE_PATH}"

    @property
    def store(self) -> SandboxStore:
        return self.state.store

    @property
    def faults(self) -> Faults:
        return self.state.faults

    def start(self) -> EbmsSandbox:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="ebms-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        """Stop serving and release hanging calls and the port."""
        self.state.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> EbmsSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
