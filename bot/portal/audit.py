"""The audit log: every page a user views and every action they take, by id, never by content."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.portal.models import AuditLog


def record(
    session: Session, user_id: int | None, action: str, target: str | None = None
) -> AuditLog:
    """Add one entry in the caller's transaction (so an action and its entry commit together)."""
    entry = AuditLog(user_id=user_id, action=action[:40], target=target[:120] if target else None)
    session.add(entry)
    return entry
