"""Background jobs of the cases. Each takes ids only (no personal data in Redis) and is safe to
run twice; ``housekeeping`` runs every few seconds from the worker (or the web process)."""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.cases import escalation, evidence, notices, repeat
from bot.cases.alerts import EMAIL_JOB, subject_of
from bot.cases.models import AdminAlert, ReportMedia
from bot.delivery.mail import MailError, send_mail
from bot.runtime import Runtime, after_commit, current
from bot.store.db import utcnow

log = logging.getLogger(__name__)


def deliver_referral(referral_id: int) -> dict[str, str]:
    """Try the due channels of one referral (retries queue themselves with backoff)."""
    return notices.deliver(current(), referral_id)


def fetch_media(report_id: int) -> dict[str, int]:
    """Fetch a report's evidence from Twilio and keep it encrypted."""
    return evidence.fetch(current(), report_id)


def check_employer_alerts(report_id: int) -> list[int]:
    """After a report naming an employer: alert administrators if enough workers named it."""
    return repeat.check(current())


def escalate_overdue() -> int:
    """Move on every referral not acknowledged within routing.ack_timeout_hours."""
    return escalation.escalate_overdue(current())


def email_alert(alert_id: int, attempt: int = 1) -> bool:
    """E-mail administrators about an alert (counts, types, province; never who reported).

    A failure that may pass (the SMTP server down) is retried like a referral notice, with
    ``routing.delivery_backoff_seconds`` up to ``routing.delivery_max_attempts``; the alert keeps
    how it went (``email_status``) for the administrators' page, which can ask again."""
    runtime = current()
    routing = runtime.settings.routing
    if not routing.admin_alert_emails:
        return False
    with runtime.db.session() as session:
        alert = session.get(AdminAlert, alert_id)
        if alert is None:
            return False
        subject, text = _alert_text(runtime, alert)
        try:
            send_mail(
                runtime.settings.smtp,
                routing.admin_alert_emails,
                subject,
                text,
                f"<pre>{html.escape(text)}</pre>",
                message_id_key=f"alert-{alert_id}",
            )
        except MailError as exc:
            alert.email_error = str(exc)[:300]
            if exc.retryable and attempt < routing.delivery_max_attempts:
                backoff = routing.delivery_backoff_seconds
                delay = backoff[min(attempt - 1, len(backoff) - 1)]
                alert.email_status = "retrying"
                log.warning(
                    "alert %s not e-mailed to administrators (attempt %s, retrying in %ss): %s",
                    alert_id,
                    attempt,
                    delay,
                    exc,
                )
                after_commit(session, EMAIL_JOB, alert_id, attempt + 1, delay=delay)
            else:
                alert.email_status = "failed"
                log.error(
                    "alert %s not e-mailed to administrators after %s attempt(s): %s",
                    alert_id,
                    attempt,
                    exc,
                )
            return False
        alert.notified_at, alert.email_status, alert.email_error = utcnow(), "sent", None
    return True


def _alert_text(runtime: Runtime, alert: AdminAlert) -> tuple[str, str]:
    lines = [
        f"Puente alert #{alert.id}: {alert.kind.replace('_', ' ')}",
        f"Province: {alert.province or 'not given'}",
    ]
    subject = subject_of(runtime, alert)
    if subject.get("name"):
        lines.append(
            f"Employer: {subject['name']}"
            + (f" ({subject['town']})" if subject.get("town") else "")
        )
    lines += [
        f"{key.replace('_', ' ').capitalize()}: {value}"
        for key, value in sorted(alert.detail.items())
    ]
    lines += ["", "See the administrators' pages of the Puente portal."]
    return f"[Puente] {lines[0].split(': ', 1)[1]} ({alert.province or '-'})", "\n".join(lines)


def housekeeping(runtime: Runtime, *, now: datetime | None = None) -> dict[str, int]:
    """This area's share of the re-driver: lost delivery retries, overdue referrals, lost media fetches."""
    now = now or utcnow()
    stale = now - timedelta(seconds=runtime.settings.jobs.redrive_after_seconds)
    with runtime.db.session() as session:
        media = session.scalars(
            select(ReportMedia.report_id)
            .distinct()
            .where(ReportMedia.status == "pending", ReportMedia.created_at < stale)
        ).all()
    return {
        "deliveries": notices.redrive(runtime, now=now),
        "escalated": escalation.escalate_overdue(runtime, now=now),
        "media": sum(
            runtime.enqueue("bot.cases.jobs.fetch_media", report_id) for report_id in media
        ),
    }
