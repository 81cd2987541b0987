"""What Isoko and OBR agree on (docs: /work/shared/EBMS.md): identifiers, dates, answers."""

from __future__ import annotations

import datetime as dt
import re

# <seller NIF>/<system identifier>/<YYYYMMDDhhmmss of invoice_date>/<invoice_number>
IDENTIFIER = re.compile(
    r"^(?P<nif>[0-9]{4,20})/(?P<system>[^/\s]+)/(?P<stamp>[0-9]{14})/(?P<number>[^/\s]+)$"
)
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # invoice_date, local (Bujumbura) time
STAMP_FORMAT = "%Y%m%d%H%M%S"
INVOICE_TYPES = frozenset({"FN", "FA", "RC", "RHF"})

# OBR's answers that Isoko recognises by their text (kept here, the one place to adapt
# when OBR's wording changes). Matched case-insensitively on a fragment.
TOKEN_EXPIRED_FRAGMENTS = ("token expir", "jeton expir", "token invalide", "jeton invalide")
DUPLICATE_FRAGMENTS = ("existe déjà", "deja enregistr", "déjà enregistr", "doublon")


def invoice_identifier(nif: str, system_id: str, invoice_date: dt.datetime, number: str) -> str:
    """The invoice's key at OBR, built from the seller, the system and the local invoice time."""
    return f"{nif}/{system_id}/{invoice_date.strftime(STAMP_FORMAT)}/{number}"


def answer(success: bool, msg: str, result: dict | None = None) -> dict:
    """Every eBMS answer: ``{"success", "msg", "result"}``."""
    return {"success": success, "msg": msg, "result": result or {}}


def says_token_expired(message: str) -> bool:
    """Whether an OBR message means the bearer token is no longer valid."""
    text = (message or "").lower()
    return any(fragment in text for fragment in TOKEN_EXPIRED_FRAGMENTS)


def says_duplicate(message: str) -> bool:
    """Whether an OBR refusal means the identifier is already registered."""
    text = (message or "").lower()
    return any(fragment in text for fragment in DUPLICATE_FRAGMENTS)
