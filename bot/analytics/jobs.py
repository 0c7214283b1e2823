"""The digest e-mail as a job: it takes the month and a language only (no personal data in the queue)."""

from __future__ import annotations

import logging

from bot.analytics import dashboard, digest
from bot.runtime import Runtime, current
from vocab import STAFF_LANGUAGES

log = logging.getLogger(__name__)


def email_digest(month: str, language: str | None = None) -> int:
    """Send the month's digest to ``analytics.digest_recipients``; the number of recipients."""
    return send_digest(current(), month, language)


def send_digest(runtime: Runtime, month: str, language: str | None = None) -> int:
    """``language``: en or fr (the portal's ``portal.default_language`` when not given)."""
    from bot.delivery.mail import send_mail

    settings = runtime.settings
    language = language or settings.portal.default_language
    if language not in STAFF_LANGUAGES:
        raise digest.DigestError(
            f"no digest in {language!r}: choose one of {', '.join(STAFF_LANGUAGES)}"
        )
    recipients = settings.analytics.digest_recipients
    if not recipients:
        raise digest.DigestError(
            "analytics.digest_recipients is empty: nobody to send the digest to"
        )
    month = dashboard.parse_month(month)
    with runtime.db.session() as session:
        report = dashboard.build_configured(session, month, settings.analytics, language)
    send_mail(
        settings.smtp,
        recipients,
        digest.subject(report),
        digest.plain_text(report),
        digest.to_html(report),
        message_id_key=f"digest-{month}-{language}",
    )
    log.info("digest for %s (%s) e-mailed to %s recipient(s)", month, language, len(recipients))
    return len(recipients)
