"""Login throttling by progressive delays, never a lock that anyone who knows an e-mail can set.

Three limits, each a wait that doubles with every further failure, capped at
``portal.login_delay_max_seconds`` (so nobody can keep an account shut for longer than that
between two of their own tries):

- per account and client address: after ``login_free_failures`` wrong answers from that address;
- per account, from any address: after ``login_account_free_failures`` in a row (slows a guesser
  who changes address, without letting one address shut the account out of every other);
- per address, across accounts: ``ip_max_failures`` within ``ip_window_minutes``.

An attempt during a wait is refused with the same words as a wrong password. Addresses are kept
only as a keyed hash, in the audit log's ``login.failed`` entries, which is what the limits count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.portal import audit
from bot.portal.models import AuditLog, User
from bot.settings import PortalSettings
from bot.store.db import utcnow
from bot.store.vault import Vault

FAILED = "login.failed"
#: Failures older than this no longer slow an address down on an account.
PAIR_HORIZON = timedelta(hours=24)


def delay_seconds(failures: int, free: int, base: int, cap: int) -> int:
    """The wait after ``failures`` in a row: none for the first ``free``, then base, 2 base, 4 base ...
    up to ``cap``.

    >>> [delay_seconds(n, 3, 2, 60) for n in range(1, 10)]
    [0, 0, 0, 2, 4, 8, 16, 32, 60]
    """
    over = failures - free
    if over <= 0:
        return 0
    factor: int = 2 ** min(over - 1, 30)
    return min(cap, base * factor)


@dataclass(frozen=True)
class Throttle:
    settings: PortalSettings
    vault: Vault

    def address_key(self, address: str | None) -> str:
        return "ip:" + self.vault.keyed_hash("portal-login-address", address or "-")[:40]

    def address_blocked(
        self, session: Session, address_key: str, now: datetime | None = None
    ) -> bool:
        """Too many failures from this address within the window."""
        since = (now or utcnow()) - timedelta(minutes=self.settings.ip_window_minutes)
        failures = session.scalars(
            select(func.count(AuditLog.id)).where(
                AuditLog.action == FAILED,
                AuditLog.target == address_key,
                AuditLog.created_at >= since,
            )
        ).one()
        return failures >= self.settings.ip_max_failures

    def wait_seconds(
        self, session: Session, user: User, address_key: str, now: datetime | None = None
    ) -> int:
        """Seconds before this account may be tried again from this address; 0 when it may now."""
        now = now or utcnow()
        s = self.settings
        waits = [0]
        if user.locked_until is not None:  # the account-wide wait, set by the last failure
            waits.append(int((user.locked_until - now).total_seconds() + 0.999))
        since = max(filter(None, (user.last_login_at, now - PAIR_HORIZON)))
        count, last = session.execute(
            select(func.count(AuditLog.id), func.max(AuditLog.created_at)).where(
                AuditLog.action == FAILED,
                AuditLog.user_id == user.id,
                AuditLog.target == address_key,
                AuditLog.created_at > since,
            )
        ).one()
        if count and last is not None:
            pause = delay_seconds(
                count, s.login_free_failures, s.login_delay_seconds, s.login_delay_max_seconds
            )
            waits.append(int((last + timedelta(seconds=pause) - now).total_seconds() + 0.999))
        return max(0, *waits)

    def failed(
        self, session: Session, user: User | None, address_key: str, now: datetime | None = None
    ) -> bool:
        """Count a wrong password or code; True when the account's owner should now be told."""
        now = now or utcnow()
        audit.record(session, user.id if user else None, FAILED, address_key)
        if user is None:
            return False
        s = self.settings
        user.failed_logins = (user.failed_logins or 0) + 1
        pause = delay_seconds(
            user.failed_logins,
            s.login_account_free_failures,
            s.login_delay_seconds,
            s.login_delay_max_seconds,
        )
        user.locked_until = now + timedelta(seconds=pause) if pause else None
        return user.failed_logins == s.login_notify_after

    def succeeded(self, user: User) -> None:
        user.failed_logins = 0
        user.locked_until = None
