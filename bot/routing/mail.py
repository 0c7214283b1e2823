"""E-mail through the configured SMTP server: a text part and an HTML part, nothing else.

Used for referrals to NGOs and administrators' alerts; callers decide what goes in (never a
worker's number).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import make_msgid

from bot.errors import PuenteError
from bot.settings import SmtpSettings


class MailError(PuenteError):
    """The message could not be handed to the SMTP server; ``retryable`` as for SendError."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


def send_mail(smtp: SmtpSettings, to: Sequence[str], subject: str, text: str, html: str,
              *, message_id_key: str | None = None) -> str:
    """Send one message; return its Message-ID. Raises MailError."""
    if not smtp.host:
        raise MailError("smtp.host is not set: e-mail cannot be sent", retryable=False)
    message = EmailMessage()
    message["From"] = smtp.from_address
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(idstring=message_id_key, domain=smtp.from_address.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as server:
            if smtp.starttls and server.has_extn("starttls"):
                server.starttls(context=ssl.create_default_context())
            if smtp.user:
                server.login(smtp.user, smtp.password or "")
            server.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"SMTP server refused the recipient(s) ({len(exc.recipients)})", retryable=False) from None
    except smtplib.SMTPAuthenticationError:
        raise MailError("SMTP login refused: check smtp.user and smtp.password", retryable=False) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"SMTP server unreachable or refused the message ({type(exc).__name__})") from None
    return message["Message-ID"]
