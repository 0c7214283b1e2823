"""The digest e-mail as a job: it takes the month only (no personal data in the queue)."""

from __future__ import annotations

import logging

from bot.analytics import dashboard, digest
from bot.runtime import Runtime, current

log = logging.getLogger(__name__)

EMAIL_JOB = "bot.analytics.jobs.email_digest"


def email_digest(month: str) -> int:
    """Send the month's digest to ``analytics.digest_recipients``; the number of recipients."""
    return send_digest(current(), month)


def send_digest(runtime: Runtime, month: str) -> int:
    from bot.routing.mail import send_mail

    settings = runtime.settings
    recipients = settings.analytics.digest_recipients
    if not recipients:
        raise digest.DigestError("analytics.digest_recipients is empty: nobody to send the digest to")
    month = dashboard.parse_month(month)
    with runtime.db.session() as session:
        report = dashboard.build(session, month, k=settings.analytics.small_cell_threshold,
                                 trend_months=settings.analytics.trend_months)
    send_mail(settings.smtp, recipients, digest.subject(report), digest.plain_text(report),
              digest.render(report), message_id_key=f"digest-{month}")
    log.info("digest for %s e-mailed to %s recipient(s)", month, len(recipients))
    return len(recipients)
