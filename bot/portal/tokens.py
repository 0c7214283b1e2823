"""Single-use links to set one's own password: how staff accounts begin (an invitation) and how a
forgotten password is replaced (a reset). Nobody but the person at the e-mail address sees the
link: an administrator invites or asks for a reset, but never chooses or reads a password.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.portal import accounts, notify
from bot.portal.models import AccountToken, User
from bot.settings import PortalSettings
from bot.store.db import utcnow
from bot.store.vault import Vault

PURPOSES = ("invite", "reset")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(
    session: Session,
    vault: Vault,
    settings: PortalSettings,
    user: User,
    purpose: str,
    created_by: int | None,
    now: datetime | None = None,
) -> AccountToken:
    """A new link for ``user`` (earlier unused ones of the same purpose stop working), e-mailed to
    them once this transaction commits."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    now = now or utcnow()
    session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=now, token_enc=None)
    )
    raw = secrets.token_urlsafe(32)
    hours = settings.invite_valid_hours if purpose == "invite" else settings.reset_valid_hours
    token = AccountToken(
        user_id=user.id,
        purpose=purpose,
        token_hash=_hash(raw),
        token_enc=vault.encrypt(raw),
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(token)
    session.flush()
    notify.account_notice_later(
        session, user.id, "invite" if purpose == "invite" else "reset_link", token.id
    )
    return token


def find(session: Session, raw: str, now: datetime | None = None) -> AccountToken | None:
    """The link's token when it is unused and not expired; None otherwise."""
    if not raw or len(raw) > 100:
        return None
    token = session.scalar(select(AccountToken).where(AccountToken.token_hash == _hash(raw)))
    if token is None or token.used_at is not None or token.expires_at <= (now or utcnow()):
        return None
    return token


def redeem(
    session: Session, token: AccountToken, password: str, now: datetime | None = None
) -> User:
    """Set the password through the link (once); the owner and their organization are told."""
    user = session.get_one(User, token.user_id)
    accounts.set_password(user, password)  # AccountError when too weak: the link stays usable
    token.used_at, token.token_enc = now or utcnow(), None
    user.failed_logins, user.locked_until = 0, None
    if token.purpose == "reset":
        notify.account_notice_later(session, user.id, "password_set")
        notify.account_notice_later(session, user.id, "ngo_password_set")
    return user


def invited(user: User) -> bool:
    """The account exists but its owner has not set a password yet."""
    return user.password_hash == accounts.NO_PASSWORD
