"""Conversations in the database: accept an inbound message, then process a worker's pending ones.

``accept`` runs on the request path and only stores (deduplicated by MessageSid). ``process`` runs in
a job: it locks the conversation (a row lock on PostgreSQL, the write lock on SQLite: both work across
processes), handles every pending message of that worker in arrival order, and writes the replies
to the outbox in the same transaction, so a retried job never answers twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot import dialogue, effects, nlu_review, sealed_state
from bot.db import UTCDateTime, utcnow
from bot.messages import InboundMessage
from bot.metrics import TURN_LATENCY
from bot.models import Conversation, ErasedMessage
from bot.models import InboundMessage as InboundRow
from bot.outbound import queue_text, queue_to_address
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PROCESS_JOB = "bot.jobs.process_inbound"
#: When another job holds the worker's conversation, this one is queued again after this delay.
BUSY_RETRY_SECONDS = 0.5


@dataclass(frozen=True)
class Accepted:
    inbound_id: int | None  # None: a duplicate delivery
    throttled: bool = False


# The webhook's statements, built once (bound per request): each request only executes them.
_SID, _KEY, _SINCE = bindparam("sid"), bindparam("key"), bindparam("since", type_=UTCDateTime())
#: Whether this MessageSid was stored already (or belonged to a conversation since erased), and how
#: many messages the worker sent since ``since``: more than anyone types is a flood.
_SEEN_AND_RECENT = select(
    or_(select(InboundRow.id).where(InboundRow.message_sid == _SID).exists(),
        select(ErasedMessage.message_sid).where(ErasedMessage.message_sid == _SID).exists()),
    select(func.count(InboundRow.id))
    .join(Conversation, Conversation.id == InboundRow.conversation_id)
    .where(Conversation.address_key == _KEY, InboundRow.received_at >= _SINCE)
    .scalar_subquery(),
)
#: Touch the worker's conversation unless a turn in progress holds it (see ``process``): the
#: webhook, which Twilio gives 15 s, does not wait for it (that turn began moments ago).
_TOUCH = (
    update(Conversation)
    .where(Conversation.id == select(Conversation.id).where(Conversation.address_key == _KEY)
           .with_for_update(skip_locked=True, key_share=True).scalar_subquery())
    .values(bot_address=bindparam("to"), last_inbound_at=bindparam("now"), updated_at=bindparam("now"))
    .returning(Conversation.id)
)
_BY_KEY = select(Conversation.id).where(Conversation.address_key == _KEY)
_NEW_CONVERSATION = insert(Conversation).returning(Conversation.id)
_NEW_INBOUND = insert(InboundRow).returning(InboundRow.id)


def accept(runtime: Runtime, message: InboundMessage) -> Accepted:
    """Store an inbound message and queue its processing; a repeated MessageSid is a no-op.

    The webhook's hot path: three prepared Core statements in one short transaction.
    """
    vault = runtime.vault
    sid, key, now = message.message_sid, vault.address_key(message.sender), utcnow()
    try:
        with runtime.db.engine.begin() as conn:
            seen, recent = conn.execute(_SEEN_AND_RECENT, {"sid": sid, "key": key,
                                                           "since": now - timedelta(minutes=1)}).one()
            if seen:
                return Accepted(None)
            throttled = recent >= runtime.settings.messages.flood_limit_per_minute
            inbound_id = conn.scalar(_NEW_INBOUND, {
                "message_sid": sid,
                "conversation_id": _conversation_id(conn, runtime, key, message, now),
                "received_at": now,
                "body_enc": None if throttled else vault.encrypt(message.body),
                "button_enc": vault.encrypt_optional(message.button_text),
                "media": [{"url_enc": vault.encrypt(m.url), "content_type": m.content_type} for m in message.media],
                "opt_out_type": message.opt_out_type,
                "status": "throttled" if throttled else "received",
                "attempts": 0,
            })
    except IntegrityError:
        return Accepted(None)  # the same MessageSid committed by a concurrent request: Twilio retried
    if not throttled:
        runtime.enqueue(PROCESS_JOB, inbound_id)
    return Accepted(inbound_id, throttled)


def _conversation_id(conn: Connection, runtime: Runtime, key: str, message: InboundMessage, now: datetime) -> int:
    """The worker's conversation, touched (reply address, last message time), or created."""
    touched = conn.scalar(_TOUCH, {"key": key, "to": message.recipient, "now": now})
    if touched is not None:
        return touched
    busy = conn.scalar(_BY_KEY, {"key": key})
    if busy is not None:
        return busy
    try:
        with conn.begin_nested():
            return conn.scalar(_NEW_CONVERSATION, {
                "address_key": key, "address_enc": runtime.vault.encrypt(message.sender),
                "channel": message.channel, "bot_address": message.recipient, "state": {},
                "opted_out": False, "last_inbound_at": now, "created_at": now, "updated_at": now,
            })
    except IntegrityError:
        return conn.scalar(_BY_KEY, {"key": key})  # a concurrent first message created it


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
