"""Conversations in the database: accept an inbound message, then process a worker's pending ones.

``accept`` runs on the request path and only stores (deduplicated by MessageSid). ``process`` runs in
a job: it locks the conversation (a row lock on PostgreSQL, the write lock on SQLite: both work across
processes), handles every pending message of that worker in arrival order, and writes the replies
to the outbox in the same transaction, so a retried job never answers twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot import dialogue, effects, nlu_review, sealed_state
from bot.db import utcnow
from bot.messages import InboundMessage
from bot.metrics import TURN_LATENCY
from bot.models import Conversation, ErasedMessage
from bot.models import InboundMessage as InboundRow
from bot.outbound import queue_text, queue_to_address
from bot.runtime import Runtime, after_commit

log = logging.getLogger(__name__)

PROCESS_JOB = "bot.jobs.process_inbound"
#: When another job holds the worker's conversation, this one is queued again after this delay.
BUSY_RETRY_SECONDS = 0.5


@dataclass(frozen=True)
class Accepted:
    inbound_id: int | None  # None: a duplicate delivery
    throttled: bool = False


def accept(runtime: Runtime, message: InboundMessage) -> Accepted:
    """Store an inbound message and queue its processing; a repeated MessageSid is a no-op."""
    vault = runtime.vault
    key = vault.address_key(message.sender)
    with runtime.db.session() as session:
        if session.scalar(select(InboundRow.id).where(InboundRow.message_sid == message.message_sid)) \
                or session.get(ErasedMessage, message.message_sid):
            return Accepted(None)
        conversation = _conversation(session, runtime, key, message)
        throttled = _flooding(session, runtime, conversation.id)
        row = InboundRow(
            message_sid=message.message_sid,
            conversation_id=conversation.id,
            body_enc=None if throttled else vault.encrypt(message.body),
            button_enc=vault.encrypt_optional(message.button_text),
            media=[{"url_enc": vault.encrypt(m.url), "content_type": m.content_type} for m in message.media],
            opt_out_type=message.opt_out_type,
            status="throttled" if throttled else "received",
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            # The same MessageSid committed by a concurrent request: Twilio retried.
            session.rollback()
            return Accepted(None)
        if not throttled:
            after_commit(session, PROCESS_JOB, row.id)
        return Accepted(row.id, throttled)


def _conversation(session: Session, runtime: Runtime, key: str, message: InboundMessage) -> Conversation:
    by_key = select(Conversation).where(Conversation.address_key == key)
    # A turn in progress holds the row (see ``process``): do not wait for it on the webhook, which
    # Twilio gives 15 s. That turn was started by a message received moments ago, so the touch below
    # can be skipped; the stored message itself still goes in (its foreign key needs only a key share).
    conversation = session.scalar(by_key.with_for_update(skip_locked=True, key_share=True))
    if conversation is None:
        busy = session.scalar(by_key)
        if busy is not None:
            return busy
        conversation = Conversation(
            address_key=key,
            address_enc=runtime.vault.encrypt(message.sender),
            channel=message.channel,
            bot_address=message.recipient,
            state={},
        )
        try:
            with session.begin_nested():
                session.add(conversation)
        except IntegrityError:
            conversation = session.scalar(select(Conversation).where(Conversation.address_key == key))
    conversation.bot_address = message.recipient
    conversation.last_inbound_at = utcnow()
    return conversation


def _flooding(session: Session, runtime: Runtime, conversation_id: int) -> bool:
    """More messages from one worker in a minute than anyone types: stop answering for a while."""
    limit = runtime.settings.messages.flood_limit_per_minute
    recent = session.scalar(
        select(func.count(InboundRow.id)).where(
            InboundRow.conversation_id == conversation_id,
            InboundRow.received_at >= utcnow() - timedelta(minutes=1),
        )
    )
    return recent >= limit


def process(runtime: Runtime, inbound_id: int) -> int:
    """Handle the worker's pending messages, oldest first; return how many were handled."""
    with runtime.db.session() as session:
        conversation_id = session.scalar(select(InboundRow.conversation_id).where(InboundRow.id == inbound_id))
        if conversation_id is None:
            return 0  # erased since it was queued
        conversation = session.scalar(
            # NO KEY UPDATE: the webhook can still store new messages of this worker meanwhile.
            select(Conversation).where(Conversation.id == conversation_id)
            .with_for_update(key_share=True, skip_locked=True)
        )
        if conversation is None:
            # A turn of this worker is in progress elsewhere: come back shortly rather than hold an
            # rq worker waiting on the lock (a burst from one sender would otherwise take them all).
            runtime.enqueue(PROCESS_JOB, inbound_id, delay=BUSY_RETRY_SECONDS)
            return 0
        pending = session.scalars(
            select(InboundRow)
            .where(InboundRow.conversation_id == conversation_id, InboundRow.status == "received")
            .order_by(InboundRow.id)
        ).all()
        for row in pending:
            row.attempts += 1
            if not _handle(session, runtime, conversation, row):
                break
        return len(pending)


def _handle(session: Session, runtime: Runtime, conversation: Conversation, row: InboundRow) -> bool:
    """Handle one message; False when the worker erased everything (nothing more to handle)."""
    vault = runtime.vault
    try:
        with session.begin_nested(), TURN_LATENCY.time():
            turn = dialogue.TurnInput(
                text=vault.decrypt_optional(row.body_enc) or "",
                button=vault.decrypt_optional(row.button_enc),
                media=tuple(row.media or ()),
                channel=conversation.channel,
                opt_out_type=row.opt_out_type,
            )
            # The report answers in the flow state are encrypted at rest (bot.sealed_state).
            outcome = dialogue.respond(runtime, sealed_state.unseal(vault, conversation.state or {}), turn)
            conversation.state = sealed_state.seal(vault, outcome.state)
            if not turn.button:
                nlu_review.keep(session, runtime, turn.text, outcome.parse)
            address, bot_address = vault.decrypt(conversation.address_enc), conversation.bot_address
            context = effects.Context(session=session, runtime=runtime, conversation=conversation,
                                      inbound=row, parse=outcome.parse)
            pages = outcome.pages + effects.apply(context, outcome.effects)
            if context.erased:
                # The confirmation goes to the address we still hold in memory, then it is gone too.
                for page in outcome.pages:
                    queue_to_address(session, runtime, address, bot_address, page, kind="reply")
                return False
            queue_text(session, runtime, conversation, pages, dedupe_key=f"reply:{row.id}",
                       even_if_opted_out=outcome.confirm_opt_out)
            row.status, row.processed_at = "done", utcnow()
    except SQLAlchemyError:
        raise  # the database is in trouble: let the job fail and be retried as a whole
    except Exception as exc:
        log.exception("inbound %s could not be handled (%s)", row.id, type(exc).__name__)
        # A bug, not a passing fault: retrying would fail the same way. Say sorry, never go silent.
        row.error = type(exc).__name__
        row.status, row.processed_at = "failed", utcnow()
        queue_text(session, runtime, conversation, dialogue.apology(runtime, conversation),
                   dedupe_key=f"apology:{row.id}")
    return True


def redrive(runtime: Runtime) -> dict[str, int]:
    """Queue again what a Redis outage or a dead worker left undone (idempotent)."""
    from bot.models import OutboxMessage

    now = utcnow()
    jobs = runtime.settings.jobs
    stale = now - timedelta(seconds=jobs.redrive_after_seconds)
    lease = now - timedelta(seconds=jobs.send_lease_seconds)
    with runtime.db.session() as session:
        inbound = session.scalars(
            select(func.min(InboundRow.id))
            .where(InboundRow.status == "received", InboundRow.received_at < stale)
            .group_by(InboundRow.conversation_id)
        ).all()
        outbox = session.scalars(
            select(OutboxMessage.id).where(
                ((OutboxMessage.status == "pending")
                 & (func.coalesce(OutboxMessage.next_attempt_at, OutboxMessage.created_at) < stale))
                | ((OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < lease))
            )
        ).all()
    queued = {"inbound": 0, "outbox": 0}
    for inbound_id in inbound:
        queued["inbound"] += runtime.enqueue(PROCESS_JOB, inbound_id)
    for outbox_id in outbox:
        queued["outbox"] += runtime.enqueue("bot.jobs.send_message", outbox_id)
    if any(queued.values()):
        log.info("re-drove %s inbound and %s outbox job(s)", queued["inbound"], queued["outbox"])
    return queued
