"""Conversations in the database: accept an inbound message, then process a worker's pending ones.

``accept`` runs on the request path and only stores (deduplicated by MessageSid), then queues the
conversation's turn unless one is waiting already. ``process`` is that turn, in a job: it locks the
conversation (a row lock on PostgreSQL, the write lock on SQLite: both work across processes),
handles every pending message of that worker in arrival order, and writes the replies to the outbox
in the same transaction, so a retried job never answers twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Insert,
    Integer,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot import dialogue, effects, nlu_review, sealed_state, twilio_cleanup
from bot.db import UTCDateTime, utcnow
from bot.group_commit import GroupCommit
from bot.messages import InboundMessage
from bot.metrics import TURN_LATENCY
from bot.models import Conversation, ErasedMessage
from bot.models import InboundMessage as InboundRow
from bot.outbound import (
    SEND_JOB,
    deliver,
    queue_text,
    queue_to_address,
    release_held,
    schedule_probe,
    send_job_id,
)
from bot.queue import job_id
from bot.runtime import Runtime, after_commit
from flows import Reply

log = logging.getLogger(__name__)

PROCESS_JOB = "bot.jobs.process_inbound"
FLOOD_JOB = "bot.jobs.flood_notice"
AFTER_FLOOD_JOB = "bot.jobs.after_flood"
#: When another job holds the worker's conversation, this one is queued again after this delay.
BUSY_RETRY_SECONDS = 0.5


@dataclass(frozen=True)
class Accepted:
    inbound_id: int | None  # None: a duplicate delivery
    throttled: bool = False


def turn_job_id(inbound_id: int) -> str:
    """The turn that starts with this message (a re-drive of it queues no second one)."""
    return job_id("turn", inbound_id)


def turn_marker(conversation_id: int) -> str:
    """While a turn of this conversation is queued and not started, new messages queue no other."""
    return f"turn:{conversation_id}"


# The webhook's statements, built once per dialect (bound per batch): each batch only runs them.
#: A batch's messages, a JSON array of objects, as a table (both dialects read JSON natively).
_ELEMENTS = {"postgresql": "json_array_elements", "sqlite": "json_each"}


class _Stored(NamedTuple):
    """What the store statement returns for each message it stored."""

    message_sid: str
    id: int
    conversation_id: int
    status: str


@cache
def _statements(dialect: str) -> tuple[Insert, Insert]:
    """(store, new conversations), each for a batch of messages (the ``rows`` parameter).

    ``store`` inserts them into their workers' conversations in one statement, skipping MessageSids
    already stored or erased; a worker who sent more messages in the last minute than anyone types
    (a flood) has them stored as throttled (see :func:`flood_notice`). It returns (sid, id, conversation,
    status) of what it stored, nothing for a known sid or a conversation that does not exist yet.
    ``new conversations`` creates the missing ones, except for a known sid (Twilio redelivering a
    message of a conversation since erased must not bring its number back)."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    conversation, message = Conversation.__table__, InboundRow.__table__
    rows = getattr(func, _ELEMENTS[dialect])(bindparam("rows", type_=JSON())).table_valued("value").alias("v")

    def field(name: str, *, as_json: bool = False, as_int: bool = False) -> ColumnElement:
        """A member of each message's object, as text (or JSON, or an integer). On SQLite
        json_extract, not ->> (3.38+): the SQLite older systems ship still runs it."""
        if dialect == "sqlite":
            return func.json_extract(rows.c.value, literal_column(f"'$.{name}'"))
        value = rows.c.value.op("->" if as_json else "->>")(literal_column(f"'{name}'"))
        return cast(value, Integer) if as_int else value

    recent = (select(func.count()).select_from(message)
              .where(message.c.conversation_id == conversation.c.id,
                     message.c.received_at >= bindparam("since", type_=UTCDateTime()))
              .scalar_subquery())
    # The same worker's earlier messages in this batch count too: a flood arrives in batches.
    # STOP is never held back.
    flooded = ((recent + field("earlier", as_int=True) >= bindparam("flood_limit", type_=Integer()))
               & (field("exempt", as_int=True) == 0))
    erased = select(ErasedMessage.message_sid).where(ErasedMessage.message_sid == field("sid")).exists()
    stored = select(message.c.id).where(message.c.message_sid == field("sid")).exists()
    now = bindparam("now", type_=UTCDateTime())
    source = (
        select(field("sid"), field("sid_enc"), conversation.c.id, now,
               field("body_enc"), field("button_enc"), field("media", as_json=True),
               field("opt_out_type"), field("bot_address"),
               case((flooded, "throttled"), else_="received"), literal(0))
        .select_from(rows).join(conversation, conversation.c.address_key == field("key"))
        .where(~erased)
    )
    columns = ["message_sid", "sid_enc", "conversation_id", "received_at", "body_enc", "button_enc", "media",
               "opt_out_type", "bot_address", "status", "attempts"]
    store = (insert(message).from_select(columns, source)
             .on_conflict_do_nothing(index_elements=["message_sid"])
             .returning(message.c.message_sid, message.c.id, message.c.conversation_id, message.c.status))
    new_conversations = (
        insert(conversation)
        .from_select(["address_key", "address_enc", "channel", "bot_address", "state", "opted_out",
                      "last_inbound_at", "created_at", "updated_at"],
                     select(field("key"), field("address_enc"), field("channel"), field("bot_address"),
                            bindparam("state", {}, type_=JSON()), false(), now, now, now)
                     .select_from(rows).where(~stored, ~erased))
        .on_conflict_do_nothing(index_elements=["address_key"])
    )
    return store, new_conversations


def accept(runtime: Runtime, message: InboundMessage) -> Accepted:
    """Store an inbound message and queue its conversation's turn; a repeated MessageSid is a no-op.

    The webhook's hot path. Concurrent calls in this process are stored together (bot.group_commit):
    one INSERT ... SELECT and one Redis pipeline for the batch.
    """
    batcher = runtime.extras.get("accept") or runtime.extras.setdefault(
        "accept", GroupCommit(lambda messages: accept_many(runtime, messages)))
    return batcher(message)


def accept_many(runtime: Runtime, messages: Sequence[InboundMessage]) -> list[Accepted]:
    """Store these messages (first messages also create their conversations) and queue each
    conversation's turn unless one is waiting already: it handles every pending message.

    The flood check counts the worker's messages of the last minute and those before it in the batch."""
    vault, settings = runtime.vault, runtime.settings
    store, new_conversations = map(runtime.db.prepared, _statements(runtime.db.dialect))
    now = utcnow()
    keys = [vault.address_key(m.sender) for m in messages]
    rows = [{
        # earlier: the sender's messages before this one in the batch, for the flood check.
        # The SID only as a keyed hash (deduplication); itself encrypted until its deletion at Twilio.
        "sid": vault.sid_hash(m.message_sid), "sid_enc": vault.encrypt(m.message_sid),
        "key": key, "earlier": keys[:i].count(key),
        "body_enc": vault.encrypt(m.body), "button_enc": vault.encrypt_optional(m.button_text),
        "media": [{"url_enc": vault.encrypt(media.url), "content_type": media.content_type} for media in m.media],
        "opt_out_type": m.opt_out_type, "bot_address": m.recipient,
        "exempt": int(bool(m.opt_out_type) or runtime.engine.keywords.command(m.body, m.channel) == "stop"),
    } for i, (m, key) in enumerate(zip(messages, keys, strict=True))]
    shared = {"now": now, "since": now - timedelta(minutes=1),
              "flood_limit": settings.messages.flood_limit_per_minute}
    stored: dict[int, _Stored | None] = {}  # position in the batch -> what was stored

    def store_rows(conn: Connection, positions: list[int]) -> None:
        by_sid = {row.message_sid: row for row in map(_Stored._make, store.run(
            conn, shared | {"rows": [rows[i] for i in positions]}))}
        for i in positions:
            if (row := by_sid.pop(rows[i]["sid"], None)) is not None:  # pop: a sid twice is stored once
                stored[i] = row

    try:
        for attempt in (1, 2):
            committed = dict(stored)
            try:
                with runtime.db.autocommit(held=True) as conn:
                    store_rows(conn, [i for i in range(len(rows)) if i not in stored])
                    if missing := [i for i in range(len(rows)) if i not in stored]:
                        # First messages (or known sids): their conversations, then the messages again.
                        new_conversations.run(conn, {"now": now, "rows": [rows[i] | {
                            "address_enc": vault.encrypt(messages[i].sender), "channel": messages[i].channel,
                        } for i in missing]})
                        store_rows(conn, missing)
                        stored.update((i, None) for i in missing if i not in stored)
                break
            except SQLAlchemyError as exc:
                if not runtime.db.commits_each_statement:
                    stored.clear()
                    stored.update(committed)  # the attempt's transaction was rolled back
                # An IntegrityError: a conversation was erased between the statements (the worker's
                # "yes, erase" at the same moment): once more for what is not stored yet, into a new one.
                # A lost connection (the server restarted since the last batch): once more on a new one.
                if attempt == 2 or not (isinstance(exc, IntegrityError)
                                        or getattr(exc, "connection_invalidated", False)):
                    raise
    finally:
        # Also when the batch fails: what it did store gets its turn now. Each message is then
        # tried alone (bot.group_commit), which takes these for duplicates and queues nothing.
        turns: dict[str, tuple[int]] = {}
        notices: dict[str, tuple[int]] = {}
        for row in stored.values():
            if row is not None and row.status == "received":
                turns.setdefault(turn_marker(row.conversation_id), (row.id,))
            elif row is not None:
                notices.setdefault(f"flood:{row.conversation_id}", (row.id,))
        if turns:
            runtime.enqueue_once(PROCESS_JOB, turns, {marker: turn_job_id(*args) for marker, args in turns.items()})
        if notices:
            runtime.enqueue_once(FLOOD_JOB, notices)
    return [Accepted(None) if (row := stored[i]) is None else Accepted(row.id, throttled=row.status == "throttled")
            for i in range(len(rows))]


def process(runtime: Runtime, inbound_id: int) -> int:
    """Handle the worker's pending messages, oldest first; return how many were handled.

    The replies are sent from here once written, in order: no queue hop and no job per page. One
    that fails is retried by its own send job (bot.outbound.deliver), as any other."""
    here: dict[str, list[tuple]] = {SEND_JOB: []}
    handled = _take_turn(runtime, inbound_id, here)
    for args in here[SEND_JOB]:
        deliver(runtime, *args)
    return handled


def _take_turn(runtime: Runtime, inbound_id: int, here: dict[str, list[tuple]]) -> int:
    with runtime.db.session() as session:
        session.info["run_here"] = here
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
            before = sealed_state.unseal(vault, conversation.state or {})
            outcome = dialogue.respond(runtime, before, turn)
            conversation.state = sealed_state.seal(vault, outcome.state)
            # Answer from the number the worker last wrote to; WhatsApp's 24-hour window runs from here.
            conversation.bot_address = row.bot_address or conversation.bot_address
            conversation.last_inbound_at = row.received_at
            if not turn.button:
                nlu_review.keep(session, runtime, conversation, before, turn.text, outcome.parse, outcome.effects)
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
            if any(effect.kind == "pin_unlocked" for effect in outcome.effects):
                release_held(session, runtime, conversation)  # after the reply, news held for the PIN
            row.status, row.processed_at = "done", utcnow()
            _delete_at_twilio(session, runtime, row)
    except SQLAlchemyError:
        raise  # the database is in trouble: let the job fail and be retried as a whole
    except Exception as exc:
        log.exception("inbound %s could not be handled (%s)", row.id, type(exc).__name__)
        # A bug, not a passing fault: retrying would fail the same way. Say sorry, never go silent.
        row.error = type(exc).__name__
        row.status, row.processed_at = "failed", utcnow()
        queue_text(session, runtime, conversation, dialogue.apology(runtime, conversation),
                   dedupe_key=f"apology:{row.id}")
        _delete_at_twilio(session, runtime, row)
    return True


def flood_notice(runtime: Runtime, inbound_id: int) -> bool:
    """Tell a worker over the flood limit, once a minute, that their latest message will be answered
    in a minute (never silence); False when a notice already went this minute."""
    with runtime.db.session() as session:
        row = session.get(InboundRow, inbound_id)
        if row is None:
            return False
        conversation = session.get(Conversation, row.conversation_id)
        key = f"flood:{conversation.id}:{utcnow():%Y%m%d%H%M}"
        language = (conversation.state or {}).get("language") or conversation.language \
            or runtime.settings.conversation.default_language
        pages = dialogue.render_replies(runtime, [Reply("flood.notice")], language, conversation.channel)
        if not queue_text(session, runtime, conversation, pages, kind="flood", dedupe_key=key):
            return False
    runtime.enqueue(AFTER_FLOOD_JOB, inbound_id, delay=runtime.settings.messages.flood_pause_seconds)
    return True


def after_flood(runtime: Runtime, inbound_id: int) -> int:
    """The pause is over: answer the worker's latest message if it was one held back by the flood."""
    with runtime.db.session() as session:
        conversation_id = session.scalar(select(InboundRow.conversation_id).where(InboundRow.id == inbound_id))
        latest = session.scalar(select(InboundRow).where(InboundRow.conversation_id == conversation_id)
                                .order_by(InboundRow.id.desc()).limit(1))
        if latest is None or latest.status != "throttled":
            return 0
        latest.status = "received"
        latest_id = latest.id
    return process(runtime, latest_id)


def _delete_at_twilio(session: Session, runtime: Runtime, row: InboundRow) -> None:
    """Twilio's copy of a handled message is deleted by a job, after this turn commits."""
    has_media = bool(row.media)
    deletion = twilio_cleanup.schedule_inbound(session.connection(), runtime, row)
    if deletion is not None and not has_media:  # with media, the re-drive runs it once due
        after_commit(session, twilio_cleanup.DELETE_JOB, deletion, delay=twilio_cleanup.job_delay(runtime))


def redrive(runtime: Runtime) -> dict[str, int]:
    """Queue again what a Redis outage or a dead worker left undone (idempotent: a job that still
    waits is not queued twice). It goes to the backlog queue, behind new messages' turns; sends wait
    while the Twilio circuit is open (their release queues them)."""
    from bot.models import OutboxMessage

    now = utcnow()
    jobs = runtime.settings.jobs
    stale = now - timedelta(seconds=jobs.redrive_after_seconds)
    lease = now - timedelta(seconds=jobs.send_lease_seconds)
    circuit_open = runtime.circuit.state().open
    if circuit_open and runtime.circuit.probe_overdue(grace=jobs.redrive_after_seconds):
        schedule_probe(runtime)  # the probe's job was lost (Redis flushed, its worker killed)
    with runtime.db.session() as session:
        inbound = session.scalars(
            select(func.min(InboundRow.id))
            .where(InboundRow.status == "received", InboundRow.received_at < stale)
            .group_by(InboundRow.conversation_id)
        ).all()
        outbox = [] if circuit_open else session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts).where(
                ((OutboxMessage.status == "pending")
                 & (func.coalesce(OutboxMessage.next_attempt_at, OutboxMessage.created_at) < stale))
                | ((OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < lease))
            ).order_by(OutboxMessage.id)
        ).all()
    queued = {
        "deletions": twilio_cleanup.redrive(runtime),
        "inbound": runtime.enqueue_unique(PROCESS_JOB, {turn_job_id(id_): (id_,) for id_ in sorted(inbound)},
                                          queue="backlog"),
        "outbox": runtime.enqueue_unique(SEND_JOB, {send_job_id(id_, attempts): (id_,) for id_, attempts in outbox},
                                         queue="backlog"),
    }
    if any(queued.values()):
        log.info("re-drove %s inbound and %s outbox job(s)", queued["inbound"], queued["outbox"])
    return queued
