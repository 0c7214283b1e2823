"""E-mail through the configured SMTP server: a text part and an HTML part, nothing else.

Used for referrals to NGOs and administrators' alerts; callers decide what goes in (never a
worker's number). The connection is encrypted or nothing is sent: implicit TLS (``smtp.port``
465 or ``smtp.implicit_tls``), else STARTTLS, required when ``smtp.starttls`` is on (a server that
does not offer it is an error, retried later, never a fallback to clear text); credentials are
never sent over an unencrypted connection.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from typing import cast

from bot.errors import PuenteError
from bot.settings import SmtpSettings

#: The port of SMTP over TLS from the first byte (RFC 8314), rather than STARTTLS.
IMPLICIT_TLS_PORT = 465


class MailError(PuenteError):
    """The message could not be handed to the SMTP server; ``retryable`` as for SendError."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    """A connection to the server, encrypted as the settings require (MailError otherwise)."""
    host = cast(str, smtp.host)  # send() refuses an unset smtp.host before connecting
    context = ssl.create_default_context(cafile=smtp.ca_file)
    where = f"{smtp.host}:{smtp.port}"
    if smtp.implicit_tls or smtp.port == IMPLICIT_TLS_PORT:
        return smtplib.SMTP_SSL(host, smtp.port, timeout=smtp.timeout_seconds, context=context)
    server = smtplib.SMTP(host, smtp.port, timeout=smtp.timeout_seconds)
    try:
        server.ehlo()
        if smtp.starttls:
            if not server.has_extn("starttls"):
                raise MailError(
                    f"smtp.starttls is on but {where} does not offer STARTTLS: nothing was "
                    "sent, it will be retried; fix the server or use implicit TLS (smtp.port 465)"
                )
            server.starttls(context=context)
            server.ehlo()
        elif smtp.user:
            raise MailError(
                f"smtp.user is set but the connection to {where} is not encrypted: credentials "
                "are never sent in clear; turn smtp.starttls on or use port 465",
                retryable=False,
            )
    except BaseException:
        server.close()
        raise
    return server


def send_mail(
    smtp: SmtpSettings,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None,
    *,
    message_id_key: str | None = None,
) -> str:
    """Send one message; return its Message-ID. Raises MailError."""
    if not smtp.host:
        raise MailError("smtp.host is not set: e-mail cannot be sent", retryable=False)
    message = EmailMessage()
    message["From"] = smtp.from_address
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(
        idstring=message_id_key, domain=smtp.from_address.rpartition("@")[2] or None
    )
    message.set_content(text)
    if html is not None:  # None: text only (an OpenPGP message cannot have an HTML twin)
        message.add_alternative(html, subtype="html")
    try:
        with _connect(smtp) as server:
            if smtp.user:
                server.login(smtp.user, smtp.password or "")
            server.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(
            f"SMTP server refused the recipient(s) ({len(exc.recipients)})", retryable=False
        ) from None
    except smtplib.SMTPAuthenticationError:
        raise MailError(
            "SMTP login refused: check smtp.user and smtp.password", retryable=False
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(
            f"SMTP server unreachable or refused the message ({type(exc).__name__})"
        ) from None
    return cast(str, message["Message-ID"])  # set above, from make_msgid
