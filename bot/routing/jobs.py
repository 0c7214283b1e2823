"""Background jobs of the routing area. Each takes ids only (no personal data in Redis) and is
safe to run twice; ``housekeeping`` runs every few seconds from the worker (or the web process)."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.routing import delivery, escalation
from bot.runtime import Runtime, current
from bot.store.db import utcnow

log = logging.getLogger(__name__)


def escalate_overdue() -> int:
    """Move on every referral not acknowledged within routing.ack_timeout_hours."""
    return escalation.escalate_overdue(current())


def housekeeping(runtime: Runtime, *, now: datetime | None = None) -> dict[str, int]:
    """This area's share of the re-driver: lost delivery retries, overdue referrals."""
    now = now or utcnow()
    return {
        "deliveries": delivery.redrive(runtime, now=now),
        "escalated": escalation.escalate_overdue(runtime, now=now),
    }
