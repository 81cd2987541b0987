"""Outgoing e-mail through the configured SMTP server (the standard library's smtplib).

``MailSettings.from_config`` is None without ``ISOKO_SMTP_HOST`` and ``ISOKO_SMTP_SENDER``:
then nothing is mailed and the console says so (:data:`OFF`). :func:`send` raises
:class:`MailError`, whose ``transient`` says whether trying again later may succeed
(connection refused, timeout, 4xx answers) or not (5xx: the address or the message is
refused for good).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

OFF = (
    "Aucun serveur d'envoi (SMTP) n'est configuré : les rapports des abonnements sont déposés "
    "dans « Mes rapports » mais ne sont pas envoyés par courriel (ISOKO_SMTP_HOST, "
    "ISOKO_SMTP_SENDER)."
)
TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class MailError(RuntimeError):
    """The message was not accepted; ``transient``: worth trying again later."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    tls: str
    user: str | None
    password: str | None
    sender: str
    timeout_s: float = 30

    @classmethod
    def from_config(cls, config) -> MailSettings | None:
        """The app's SMTP settings, or None when e-mail is off."""
        host, sender = config.get("SMTP_HOST"), config.get("SMTP_SENDER")
        if not host or not sender:
            return None
        tls = (config.get("SMTP_TLS") or "starttls").lower()
        if tls not in TLS_MODES:
            tls = "starttls"
        return cls(
            host=host,
            port=int(config.get("SMTP_PORT") or DEFAULT_PORTS[tls]),
            tls=tls,
            user=config.get("SMTP_USER") or None,
            password=config.get("SMTP_PASSWORD") or None,
            sender=sender,
            timeout_s=float(config.get("SMTP_TIMEOUT_S") or 30),
        )


@dataclass(frozen=True)
class Attachment:
    path: Path
    file_name: str
    mimetype: str


def build_message(
    settings: MailSettings,
    recipient: str,
    subject: str,
    body: str,
    attachment: Attachment | None,
    message_id: str | None = None,
) -> EmailMessage:
    """A plain-text French message with an optional attachment."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain="isoko")
    message.set_content(body)
    if attachment is not None:
        maintype, subtype = attachment.mimetype.split("/", 1)
        message.add_attachment(
            attachment.path.read_bytes(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment.file_name,
        )
    return message


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server; MailError when it was not accepted."""
    try:
        if settings.tls == "ssl":
            server = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout_s,
                context=ssl.create_default_context(),
            )
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
        with server:
            if settings.tls == "starttls":
                server.starttls(context=ssl.create_default_context())
            if settings.user:
                server.login(settings.user, settings.password or "")
            server.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        transient = all(400 <= code < 500 for code in codes)
        raise MailError(f"adresse refusée par le serveur SMTP ({codes})", transient) from exc
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        raise MailError(
            f"le serveur SMTP a répondu {exc.smtp_code} {text}".strip(), exc.smtp_code < 500
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:  # connection refused, timeout, TLS
        raise MailError(
            f"serveur SMTP injoignable ({settings.host}:{settings.port}) : "
            f"{exc.__class__.__name__} {exc}".strip(),
            True,
        ) from exc
