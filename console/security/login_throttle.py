"""Failed sign-ins counted per account and per address; successful ones never count.

FAB's own limiter counted every POST to /login/ per address, so ten colleagues behind one
office NAT address were refused after ten successful sign-ins. Here only failures count:
``AUTH_RATE_LIMIT`` per account (whatever the address: guessing one password from many
machines) and ``AUTH_ADDRESS_RATE_LIMIT`` per address (one machine trying many accounts).
A success clears its account's count, never the address's. Counts live in Redis when
``RATELIMIT_STORAGE_URI`` points there (shared by every gunicorn worker), in the process
otherwise, and in the process meanwhile when Redis is down: sign-in never answers 500.
An Admin unlocks an account from the users screen, an account or an address with
``isoko unlock-login``.
"""

from __future__ import annotations

import logging

from flask import Flask, abort, current_app, request
from limits import parse, storage, strategies

log = logging.getLogger(__name__)
EXTENSION = "isoko_login_throttle"


def _account_key(username: str | None) -> str:
    return (username or "").strip().casefold()


class LoginThrottle:
    """Failure counters for sign-in, per account and per address."""

    def __init__(self, storage_uri: str, per_account: str, per_address: str) -> None:
        self.per_account = parse(per_account)
        self.per_address = parse(per_address)
        self._primary = strategies.FixedWindowRateLimiter(storage.storage_from_string(storage_uri))
        self._fallback = strategies.FixedWindowRateLimiter(storage.MemoryStorage())

    def _run(self, method: str, *args):
        try:
            return getattr(self._primary, method)(*args)
        except Exception as exc:  # noqa: BLE001 - Redis down: count in this process meanwhile
            log.warning("login throttle storage unavailable (%s): counting in memory", exc)
            return getattr(self._fallback, method)(*args)

    def refused(self, username: str | None, address: str | None) -> bool:
        """Whether this account or this address has used up its failed attempts."""
        account = _account_key(username)
        return (bool(account) and not self._run("test", self.per_account, "account", account)) or (
            bool(address) and not self._run("test", self.per_address, "address", address)
        )

    def record_failure(self, username: str | None, address: str | None) -> None:
        if _account_key(username):
            self._run("hit", self.per_account, "account", _account_key(username))
        if address:
            self._run("hit", self.per_address, "address", address)

    def record_success(self, username: str | None) -> None:
        self.unlock(username=username)

    def unlock(self, username: str | None = None, address: str | None = None) -> None:
        """Forget the failures of an account and/or an address."""
        if _account_key(username):
            self._run("clear", self.per_account, "account", _account_key(username))
        if address:
            self._run("clear", self.per_address, "address", address)


def login_throttle(app: Flask | None = None) -> LoginThrottle | None:
    """The app's throttle, None when sign-in is not rate limited (tests, by config)."""
    return (app or current_app).extensions.get(EXTENSION)


def install_login_throttle(app: Flask) -> None:
    """Count failed sign-ins (IsokoSecurityManager.auth_user_db) and refuse with 429."""
    if not app.config.get("AUTH_RATE_LIMITED"):
        return
    app.extensions[EXTENSION] = LoginThrottle(
        app.config.get("RATELIMIT_STORAGE_URI") or "memory://",
        app.config["AUTH_RATE_LIMIT"],
        app.config["AUTH_ADDRESS_RATE_LIMIT"],
    )

    @app.before_request
    def _refuse_locked_sign_in():
        if request.method != "POST" or request.endpoint != "AuthDBView.login":
            return
        if login_throttle(app).refused(request.form.get("username"), request.remote_addr):
            abort(429)
