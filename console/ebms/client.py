"""The console's eBMS client: login, token renewal, and the four calls OBR answers.

Errors come in two kinds the worker treats differently:

* :class:`TransientError` — timeout, 5xx, connection refused or cut: retry with back-off.
  ``uncertain`` says the request may have reached OBR (anything but a failed connect),
  so an ``addInvoice`` must be checked with ``getInvoice`` before it is sent again.
* :class:`BusinessRefusal` — ``success: false`` with OBR's message: not retried blindly.
* :class:`AccessRefused` — OBR refuses the credentials: transient for the invoices (the
  settings are at fault), retried later.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import httpx

from .interface import says_token_expired


@dataclass(frozen=True)
class EbmsSettings:
    """Where and as whom Isoko talks to OBR (config.py: ISOKO_EBMS_*)."""

    base_url: str
    username: str  # doubles as the system identifier in invoice identifiers
    password: str
    timeout_s: float = 15.0
    connect_timeout_s: float = 5.0
    parallelism: int = 8

    @classmethod
    def from_config(cls, config) -> EbmsSettings | None:
        """The settings of an app config, or None when transmission is not configured."""
        url, user, password = (
            config.get("EBMS_BASE_URL"),
            config.get("EBMS_USERNAME"),
            config.get("EBMS_PASSWORD"),
        )
        if not (url and user and password):
            return None
        return cls(
            url if url.endswith("/") else url + "/",
            user,
            password,
            float(config.get("EBMS_TIMEOUT_S") or 15),
            float(config.get("EBMS_CONNECT_TIMEOUT_S") or 5),
            int(config.get("EBMS_PARALLELISM") or 8),
        )


class EbmsError(Exception):
    """Anything that kept a call from succeeding."""

    def __init__(self, message: str, status: int | None = None, body: dict | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.body = message, status, body


class TransientError(EbmsError):
    """OBR did not answer usefully (timeout, 5xx, connection): try again later."""

    def __init__(self, message: str, status: int | None = None, uncertain: bool = True) -> None:
        super().__init__(message, status)
        self.uncertain = uncertain


class BusinessRefusal(EbmsError):
    """OBR answered ``success: false``: its message says what to correct."""


class AccessRefused(TransientError):
    """OBR refuses Isoko's credentials: a settings problem, not the invoice's; retried later."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message, status, uncertain=False)


@dataclass(frozen=True)
class TinCheck:
    """OBR's answer about a NIF."""

    known: bool
    name: str | None
    message: str


class EbmsClient:
    """One client per process, shared by the worker's threads (login is serialised)."""

    def __init__(
        self, settings: EbmsSettings, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.settings = settings
        timeout = httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s)
        limits = httpx.Limits(
            max_connections=max(1, settings.parallelism),
            max_keepalive_connections=max(1, settings.parallelism),
        )
        self._http = httpx.Client(
            base_url=settings.base_url, timeout=timeout, limits=limits, transport=transport
        )
        self._token: str | None = None
        self._login_lock = threading.Lock()
        self.logins = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EbmsClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # Transport -----------------------------------------------------------------
    def _post(self, call: str, body: dict, token: str | None) -> dict:
        """One POST; the decoded answer, or the error it amounts to."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self._http.post(call, json=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise TransientError(
                f"OBR injoignable ({exc.__class__.__name__}).", uncertain=False
            ) from exc
        except httpx.TimeoutException as exc:
            raise TransientError("OBR n'a pas répondu dans le délai.") from exc
        except httpx.TransportError as exc:
            raise TransientError(
                f"Connexion à OBR interrompue ({exc.__class__.__name__})."
            ) from exc
        if response.status_code >= 500:
            raise TransientError(f"OBR a répondu {response.status_code}.", response.status_code)
        try:
            answer = response.json()
        except ValueError as exc:
            raise TransientError(
                f"Réponse illisible d'OBR (HTTP {response.status_code}).", response.status_code
            ) from exc
        if not isinstance(answer, dict):
            raise TransientError("Réponse inattendue d'OBR.", response.status_code)
        if response.status_code in (401, 403) or (
            not answer.get("success") and says_token_expired(str(answer.get("msg", "")))
        ):
            raise _Unauthorised(
                str(answer.get("msg") or "Accès refusé."), response.status_code, answer
            )
        if not answer.get("success"):
            raise BusinessRefusal(
                str(answer.get("msg") or "Refus sans message."), response.status_code, answer
            )
        return answer

    def login(self) -> str:
        """Log in and keep the token; the credentials' refusal is a BusinessRefusal."""
        try:
            answer = self._post(
                "login",
                {"username": self.settings.username, "password": self.settings.password},
                None,
            )
        except _Unauthorised as exc:
            raise AccessRefused(f"Identifiants eBMS refusés : {exc.message}", exc.status) from exc
        token = (answer.get("result") or {}).get("token")
        if not token:
            raise TransientError("Connexion à OBR sans jeton.", uncertain=False)
        self._token = token
        self.logins += 1
        return token

    def _token_for(self, stale: str | None) -> str:
        """A valid token: the current one, or a new login when ``stale`` was refused."""
        with self._login_lock:
            if self._token is None or self._token == stale:
                self.login()
            return self._token

    def call(self, call: str, body: dict) -> dict:
        """POST an authenticated call; on an expired token, log in again once and retry."""
        token = self._token_for(None)
        try:
            return self._post(call, body, token)
        except _Unauthorised:
            token = self._token_for(token)
        try:
            return self._post(call, body, token)
        except _Unauthorised as exc:
            raise AccessRefused(f"OBR refuse l'accès : {exc.message}", exc.status) from exc

    # The calls -----------------------------------------------------------------
    def add_invoice(self, invoice: dict) -> dict:
        """Register an invoice; OBR's result (number, date, signature)."""
        return self.call("addInvoice", invoice).get("result") or {}

    def get_invoice(self, identifier: str) -> dict | None:
        """The invoice OBR registered under this identifier, or None when it has none."""
        try:
            result = self.call("getInvoice", {"invoice_signature": identifier}).get("result") or {}
        except BusinessRefusal:
            return None
        invoices = result.get("invoices") or []
        return invoices[0] if invoices else None

    def cancel_invoice(self, identifier: str, motif: str) -> dict:
        """Cancel a registered invoice."""
        return self.call("cancelInvoice", {"invoice_signature": identifier, "cn_motif": motif})

    def check_tin(self, tin: str) -> TinCheck:
        """Whether OBR knows this NIF, and under which name."""
        try:
            answer = self.call("checkTIN", {"tp_TIN": tin})
        except BusinessRefusal as refusal:
            return TinCheck(False, None, refusal.message)
        taxpayers = (answer.get("result") or {}).get("taxpayer") or []
        name = taxpayers[0].get("tp_name") if taxpayers else None
        return TinCheck(True, name, str(answer.get("msg") or ""))


class _Unauthorised(EbmsError):
    """401/403 or OBR's expiry message: the token must be renewed."""
