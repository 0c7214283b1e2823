"""Conversations in the database: accept an inbound message, then process a worker's pending ones.

``accept`` runs on the request path and only stores (deduplicated by MessageSid), then queues a
turn job unless one is waiting already. ``process`` is that turn: it locks the conversation (a row
lock on PostgreSQL, the write lock on SQLite: both work across processes), handles every pending
message of that worker in arrival order, and writes the replies to the outbox in the same
transaction, so a retried job never answers twice; then it does the same for the other workers'
conversations with pending messages that no other turn holds (``drain``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TypedDict, cast

from sqlalchemy import (
    JSON,
    Connection,
    Insert,
    Integer,
    Row,
    String,
    bindparam,
    case,
    false,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot.channels.twilio import cleanup
from bot.conversation import dialogue, effects, nlu_review, sealed_state
from bot.jobs.queue import job_id, runs_in
from bot.messages import Received
from bot.metrics import TURN_LATENCY
from bot.outbox import (
    claim_first,
    deliver,
    queue_text,
    queue_to_address,
    release_held,
    schedule_probe,
    send_claimed,
    send_job_id,
    send_message,
)
from bot.runtime import Runtime, current, take_after_commit
from bot.store.db import UTCDateTime, utcnow
from bot.store.envelope import Envelope
from bot.store.models import (
    Conversation,
    ErasedMessage,
    InboundMessage,
    InboundStatus,
    OutboxStatus,
)
from flows import Reply

log = logging.getLogger(__name__)

#: When another job holds the worker's conversation, this one is queued again after this delay.
BUSY_RETRY_SECONDS = 0.5
#: A turn job takes at most this many conversations' pending messages, then queues a successor.
DRAIN_CONVERSATIONS = 50


@runs_in("turns")
def process_inbound(inbound_id: int) -> int:
    """Job: understand and answer a worker's pending messages (this one and any before it)."""
    return process(current(), inbound_id)


@runs_in("turns")
def drain_turns() -> int:
    """Job: carry on with the pending messages a turn job left after its share, or look again at
    those of conversations other turns held (:func:`drain`)."""
    return drain(current())


def send_flood_notice(inbound_id: int) -> bool:
    """Job: tell a worker over the flood limit to wait a minute (at most once a minute)."""
    return flood_notice(current(), inbound_id)


def answer_after_flood(inbound_id: int) -> int:
    """Job: answer a throttled worker's latest message once the pause is over."""
    return after_flood(current(), inbound_id)


@dataclass(frozen=True)
class Accepted:
    inbound_id: int | None  # None: a duplicate delivery
    throttled: bool = False


def turn_job_id(inbound_id: int) -> str:
    """The turn that starts with this message (a re-drive of it queues no second one)."""
    return job_id("turn", inbound_id)


#: While a turn job is queued and not started, new messages queue no other: it will take them
#: (:func:`drain`), whichever worker they are from.
TURNS_MARKER = "turns"
#: While a job to look again at conversations other turns held is queued, none other is.
HELD_MARKER = "turns-held"


@cache
def _statements(dialect: str) -> tuple[Insert, Insert]:
    """(store, new conversation), for one message.

    ``store`` inserts the message into its worker's conversation unless its MessageSid is stored
    or erased; a worker who sent more messages in the last minute than anyone types (a flood) has
    it stored as throttled (see :func:`flood_notice`), STOP never. It returns (id, conversation,
    status), nothing for a known sid or a conversation gone meanwhile. ``new conversation`` creates
    the worker's and returns (id, data key), except for a known sid (Twilio redelivering a message of a
    conversation since erased must not bring its number back)."""
    # SQLite's Insert has the same on_conflict_do_nothing as PostgreSQL's, which types them both.
    insert = cast(
        Callable[..., postgresql.Insert],
        {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect],
    )
    conversation, message = Conversation.__table__, InboundMessage.__table__
    sid, now = bindparam("sid", type_=String()), bindparam("now", type_=UTCDateTime())
    recent = (
        select(func.count())
        .select_from(message)
        .where(
            message.c.conversation_id == conversation.c.id,
            message.c.received_at >= bindparam("since", type_=UTCDateTime()),
        )
        .scalar_subquery()
    )
    flooded = (recent >= bindparam("flood_limit", type_=Integer())) & (
        bindparam("exempt", type_=Integer()) == 0
    )
    erased = select(ErasedMessage.message_sid).where(ErasedMessage.message_sid == sid).exists()
    stored = select(message.c.id).where(message.c.message_sid == sid).exists()
    text = [bindparam(name, type_=String()) for name in ("sid_enc", "body_enc", "button_enc")]
    columns = [
        "message_sid",
        "sid_enc",
        "body_enc",
        "button_enc",
        "conversation_id",
        "received_at",
        "media",
        "opt_out_type",
        "bot_address",
        "status",
        "attempts",
    ]
    store = (
        insert(message)
        .from_select(
            columns,
            select(
                sid,
                *text,
                conversation.c.id,
                now,
                bindparam("media", type_=JSON()),
                bindparam("opt_out_type", type_=String()),
                bindparam("bot_address", type_=String()),
                case(
                    (flooded, literal(InboundStatus.THROTTLED, String())),
                    else_=literal(InboundStatus.RECEIVED, String()),
                ),
                literal(0),
            ).where(conversation.c.id == bindparam("conversation_id", type_=Integer()), ~erased),
        )
        .on_conflict_do_nothing(index_elements=["message_sid"])
        .returning(message.c.id, message.c.conversation_id, message.c.status)
    )
    new_conversation = (
        insert(conversation)
        .from_select(
            [
                "address_key",
                "address_enc",
                "data_key_id",
                "channel",
                "bot_address",
                "state",
                "opted_out",
                "last_inbound_at",
                "created_at",
                "updated_at",
            ],
            select(
                bindparam("key", type_=String()),
                literal(""),
                bindparam("data_key_id", type_=String()),
                bindparam("channel", type_=String()),
                bindparam("bot_address", type_=String()),
                bindparam("state", {}, type_=JSON()),
                false(),
                now,
                now,
                now,
            ).where(~stored, ~erased),
        )
        .on_conflict_do_nothing(index_elements=["address_key"])
        .returning(conversation.c.id, conversation.c.data_key_id)
    )
    return store, new_conversation


def accept(runtime: Runtime, message: Received) -> Accepted:
    """Store an inbound message and queue its conversation's turn; a repeated MessageSid is a no-op.

    The webhook's hot path: one transaction finds the worker's conversation (a first message
    creates it, with its data key) and stores the message sealed under that key, then its turn is
    queued unless one is waiting already (a turn handles every pending message of its worker)."""
    vault = runtime.vault
    now = utcnow()
    stop = (
        bool(message.opt_out_type)
        or runtime.engine.keywords.command(message.body, message.channel) == "stop"
    )
    params: _Params = {
        # The SID only as a keyed hash (deduplication); itself encrypted until its deletion at Twilio.
        "sid": vault.sid_hash(message.message_sid),
        "key": vault.address_key(message.sender),
        "now": now,
        "since": now - timedelta(minutes=1),
        "flood_limit": runtime.settings.messages.flood_limit_per_minute,
        "exempt": int(stop),
        "opt_out_type": message.opt_out_type,
        "bot_address": message.recipient,
    }
    for attempt in (1, 2):
        try:
            with runtime.db.engine.begin() as conn:
                row = _store(conn, runtime, message, params)
            break
        except IntegrityError:
            # The worker's conversation was erased between the statements (their "yes, erase" at the
            # same moment): once more, into a new one.
            if attempt == 2:
                raise
    if row is None:
        return Accepted(None)
    inbound_id, conversation_id, status = row
    if status == InboundStatus.RECEIVED:
        runtime.enqueue_once(
            process_inbound,
            {TURNS_MARKER: (inbound_id,)},
            {TURNS_MARKER: turn_job_id(inbound_id)},
        )
    else:
        runtime.enqueue_once(send_flood_notice, {f"flood:{conversation_id}": (inbound_id,)})
    return Accepted(inbound_id, throttled=status == InboundStatus.THROTTLED)


class _Params(TypedDict):
    """The bound parameters of a message's statements (``_statements``) but its sealed columns."""

    sid: str
    key: str
    now: datetime
    since: datetime
    flood_limit: int
    exempt: int
    opt_out_type: str | None
    bot_address: str


def _store(
    conn: Connection, runtime: Runtime, message: Received, params: _Params
) -> Row[int, int, str] | None:
    """(id, conversation, status) of the stored message; None for a known or erased MessageSid."""
    store, _ = _statements(runtime.db.dialect)
    for _attempt in (1, 2):
        owner = conn.execute(
            select(Conversation.id, Conversation.data_key_id).where(
                Conversation.address_key == params["key"]
            )
        ).first()
        if owner is None:
            owner = _new_conversation(conn, runtime, message, params)
            if owner is None:
                return None
        row = conn.execute(
            store,
            params
            | _sealed(conn, runtime.envelope, owner.data_key_id, params["sid"], message)
            | {"conversation_id": owner.id},
        ).first()
        if (
            row is not None
            or conn.scalar(select(Conversation.id).where(Conversation.id == owner.id)) is not None
        ):
            return row
        # Erased since it was found (the worker's "yes, erase" at the same moment): into a new one.
    return None


def _new_conversation(
    conn: Connection, runtime: Runtime, message: Received, params: _Params
) -> Row[int, str | None] | None:
    """The worker's first message: their conversation with a data key of its own, their number sealed
    under it; another request's if it came first; None for a known or erased MessageSid."""
    envelope = runtime.envelope
    _, new_conversation = _statements(runtime.db.dialect)
    key_id = envelope.new_key(conn, "conversation")
    created = conn.execute(
        new_conversation, params | {"data_key_id": key_id, "channel": message.channel}
    ).first()
    if created is None:
        envelope.destroy(conn, key_id)
        return conn.execute(
            select(Conversation.id, Conversation.data_key_id).where(
                Conversation.address_key == params["key"]
            )
        ).first()
    conn.execute(
        update(Conversation)
        .where(Conversation.id == created.id)
        .values(
            address_enc=envelope.seal(
                conn, key_id, "conversations.address_enc", created.id, message.sender
            )
        )
    )
    return created


def _sealed(
    conn: Connection, envelope: Envelope, key_id: str, sid: str, message: Received
) -> dict[str, object]:
    """The message's encrypted columns, sealed to its row (named by its MessageSid's hash)."""

    def seal(column: str, value: str | None) -> str | None:
        return envelope.seal_optional(conn, key_id, f"inbound_messages.{column}", sid, value)

    return {
        "sid_enc": seal("sid_enc", message.message_sid),
        "body_enc": seal("body_enc", message.body),
        "button_enc": seal("button_enc", message.button),
        "media": [
            {"url_enc": seal("media", media.url), "content_type": media.content_type}
            for media in message.media
        ],
    }


def process(runtime: Runtime, inbound_id: int) -> int:
    """Handle the worker's pending messages, oldest first, then other workers' (see :func:`drain`);
    return how many were handled.

    The replies are sent from here once written, in order: no queue hop and no job per page. One
    that fails is retried by its own send job (bot.outbox.deliver), as any other."""
    # This job has started: from now on a new message queues another turn job (this one may miss it).
    handled = _turn(runtime, lambda session: _lock_own(session, inbound_id))
    return (handled or 0) + drain(runtime)


def drain(runtime: Runtime) -> int:
    """Handle other workers' pending messages, one conversation at a time, oldest message first,
    skipping the conversations another turn holds: in a burst one job answers many messages where
    each would have cost an rq job of its own. After DRAIN_CONVERSATIONS it hands over to a new job
    (rq's timeout). A conversation held by another turn is looked at again shortly: its holder
    may have read its pending messages before the last of them was stored."""
    handled = 0
    for _ in range(DRAIN_CONVERSATIONS):
        count = _turn(runtime, _lock_next)
        if count is None:
            break
        handled += count
    else:
        runtime.enqueue_once(drain_turns, {TURNS_MARKER: ()})
        return handled
    with runtime.db.session() as session:
        held = session.scalar(
            select(InboundMessage.id)
            .where(InboundMessage.status == InboundStatus.RECEIVED)
            .limit(1)
        )
    if held is not None:
        # One job for them all, whichever turns see them: the rq worker does not wait on a lock.
        runtime.enqueue_once(drain_turns, {HELD_MARKER: ()}, delay=BUSY_RETRY_SECONDS)
    return handled


def _turn(runtime: Runtime, lock: Callable[[Session], Conversation | None]) -> int | None:
    """One conversation's pending messages under its lock, then their replies sent; None when
    ``lock`` found no conversation to take."""
    due = _Due()
    with runtime.db.session() as session:
        conversation = lock(session)
        if conversation is None:
            return None
        pending = session.scalars(_PENDING, {"conversation_id": conversation.id}).all()
        # A lone message needs no SAVEPOINT: a bug while handling it rolls back the whole turn.
        alone = len(pending) == 1
        for row in pending:
            if not _handle(session, runtime, conversation, row, due, alone=alone):
                break
        # This job sends what the turn wrote (its replies, and any other page its effects queued)
        # itself once committed, in the order written: no send job each, no queue hop. Its commit
        # takes the first one's lease (no claim after it).
        sends = [int(outbox_id) for (outbox_id,) in take_after_commit(session, send_message)]
        first = claim_first(session, runtime, sends)
    if first is not None:
        send_claimed(runtime, first)
    for outbox_id in sends[1:] if first is not None else sends:
        deliver(runtime, outbox_id)
    if due.sweep:
        # One sweep for the deletions now due, unless one waits already (not a job per message).
        cleanup.sweep_soon(runtime)
    return len(pending)


@dataclass
class _Due:
    """What a turn's messages made due at once, done by the turn's job after its commit."""

    #: Twilio's copy of a handled message may be deleted now (no wait configured, no media).
    sweep: bool = False


# A turn's statements, built once (with their cache keys): building them anew each turn cost
# about as much CPU as running them.
#: A conversation's pending messages, oldest first.
_PENDING = (
    select(InboundMessage)
    .where(
        InboundMessage.conversation_id == bindparam("conversation_id"),
        InboundMessage.status == InboundStatus.RECEIVED,
    )
    .order_by(InboundMessage.id)
)
#: The conversation of the oldest pending message no other turn holds (NO KEY UPDATE: the webhook
#: can still store new messages of this worker meanwhile).
_NEXT = (
    select(Conversation)
    .join(InboundMessage, InboundMessage.conversation_id == Conversation.id)
    .where(InboundMessage.status == InboundStatus.RECEIVED)
    .order_by(InboundMessage.id)
    .limit(1)
    .with_for_update(of=Conversation, key_share=True, skip_locked=True)
)


#: The conversation of one message, unless another turn holds it.
_OWN = (
    select(Conversation)
    .join(InboundMessage, InboundMessage.conversation_id == Conversation.id)
    .where(InboundMessage.id == bindparam("inbound_id"))
    .with_for_update(of=Conversation, key_share=True, skip_locked=True)
)


def _lock_own(session: Session, inbound_id: int) -> Conversation | None:
    """The conversation of this message, unless another turn holds it (then :func:`drain` has it
    looked at again shortly: the rq worker does not wait on the lock) or it was erased."""
    return session.scalar(_OWN, {"inbound_id": inbound_id})


def _lock_next(session: Session) -> Conversation | None:
    """The conversation of the oldest pending message that no other turn holds."""
    return session.scalar(_NEXT)


def _handle(
    session: Session,
    runtime: Runtime,
    conversation: Conversation,
    row: InboundMessage,
    due: _Due,
    *,
    alone: bool = False,
) -> bool:
    """Handle one message; False when the worker erased everything (nothing more to handle).

    What a bug left half done is rolled back before the apology: to a SAVEPOINT, or (``alone``: the
    turn's only message, so the transaction holds nothing else) the whole transaction, after which
    the conversation is locked again."""
    envelope = runtime.envelope
    conversation_id, row_id = conversation.id, row.id
    try:
        with nullcontext() if alone else session.begin_nested(), TURN_LATENCY.time():
            turn = dialogue.TurnInput(
                text=envelope.get(session, row, "body_enc") or "",
                button=envelope.get(session, row, "button_enc"),
                # Opened here: the flow keeps the URLs inside the sealed slots until the report takes them.
                media=tuple(
                    {
                        "url": envelope.open(
                            session, "inbound_messages.media", row.message_sid, item["url_enc"]
                        ),
                        "content_type": item.get("content_type"),
                    }
                    for item in row.media or ()
                ),
                channel=conversation.channel,
                opt_out_type=row.opt_out_type,
            )
            # The report answers in the flow state are encrypted at rest (bot.conversation.sealed_state).
            before = sealed_state.unseal(envelope, session, conversation)
            outcome = dialogue.respond(runtime, before, turn)
            conversation.state = sealed_state.seal(envelope, session, conversation, outcome.state)
            # Answer from the number the worker last wrote to; WhatsApp's 24-hour window runs from here.
            conversation.bot_address = row.bot_address or conversation.bot_address
            # What came before, for the analytics' session start (not a query of its own).
            previous_inbound_at = _before(conversation.last_inbound_at, row)
            conversation.last_inbound_at = row.received_at
            if not turn.button:
                nlu_review.keep(
                    session,
                    runtime,
                    conversation,
                    before,
                    turn.text,
                    outcome.parse,
                    outcome.effects,
                )
            address, bot_address = (
                envelope.get_str(session, conversation, "address_enc"),
                conversation.bot_address,
            )
            context = effects.Context(
                session=session,
                runtime=runtime,
                conversation=conversation,
                inbound=row,
                parse=outcome.parse,
                previous_inbound_at=previous_inbound_at,
            )
            pages, waiting = dialogue.with_added(
                runtime, outcome, effects.apply(context, outcome.effects), conversation.channel
            )
            if waiting is not None:
                sealed_state.update(
                    runtime.envelope, session, conversation, **{dialogue.PAGES_KEY: waiting}
                )
            if context.erased:
                # The confirmation goes to the address we still hold in memory, then it is gone too.
                for page in outcome.pages:
                    queue_to_address(session, runtime, address, bot_address, page, kind="reply")
                return False
            queue_text(
                session,
                runtime,
                conversation,
                pages,
                dedupe_key=f"reply:{row.id}",
                even_if_opted_out=outcome.confirm_opt_out,
                new_key=True,
            )
            if any(effect.kind == "pin_unlocked" for effect in outcome.effects):
                release_held(
                    session, runtime, conversation
                )  # after the reply, news held for the PIN
            # Counted with the outcome, so the row is written once (a flush mid-turn would add an UPDATE).
            row.attempts += 1
            row.status, row.processed_at = InboundStatus.DONE, utcnow()
            due.sweep |= _delete_at_twilio(session, runtime, row)
    except SQLAlchemyError:
        raise  # the database is in trouble: let the job fail and be retried as a whole
    except Exception as exc:
        log.exception("inbound %s could not be handled (%s)", row_id, type(exc).__name__)
        if alone:
            session.rollback()
            locked = session.scalar(
                select(Conversation)
                .where(Conversation.id == conversation_id)
                .with_for_update(key_share=True)
            )
            again = session.get(InboundMessage, row_id)
            if locked is None or again is None or again.status != InboundStatus.RECEIVED:
                return False  # erased meanwhile, or another turn took it
            conversation, row = locked, again
        # A bug, not a passing fault: retrying would fail the same way. Say sorry, never go silent.
        row.error = type(exc).__name__
        row.attempts += 1
        row.status, row.processed_at = InboundStatus.FAILED, utcnow()
        queue_text(
            session,
            runtime,
            conversation,
            dialogue.apology(runtime, conversation),
            dedupe_key=f"apology:{row.id}",
        )
        due.sweep |= _delete_at_twilio(session, runtime, row)
    return True


def _before(last_inbound_at: datetime | None, row: InboundMessage) -> datetime | None:
    """The conversation's last handled message before ``row``, None for its first: a conversation is
    created with its first message's time (``accept``)."""
    if last_inbound_at is None or last_inbound_at >= row.received_at:
        return None
    return last_inbound_at


def flood_notice(runtime: Runtime, inbound_id: int) -> bool:
    """Tell a worker over the flood limit, once a minute, that their latest message will be answered
    in a minute (never silence); False when a notice already went this minute."""
    with runtime.db.session() as session:
        row = session.get(InboundMessage, inbound_id)
        if row is None:
            return False
        conversation = session.get_one(Conversation, row.conversation_id)
        key = f"flood:{conversation.id}:{utcnow():%Y%m%d%H%M}"
        language = (
            (conversation.state or {}).get("language")
            or conversation.language
            or runtime.settings.conversation.default_language
        )
        pages = dialogue.render_replies(
            runtime, [Reply("flood.notice")], language, conversation.channel
        )
        if not queue_text(session, runtime, conversation, pages, kind="flood", dedupe_key=key):
            return False
    runtime.enqueue(
        answer_after_flood, inbound_id, delay=runtime.settings.messages.flood_pause_seconds
    )
    return True


def after_flood(runtime: Runtime, inbound_id: int) -> int:
    """The pause is over: answer the worker's latest message if it was one held back by the flood."""
    with runtime.db.session() as session:
        conversation_id = session.scalar(
            select(InboundMessage.conversation_id).where(InboundMessage.id == inbound_id)
        )
        latest = session.scalar(
            select(InboundMessage)
            .where(InboundMessage.conversation_id == conversation_id)
            .order_by(InboundMessage.id.desc())
            .limit(1)
        )
        if latest is None or latest.status != InboundStatus.THROTTLED:
            return 0
        latest.status = InboundStatus.RECEIVED
        latest_id = latest.id
    return process(runtime, latest_id)


def _delete_at_twilio(session: Session, runtime: Runtime, row: InboundMessage) -> bool:
    """Schedule the deletion of Twilio's copy of a handled message; True when it is due at once
    (the turn then asks for a sweep after its commit), else a later sweep runs it (the next status
    callback's, or the re-drive's)."""
    deletion = cleanup.schedule_inbound(session.connection(), runtime, row)
    return deletion is not None and not row.media and not cleanup.job_delay(runtime)


def redrive(runtime: Runtime) -> dict[str, int]:
    """Queue again what a Redis outage or a dead worker left undone (idempotent: a job that still
    waits is not queued twice). It goes to the backlog queue, behind new messages' turns; sends wait
    while the Twilio circuit is open (their release queues them)."""
    from bot.store.models import OutboxMessage

    now = utcnow()
    jobs = runtime.settings.jobs
    stale = now - timedelta(seconds=jobs.redrive_after_seconds)
    lease = now - timedelta(seconds=jobs.send_lease_seconds)
    circuit_open = runtime.circuit.state().open
    if circuit_open and runtime.circuit.probe_overdue(grace=jobs.redrive_after_seconds):
        schedule_probe(runtime)  # the probe's job was lost (Redis flushed, its worker killed)
    with runtime.db.session() as session:
        inbound = session.scalars(
            select(func.min(InboundMessage.id))
            .where(
                InboundMessage.status == InboundStatus.RECEIVED, InboundMessage.received_at < stale
            )
            .group_by(InboundMessage.conversation_id)
        ).all()
        outbox = (
            []
            if circuit_open
            else session.execute(
                select(OutboxMessage.id, OutboxMessage.attempts)
                .where(
                    (
                        (OutboxMessage.status == OutboxStatus.PENDING)
                        & (
                            func.coalesce(OutboxMessage.next_attempt_at, OutboxMessage.created_at)
                            < stale
                        )
                    )
                    | (
                        (OutboxMessage.status == OutboxStatus.SENDING)
                        & (OutboxMessage.claimed_at < lease)
                    )
                )
                .order_by(OutboxMessage.id)
            ).all()
        )
    queued = {
        "deletions": cleanup.redrive(runtime),
        "inbound": runtime.enqueue_unique(
            process_inbound, {turn_job_id(id_): (id_,) for id_ in sorted(inbound)}, queue="backlog"
        ),
        "outbox": runtime.enqueue_unique(
            send_message,
            {send_job_id(id_, attempts): (id_,) for id_, attempts in outbox},
            queue="backlog",
        ),
    }
    if any(queued.values()):
        log.info("re-drove %s inbound and %s outbox job(s)", queued["inbound"], queued["outbox"])
    return queued
