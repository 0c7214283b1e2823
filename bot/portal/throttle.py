"""Login throttling: per account (a lock after N wrong answers in a row) and per client address.

Addresses are kept only as a keyed hash, in the audit log's ``login.failed`` entries, which are
what the per-address limit counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.portal import audit
from bot.portal.models import AuditLog, User
from bot.privacy import Vault
from bot.settings import PortalSettings

FAILED = "login.failed"


@dataclass(frozen=True)
class Throttle:
    settings: PortalSettings
    vault: Vault

    def address_key(self, address: str | None) -> str:
        return "ip:" + self.vault.keyed_hash("portal-login-address", address or "-")[:40]

    def address_blocked(self, session: Session, address_key: str, now: datetime | None = None) -> bool:
        """Too many failures from this address within the window."""
        since = (now or utcnow()) - timedelta(minutes=self.settings.ip_window_minutes)
        failures = session.scalar(
            select(func.count(AuditLog.id)).where(
                AuditLog.action == FAILED, AuditLog.target == address_key, AuditLog.created_at >= since
            )
        )
        return failures >= self.settings.ip_max_failures

    def locked_minutes(self, user: User, now: datetime | None = None) -> int:
        """Minutes (rounded up) until a locked account may try again; 0 when it may now."""
        now = now or utcnow()
        if user.locked_until is None or user.locked_until <= now:
            return 0
        return max(1, -(-int((user.locked_until - now).total_seconds()) // 60))

    def failed(self, session: Session, user: User | None, address_key: str, now: datetime | None = None) -> None:
        """Count a wrong password or code; lock the account after too many in a row."""
        now = now or utcnow()
        audit.record(session, user.id if user else None, FAILED, address_key)
        if user is None:
            return
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= self.settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=self.settings.login_lockout_minutes)
            user.failed_logins = 0
            audit.record(session, user.id, "login.locked", f"user:{user.id}")

    def succeeded(self, user: User) -> None:
        user.failed_logins = 0
        user.locked_until = None
