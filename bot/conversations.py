"""Conversations in the database: accept an inbound message, then process a worker's pending ones.

``accept`` runs on the request path and only stores (deduplicated by MessageSid), then queues the
conversation's turn unless one is waiting already. ``process`` is that turn, in a job: it locks the
conversation (a row lock on PostgreSQL, the write lock on SQLite: both work across processes),
handles every pending message of that worker in arrival order, and writes the replies to the outbox
in the same transaction, so a retried job never answers twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import (
    JSON,
    Insert,
    Integer,
    String,
    Text,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
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


def turn_marker(conversation_id: int) -> str:
    """While a turn of this conversation is queued and not started, new messages queue no other."""
    return f"turn:{conversation_id}"


# The webhook's statements, built once per dialect (bound per request): each request only runs them.
_SID, _KEY = bindparam("sid", type_=String()), bindparam("key", type_=String())
_NOW = bindparam("now", type_=UTCDateTime())
#: Whether this MessageSid belonged to a conversation since erased (Twilio may redeliver it).
_ERASED = select(ErasedMessage.message_sid).where(ErasedMessage.message_sid == _SID).exists()
#: Whether this MessageSid was stored already, or erased.
_SEEN = select(or_(select(InboundRow.id).where(InboundRow.message_sid == _SID).exists(), _ERASED))


@cache
def _statements(dialect: str) -> tuple[Insert, Insert]:
    """(store, new conversation): ``store`` inserts the message into the worker's conversation in
    one statement, unless its MessageSid is known; more messages in the last minute than anyone
    types (a flood) are stored without their text, as throttled. It returns nothing when the sid is
    known or the conversation does not exist yet."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    conversation, message = Conversation.__table__, InboundRow.__table__
    recent = (select(func.count()).select_from(message)
              .where(message.c.conversation_id == conversation.c.id,
                     message.c.received_at >= bindparam("since", type_=UTCDateTime()))
              .scalar_subquery())
    flooded = recent >= bindparam("flood_limit", type_=Integer())
    source = select(
        _SID, conversation.c.id, _NOW,
        case((flooded, None), else_=bindparam("body_enc", type_=Text())),
        bindparam("button_enc", type_=Text()), bindparam("media", type_=JSON()),
        bindparam("opt_out_type", type_=String()), bindparam("bot_address", type_=String()),
        case((flooded, "throttled"), else_="received"), literal(0),
    ).where(conversation.c.address_key == _KEY, ~_ERASED)
    columns = ["message_sid", "conversation_id", "received_at", "body_enc", "button_enc", "media",
               "opt_out_type", "bot_address", "status", "attempts"]
    store = (insert(message).from_select(columns, source)
             .on_conflict_do_nothing(index_elements=["message_sid"])
             .returning(message.c.id, message.c.conversation_id, message.c.status))
    new_conversation = insert(conversation).on_conflict_do_nothing(index_elements=["address_key"])
    return store, new_conversation


def accept(runtime: Runtime, message: InboundMessage) -> Accepted:
    """Store an inbound message and queue its conversation's turn; a repeated MessageSid is a no-op.

    The webhook's hot path: one INSERT ... SELECT for a worker the bot knows, and one Redis command
    (the turn is queued only if none of this conversation is waiting: it handles every pending
    message). A first message also creates the conversation.
    """
    vault, settings = runtime.vault, runtime.settings
    store, new_conversation = _statements(runtime.db.dialect)
    sid, key, now = message.message_sid, vault.address_key(message.sender), utcnow()
    values = {
        "sid": sid, "key": key, "now": now, "since": now - timedelta(minutes=1),
        "flood_limit": settings.messages.flood_limit_per_minute,
        "body_enc": vault.encrypt(message.body), "button_enc": vault.encrypt_optional(message.button_text),
        "media": [{"url_enc": vault.encrypt(m.url), "content_type": m.content_type} for m in message.media],
        "opt_out_type": message.opt_out_type, "bot_address": message.recipient,
    }
    for attempt in (1, 2):
        try:
            with runtime.db.autocommit() as conn:
                stored = conn.execute(store, values).first()
                if stored is None and not conn.scalar(_SEEN, {"sid": sid}):
                    conn.execute(new_conversation, {
                        "address_key": key, "address_enc": vault.encrypt(message.sender),
                        "channel": message.channel, "bot_address": message.recipient, "state": {},
                        "opted_out": False, "last_inbound_at": now, "created_at": now, "updated_at": now,
                    })
                    stored = conn.execute(store, values).first()
            break
        except IntegrityError:
            # The conversation was erased between the statements (the worker's "yes, erase" at the
            # same moment): once more, into a new one.
            if attempt == 2:
                raise
    if stored is None:
        return Accepted(None)  # a redelivery (or a message of a conversation since erased)
    inbound_id, conversation_id, status = stored
    if status == "throttled":
        return Accepted(inbound_id, throttled=True)
    runtime.enqueue(PROCESS_JOB, inbound_id, once=turn_marker(conversation_id))
    return Accepted(inbound_id)


def process(runtime: Runtime, inbound_id: int) -> int:
    """Handle the worker's pending messages, oldest first; return how many were handled."""
    with runtime.db.session() as session:
        conversation = session.scalar(
            # NO KEY UPDATE: the webhook can still store new messages of this worker meanwhile.
            select(Conversation).join(InboundRow, InboundRow.conversation_id == Conversation.id)
            .where(InboundRow.id == inbound_id)
            .with_for_update(of=Conversation, key_share=True, skip_locked=True)
        )
        if conversation is None:
            if session.scalar(select(InboundRow.id).where(InboundRow.id == inbound_id)) is None:
                return 0  # erased since it was queued
            # A turn of this worker is in progress elsewhere: come back shortly rather than hold an
            # rq worker waiting on the lock (a burst from one sender would otherwise take them all).
            runtime.enqueue(PROCESS_JOB, inbound_id, delay=BUSY_RETRY_SECONDS)
            return 0
        conversation_id = conversation.id
        # From now on a new message of this worker queues another turn (this one may miss it).
        runtime.queue.release(turn_marker(conversation_id))
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
            # Answer from the number the worker last wrote to; WhatsApp's 24-hour window runs from here.
            conversation.bot_address = row.bot_address or conversation.bot_address
            conversation.last_inbound_at = row.received_at
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
