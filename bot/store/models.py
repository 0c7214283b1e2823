"""The message path's tables: conversations, inbound messages, the outbox, the NLU review queue.

No column holds a phone number or message text in clear: numbers appear as an HMAC key plus an
encrypted token, text only as encrypted tokens that the purge job erases after the retention period.
A conversation's tokens (its number, state, messages and outbox) are sealed under its own data key
(bot.store.envelope), so erasing it destroys that key and any leftover copy stays closed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.store.db import Base, utcnow
from vocab import Channel


class Conversation(Base):
    """One worker on one channel address, known only by the HMAC of that address."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_key: Mapped[str] = mapped_column(String(64), unique=True)
    address_enc: Mapped[str] = mapped_column(Text)
    #: The conversation's data key (bot.store.envelope), destroyed when it is erased.
    data_key_id: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[Channel] = mapped_column(String(16))
    bot_address: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(5))
    province: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opted_out: Mapped[bool] = mapped_column(default=False)
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    inbound: Mapped[list[InboundMessage]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", passive_deletes=True
    )

    def reading_language(self, fallback: str) -> str:
        """The language this worker reads: the one their flow state holds (kept readable when the
        state is sealed), else the last one recorded on the row, else ``fallback`` (the language
        of the report being answered, or the configured default)."""
        return str((self.state or {}).get("language") or self.language or fallback)

    @property
    def sealing_key(self) -> str:
        """The data key its text is sealed under (every conversation is created with one)."""
        if self.data_key_id is None:
            raise ValueError(f"conversation {self.id} has no data key")
        return self.data_key_id


class InboundStatus(StrEnum):
    """An inbound message's status: stored as received (or throttled when its conversation floods),
    then done, or failed after its last attempt. When a flood's pause is over, the conversation's
    latest message, if throttled, becomes received again so a turn answers it
    (bot.conversation.inbox)."""

    RECEIVED = "received"
    THROTTLED = "throttled"
    DONE = "done"
    FAILED = "failed"


class InboundMessage(Base):
    """A message Twilio delivered; its MessageSid's keyed hash is unique so a redelivery is
    processed once. ``sid_enc`` holds the SID itself (encrypted) only until its deletion at
    Twilio is scheduled (bot.channels.twilio.cleanup)."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        Index("ix_inbound_conversation_status", "conversation_id", "status"),
        Index("ix_inbound_conversation_received", "conversation_id", "received_at"),
        # The pending messages, oldest first: what a turn job takes next (bot.conversation.inbox.drain).
        Index(
            "ix_inbound_pending",
            "id",
            postgresql_where=text("status = 'received'"),
            sqlite_where=text("status = 'received'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    sid_enc: Mapped[str | None] = mapped_column(Text)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    body_enc: Mapped[str | None] = mapped_column(Text)
    button_enc: Mapped[str | None] = mapped_column(Text)
    media: Mapped[list[Any]] = mapped_column(default=list)
    opt_out_type: Mapped[str | None] = mapped_column(String(16))
    #: The number the worker wrote to: the turn that handles the message answers from it.
    bot_address: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[InboundStatus] = mapped_column(String(16), default=InboundStatus.RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))

    conversation: Mapped[Conversation] = relationship(back_populates="inbound")


class ErasedMessage(Base):
    """The MessageSids (keyed hashes) of an erased conversation, kept a few days alone: Twilio
    may redeliver the worker's "yes, erase", which must not bring their number back."""

    __tablename__ = "erased_messages"

    message_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class OutboxStatus(StrEnum):
    """An outbox message's status. A message is written pending (or held: unprompted news behind a
    PIN not given yet, pending once the worker gives it), claimed as sending by one sender, then
    sent, back to pending for a retry, or failed for good; Twilio's status callbacks then move it
    forward only (OUTBOX_PROGRESS): queued or accepted, sent, delivered, read, or undelivered.
    Cancelled: a held or pending message of a worker who opted out."""

    HELD = "held"
    PENDING = "pending"
    SENDING = "sending"
    QUEUED = "queued"
    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OutboxMessage(Base):
    """Every message the bot sends, written here first and sent by a job.

    ``dedupe_key`` makes writing the same reply twice (a retried job) a no-op; the status only moves
    forward, and ``sending`` with ``claimed_at`` is the lease that prevents two senders at once.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="reply")
    channel: Mapped[Channel] = mapped_column(String(16))
    to_enc: Mapped[str] = mapped_column(Text)
    from_address: Mapped[str] = mapped_column(String(64))
    body_enc: Mapped[str | None] = mapped_column(Text)
    content_sid: Mapped[str | None] = mapped_column(String(64))
    content_variables_enc: Mapped[str | None] = mapped_column(Text)
    media_urls: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[OutboxStatus] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    #: The keyed hash of Twilio's SID (bot.store.vault.Vault.sid_hash): status callbacks find the row.
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    status_at: Mapped[datetime | None]


class TwilioDeletion(Base):
    """A message (or one media item) to delete at Twilio, until Twilio confirms it is gone.

    The SID is kept encrypted here and only here; ``sid_hash`` makes scheduling it twice one row.
    ``conversation_id`` (no foreign key: the row outlives an erased conversation) lets an
    erasure hurry its conversation's deletions."""

    __tablename__ = "twilio_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sid_enc: Mapped[str] = mapped_column(Text)
    media_sid_enc: Mapped[str | None] = mapped_column(Text)
    conversation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    due_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NluReview(Base):
    """A message the NLU was unsure of, kept (encrypted, ``nlu.review_retention_days``) for
    annotators; ``conversation_key`` is a keyed hash, so erasing the conversation finds it."""

    __tablename__ = "nlu_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    text_enc: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(40))
    confidence: Mapped[float]
    language: Mapped[str | None] = mapped_column(String(5))
    conversation_key: Mapped[str | None] = mapped_column(String(64), index=True)


#: Outbox statuses in the order they can be reached; a status callback never moves a message back.
OUTBOX_PROGRESS = {
    OutboxStatus.PENDING: 0,
    OutboxStatus.SENDING: 1,
    OutboxStatus.QUEUED: 2,
    OutboxStatus.ACCEPTED: 2,
    OutboxStatus.SENT: 3,
    OutboxStatus.DELIVERED: 4,
    OutboxStatus.READ: 5,
    OutboxStatus.UNDELIVERED: 6,
    OutboxStatus.FAILED: 6,
    OutboxStatus.CANCELLED: 6,
}


class DataKey(Base):
    """A data key (bot.store.envelope) of one conversation or report, wrapped by a master key
    (bot.store.keyring): deleting the row erases, for good, everything sealed under it. No timestamp and
    a random id: a key's age or order would date the conversation or report it belongs to."""

    __tablename__ = "data_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    master_key_id: Mapped[str] = mapped_column(String(16), index=True)
    wrapped: Mapped[str] = mapped_column(Text)
