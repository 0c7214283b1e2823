"""The routing area's tables: the NGO directory, referrals, their deliveries, administrators' alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.store.db import Base, utcnow

#: Referral statuses; the first four count against an organization's capacity.
OPEN_REFERRAL = ("pending", "delivered", "acknowledged", "accepted")
REFERRAL_STATUSES = OPEN_REFERRAL + ("declined", "escalated", "closed")


class NgoRecord(Base):
    """One organization of the directory: its record as imported (``active`` and ``capacity`` are
    copied out so the portal can change them without editing the record)."""

    __tablename__ = "ngos"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    record: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    # The organization requires its staff to sign in with a second factor (set in the portal).
    staff_totp_required: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Referral(Base):
    """A report sent to one organization, with why it was chosen (``reasons``, shown to staff)."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    ngo_id: Mapped[str] = mapped_column(ForeignKey("ngos.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    fallback: Mapped[bool] = mapped_column(default=False)
    contact_request: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    acknowledged_by: Mapped[int | None] = mapped_column(Integer)
    # The staff member who works the case (a portal user of this NGO); None: unassigned.
    assigned_to: Mapped[int | None] = mapped_column(Integer)
    assigned_at: Mapped[datetime | None]

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", passive_deletes=True
    )


class Delivery(Base):
    """One channel (webhook, email, sms) of one referral: tried with backoff until sent or failed."""

    __tablename__ = "referral_deliveries"
    __table_args__ = (
        UniqueConstraint("referral_id", "channel"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|sending|sent|failed|skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))

    referral: Mapped[Referral] = relationship(back_populates="deliveries")


class AdminAlert(Base):
    """Something administrators must look at: a repeat employer, a case nobody could take, an
    escalation, an unreachable NGO. ``detail`` holds counts, types and the province, never a
    reporter; an employer's name is kept encrypted in ``subject_enc``."""

    __tablename__ = "admin_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    province: Mapped[str | None] = mapped_column(String(8))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    subject_enc: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged
    count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(Integer)
    # The administrators' e-mail: None (not asked), sending, retrying, sent, failed.
    email_status: Mapped[str | None] = mapped_column(String(16))
    email_error: Mapped[str | None] = mapped_column(String(300))
