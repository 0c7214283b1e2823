"""Staff and administrator accounts: create, change, deactivate (the CLI and the admin pages share these)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.directory.models import NgoRecord
from bot.errors import PuenteError
from bot.portal import passwords
from bot.portal.models import ROLES, User
from vocab import STAFF_LANGUAGES

NO_PASSWORD = "!unset"  # an invited account until its owner sets a password: matches nothing
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class AccountError(PuenteError):
    """An account change refused; ``msgid`` is the portal message, ``params`` its placeholders."""

    def __init__(self, msgid: str, **params: str):
        super().__init__(f"{msgid} {params}" if params else msgid)
        self.msgid, self.params = msgid, params


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    session: Session,
    *,
    email: str,
    password: str | None,
    role: str = "staff",
    ngo_id: str | None = None,
    name: str = "",
    language: str = "en",
) -> User:
    """A new account. Staff need an existing NGO; administrators may have none. Without a password
    the account waits for its owner to set one through an invitation link (bot.portal.tokens)."""
    email = normalize_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError("account.error.email", email=email)
    if role not in ROLES:
        raise AccountError("account.error.role", role=role)
    if language not in STAFF_LANGUAGES:
        raise AccountError("account.error.language", language=language)
    if find(session, email) is not None:
        raise AccountError("account.error.exists", email=email)
    if ngo_id:
        if session.get(NgoRecord, ngo_id) is None:
            raise AccountError("account.error.ngo", ngo=ngo_id)
    elif role == "staff":
        raise AccountError("account.error.staff_needs_ngo")
    try:
        password_hash = NO_PASSWORD if password is None else passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise AccountError(exc.msgid, minimum=str(passwords.MIN_LENGTH)) from None
    user = User(
        email=email,
        name=name.strip()[:120],
        role=role,
        ngo_id=ngo_id or None,
        password_hash=password_hash,
        language=language,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    try:
        user.password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise AccountError(exc.msgid, minimum=str(passwords.MIN_LENGTH)) from None
    user.session_version += 1


def set_active(session: Session, user: User, active: bool) -> None:
    """(De)activate an account; deactivating ends its sessions at their next request.

    The last active administrator cannot be deactivated: nobody could manage the portal after.
    """
    if not active and user.is_admin and user.active and _active_admins(session) <= 1:
        raise AccountError("account.error.last_admin")
    user.active = active
    user.session_version += 1
    if active:
        user.failed_logins, user.locked_until = 0, None


def _active_admins(session: Session) -> int:
    return session.scalars(
        select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
    ).one()


def ngo_active(session: Session, ngo_id: str | None) -> bool:
    """Administrators without an NGO are never blocked by one; staff need theirs active."""
    if ngo_id is None:
        return True
    ngo = session.get(NgoRecord, ngo_id)
    return bool(ngo and ngo.active)


def totp_required(session: Session, user: User, admin_required: bool = True) -> bool:
    """Whether this person must sign in with a second factor: administrators (unless
    ``portal.admin_totp_required`` is off), and the staff of an organization that requires it."""
    if user.is_admin:
        return admin_required
    ngo = session.get(NgoRecord, user.ngo_id) if user.ngo_id else None
    return bool(ngo and ngo.staff_totp_required)
