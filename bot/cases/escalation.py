"""When an organization does not answer: move the case on, and tell administrators.

A referral still unacknowledged ``routing.ack_timeout_hours`` after it was made, or one that no
channel could deliver, is escalated: it goes to the next match (never dropped), administrators
get an alert, and the case's timeline records why.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import alerts, timeline
from bot.cases.models import WAITING_REFERRAL, Referral, ReferralStatus, Report
from bot.cases.referrals import cancel_deliveries, route
from bot.runtime import Runtime
from bot.store.db import utcnow

log = logging.getLogger(__name__)


def escalate(
    session: Session,
    runtime: Runtime,
    referral_id: int,
    reason: str,
    *,
    now: datetime | None = None,
) -> Referral | None:
    """Escalate one waiting referral (a no-op if it moved meanwhile); return the next referral."""
    now = now or utcnow()
    referral = session.scalar(select(Referral).where(Referral.id == referral_id).with_for_update())
    if referral is None or referral.status not in WAITING_REFERRAL:
        return None
    report = session.get_one(Report, referral.report_id)
    referral.status = ReferralStatus.ESCALATED
    cancel_deliveries(session, referral)
    timeline.record(
        session,
        report.id,
        "escalated",
        referral_id=referral.id,
        now=now,
        reason=reason,
        ngo_id=referral.ngo_id,
    )
    alerts.raise_alert(
        session,
        runtime,
        "escalation",
        f"referral:{referral.id}",
        province=report.province,
        detail={"reason": reason, "ngo_id": referral.ngo_id, "report_id": report.id},
        now=now,
    )
    log.warning(
        "referral %s (report %s, %s) escalated: %s", referral.id, report.id, referral.ngo_id, reason
    )
    return route(session, runtime, report, now=now, contact_request=referral.contact_request)


def escalate_overdue(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Escalate every referral unacknowledged past the deadline; return how many."""
    now = now or utcnow()
    deadline = now - timedelta(hours=runtime.settings.routing.ack_timeout_hours)
    with runtime.db.session() as session:
        overdue = session.scalars(
            select(Referral.id)
            .where(Referral.status.in_(WAITING_REFERRAL), Referral.created_at < deadline)
            .order_by(Referral.id)
        ).all()
    for referral_id in overdue:
        with runtime.db.session() as session:
            escalate(session, runtime, referral_id, "not_acknowledged", now=now)
    return len(overdue)
