"""The cases' tables: reports, their evidence, the case timeline, employer mentions, the relay
thread between an NGO and the worker, the staff's internal notes, referrals to organizations and
the deliveries of their notices, and the administrators' alerts.

Nothing here holds a phone number, report text or media in clear: a report is linked to its worker
only through keyed hashes (cleared when the worker asks), free text and evidence are encrypted
tokens, and the case code itself is never stored, only its keyed hash.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.store.db import Base, utcnow
from bot.store.envelope import KeyDestroyed


class ReportStatus(StrEnum):
    """A report's status, in the order a case moves (the portal filters on these)."""

    NEW = "new"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class ReferralStatus(StrEnum):
    """Where a referral to one organization stands; see OPEN_REFERRAL."""

    PENDING = "pending"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ESCALATED = "escalated"
    CLOSED = "closed"


class RelayStatus(StrEnum):
    """A relay message's status."""

    WAITING_WINDOW = "waiting_window"
    QUEUED = "queued"
    SENT = "sent"
    RECEIVED = "received"
    UNDELIVERABLE = "undeliverable"


class MediaStatus(StrEnum):
    """A report's media item: pending until the fetch job stores it encrypted, or failed (the
    fetch gave up, the file was refused, or it was still pending at the retention sweep); stored
    and failed are final."""

    PENDING = "pending"
    STORED = "stored"
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    """A referral notice on one channel: pending (due at ``next_attempt_at``), claimed as sending,
    then sent, back to pending for a retry, or failed for good. Skipped: never tried (an example
    contact); cancelled: a pending or sending notice whose referral closed meanwhile."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class AlertStatus(StrEnum):
    """An administrators' alert: open until one acknowledges it; open again if it fires anew."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class AlertEmailStatus(StrEnum):
    """The administrators' e-mail of an alert (None: not asked): sending, then sent, or retrying
    while the job tries again, or failed for good; asking again starts over at sending."""

    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"


#: How a case may end (referrals.close).
OUTCOMES = ("resolved", "referred_to_authorities", "worker_unreachable", "withdrawn", "other")
#: A referral still waiting for the organization (escalated when it waits too long).
WAITING_REFERRAL = (ReferralStatus.PENDING, ReferralStatus.DELIVERED)
#: Referral statuses in which the organization has taken the case.
TAKEN_REFERRAL = (ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED)
#: Referral statuses that count against an organization's capacity.
OPEN_REFERRAL = WAITING_REFERRAL + TAKEN_REFERRAL


class Report(Base):
    """One anonymous report (or a request to talk to an NGO: ``kind`` contact_request)."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="report")
    case_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # keyed_hash("reporter", address_key): tells two workers apart, never who they are.
    reporter_key: Mapped[str] = mapped_column(String(64), index=True)
    # keyed_hash("report-link", address_key) and the address key encrypted (to send updates):
    # both cleared when the worker erases their data and unlinks their reports.
    conversation_key: Mapped[str | None] = mapped_column(String(64), index=True)
    conversation_ref_enc: Mapped[str | None] = mapped_column(Text)
    #: The report's data key (bot.store.envelope): every ``*_enc`` of the report, its evidence, employer
    #: mention, relay thread and notes is sealed under it; erasing the report destroys it.
    data_key_id: Mapped[str | None] = mapped_column(String(16))
    bot_address: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(16))
    province: Mapped[str | None] = mapped_column(String(8), index=True)
    town_enc: Mapped[str | None] = mapped_column(Text)
    sector: Mapped[str | None] = mapped_column(String(40))
    abuse_types: Mapped[list[Any]] = mapped_column(default=list)
    employer_enc: Mapped[str | None] = mapped_column(Text)
    details_enc: Mapped[str | None] = mapped_column(Text)
    danger: Mapped[bool | None]
    consent_ngo: Mapped[bool] = mapped_column(default=False)
    consent_tip_line: Mapped[bool] = mapped_column(default=False)
    contact_pref: Mapped[str] = mapped_column(String(16), default="anonymous")
    contact_enc: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ReportStatus] = mapped_column(String(16), default=ReportStatus.NEW)
    outcome: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    #: Set by the NGO when the law requires keeping the case: the retention purge leaves it whole.
    legal_hold: Mapped[bool] = mapped_column(default=False)

    media: Mapped[list[ReportMedia]] = relationship(
        back_populates="report", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def sealing_key(self) -> str:
        """The data key new text of the report is sealed under; an erased report has none."""
        if self.data_key_id is None:
            raise KeyDestroyed(f"report {self.id} was erased: nothing more is sealed for it")
        return self.data_key_id


class ReportMedia(Base):
    """A photo or document a worker sent with a report, encrypted; the Twilio URL only until fetched."""

    __tablename__ = "report_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[MediaStatus] = mapped_column(String(16), default=MediaStatus.PENDING)
    url_enc: Mapped[str | None] = mapped_column(Text)
    data_enc: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="media")


class CaseEvent(Base):
    """One step in a case's timeline and audit trail; ``detail`` never holds personal data."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    referral_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(40))  # system | worker | user:<id>
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class EmployerMention(Base):
    """An employer named in a report, kept apart so repeat-employer alerts can read names across
    reports (decrypted in memory only) and count distinct workers by their keyed hash."""

    __tablename__ = "employer_mentions"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    reporter_key: Mapped[str] = mapped_column(String(64))
    # keyed hash of the normalized name: finds exact repeats without decrypting anything.
    name_key: Mapped[str] = mapped_column(String(64), index=True)
    name_enc: Mapped[str] = mapped_column(Text)
    town_enc: Mapped[str | None] = mapped_column(Text)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    lmia_enc: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(String(8))
    abuse_types: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CaseLookup(Base):
    """A case code texted to the bot, right or wrong: what throttles guessing. No code is kept."""

    __tablename__ = "case_lookups"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_key: Mapped[str] = mapped_column(String(64), index=True)
    found: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RelayMessage(Base):
    """One message of the thread between an NGO and a worker, in either direction.

    A message to a WhatsApp worker outside the 24-hour window waits (``waiting_window``) until the
    worker writes; ``outbox_ids`` then name the outbox rows that carry it.
    """

    __tablename__ = "relay_messages"
    __table_args__ = (Index("ix_relay_report_created", "report_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(12))  # to_worker | from_worker
    body_enc: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[RelayStatus] = mapped_column(String(16), index=True)
    outbox_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class Note(Base):
    """An internal note of the NGO's staff on a case; the worker never sees it."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Referral(Base):
    """A report sent to one organization, with why it was chosen (``reasons``, shown to staff)."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    ngo_id: Mapped[str] = mapped_column(ForeignKey("ngos.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[ReferralStatus] = mapped_column(String(16), default=ReferralStatus.PENDING)
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
    status: Mapped[DeliveryStatus] = mapped_column(String(16), default=DeliveryStatus.PENDING)
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
    status: Mapped[AlertStatus] = mapped_column(String(16), default=AlertStatus.OPEN)
    count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(Integer)
    email_status: Mapped[AlertEmailStatus | None] = mapped_column(String(16))
    email_error: Mapped[str | None] = mapped_column(String(300))
