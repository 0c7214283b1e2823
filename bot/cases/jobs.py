"""The cases' share of housekeeping, run every few seconds from the worker (or the web process).
The cases' jobs live beside their work: notices.deliver_referral, evidence.fetch_media,
repeat.check_employer_alerts, alerts.email_alert."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.cases import escalation, evidence, notices
from bot.cases.models import MediaStatus, ReportMedia
from bot.runtime import Runtime
from bot.store.db import utcnow

log = logging.getLogger(__name__)


def housekeeping(runtime: Runtime, *, now: datetime | None = None) -> dict[str, int]:
    """This area's share of the re-driver: lost delivery retries, overdue referrals, lost media fetches."""
    now = now or utcnow()
    stale = now - timedelta(seconds=runtime.settings.jobs.redrive_after_seconds)
    with runtime.db.session() as session:
        media = session.scalars(
            select(ReportMedia.report_id)
            .distinct()
            .where(ReportMedia.status == MediaStatus.PENDING, ReportMedia.created_at < stale)
        ).all()
    return {
        "deliveries": notices.redrive(runtime, now=now),
        "escalated": escalation.escalate_overdue(runtime, now=now),
        "media": sum(runtime.enqueue(evidence.fetch_media, report_id) for report_id in media),
    }
