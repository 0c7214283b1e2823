"""A case's timeline: every step (filed, assigned, delivered, escalated, closed ...) as a case event.

The same rows are the audit trail the portal shows, so ``detail`` holds ids, kinds and counts,
never a worker's words or number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.cases.models import CaseEvent
from bot.store.db import utcnow


def record(
    session: Session,
    report_id: int,
    kind: str,
    *,
    actor: str = "system",
    referral_id: int | None = None,
    now: datetime | None = None,
    **detail: Any,
) -> CaseEvent:
    """Add one event to a case's timeline (in the caller's transaction)."""
    event = CaseEvent(
        report_id=report_id,
        referral_id=referral_id,
        actor=actor,
        kind=kind,
        detail=detail,
        created_at=now or utcnow(),
    )
    session.add(event)
    return event


def user_actor(user_id: int | str) -> str:
    return f"user:{user_id}"
