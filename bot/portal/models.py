"""The portal's tables: staff accounts, the audit log, saved replies, account links.

The audit log holds only ids and action names; a case's relay thread and notes are the case's
(bot.cases.models).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base, utcnow

ROLES = ("staff", "admin")


class User(Base):
    """A person who signs in to the portal: staff of one NGO, or an administrator (no NGO)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    ngo_id: Mapped[str | None] = mapped_column(ForeignKey("ngos.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(8), default="staff")
    password_hash: Mapped[str] = mapped_column(Text)
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    # The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    # Failed logins in a row, and the moment before which the account may not be tried again (a
    # progressive delay: bot.portal.throttle, never a lock).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # Bumped on logout, password change and deactivation: every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class AuditLog(Base):
    """Who did or saw what, when: ids and action names only, never case content."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_action_target_created", "action", "target", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SavedReply(Base):
    """A reply an NGO's staff reuse, in one of the workers' languages; edited by the NGO itself."""

    __tablename__ = "saved_replies"
    __table_args__ = (Index("ix_saved_replies_ngo_language", "ngo_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ngo_id: Mapped[str] = mapped_column(ForeignKey("ngos.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AccountToken(Base):
    """A single-use link to set one's own password: an invitation to a new account, or a reset.

    Only the token's SHA-256 is kept to find it; the token itself is kept encrypted until its
    e-mail is sent, then dropped, so nobody (an administrator included) can read it back."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(8))  # invite | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_enc: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
