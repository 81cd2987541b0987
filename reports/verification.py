"""Verification codes, their QR codes, and checking a file against the archive."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models.reports import ReportArchive, ReportStatus

CODE_LENGTH = 10  # base32: 50 random bits, unguessable, short enough to type
# Characters people type for base32 letters they look like (base32 has no 0, 1, 8 or 9).
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})

AUTHENTIC = "authentic"
MODIFIED = "modified"
UNKNOWN = "unknown"
REGISTERED = "registered"
PENDING = "pending"


def new_code() -> str:
    """A fresh random code such as ``K7QF2M4XRA``."""
    return base64.b32encode(secrets.token_bytes(7)).decode()[:CODE_LENGTH]


def display_code(code: str) -> str:
    """The code as printed: ``K7QF2-M4XRA``."""
    return f"{code[:5]}-{code[5:]}"


def normalise_code(text: str | None) -> str:
    """What the user typed, as stored: capitals, no spaces or dashes, lookalikes mapped."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return cleaned.translate(_LOOKALIKES)


def sha256_of(path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI, for the PDF (pure Python, no Pillow)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=1)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@dataclass(frozen=True)
class Verification:
    outcome: str  # authentic, modified, unknown, registered, pending
    archive: ReportArchive | None
    uploaded_sha256: str | None = None

    @property
    def message(self) -> str:
        """The verdict in French."""
        return {
            AUTHENTIC: "Document authentique : le fichier est identique, octet pour octet, au rapport archivé.",
            MODIFIED: "Document NON authentique : le fichier ne correspond pas au rapport archivé sous "
            "ce code (il a été modifié ou ce n'est pas le bon fichier).",
            UNKNOWN: "Document NON authentique : aucun rapport archivé ne correspond à ce code ou à ce fichier.",
            REGISTERED: "Ce code correspond à un rapport archivé. Pour vérifier qu'une copie n'a pas été "
            "modifiée, déposez aussi le fichier.",
            PENDING: "Ce code correspond à un rapport dont la génération n'est pas terminée.",
        }[self.outcome]

    @property
    def authentic(self) -> bool:
        return self.outcome == AUTHENTIC


def sha256_of_stream(stream) -> str | None:
    """SHA-256 of an uploaded file, read in chunks; None for an empty upload."""
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest() if size else None


def normalise_sha256(text: str | None) -> str | None:
    """A typed SHA-256 (64 hexadecimal characters), lower-cased; None when it is not one."""
    cleaned = "".join((text or "").split()).lower()
    return (
        cleaned if len(cleaned) == 64 and all(ch in "0123456789abcdef" for ch in cleaned) else None
    )


def verify(session: Session, code: str | None, uploaded: str | None) -> Verification:
    """Check a code, a file's SHA-256 (``uploaded``), or both against the archive."""
    code = normalise_code(code)
    if code:
        archive = session.scalar(select(ReportArchive).where(ReportArchive.code == code))
        if archive is None:
            return Verification(UNKNOWN, None, uploaded)
        if archive.status != ReportStatus.DONE:
            return Verification(PENDING, archive, uploaded)
        if uploaded is None:
            return Verification(REGISTERED, archive)
        outcome = AUTHENTIC if secrets.compare_digest(uploaded, archive.sha256 or "") else MODIFIED
        return Verification(outcome, archive, uploaded)
    if uploaded is None:
        return Verification(UNKNOWN, None)
    archive = session.scalar(
        select(ReportArchive).where(
            ReportArchive.sha256 == uploaded, ReportArchive.status == ReportStatus.DONE
        )
    )
    return Verification(AUTHENTIC if archive else UNKNOWN, archive, uploaded)
