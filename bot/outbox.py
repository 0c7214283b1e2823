"""The one way a message leaves Puente: an outbox row, then a job that sends it exactly once.

``queue_text`` writes rows (one per SMS page) in the caller's transaction and queues ``send_message``
after commit (a turn takes those jobs and sends its rows itself: bot.conversation.inbox).
``deliver`` claims a row (a lease), calls the sender, and records the outcome: retried with backoff on a passing failure, failed and visible after the last try, never sent twice. While
Twilio is down (bot.channels.twilio.circuit open) rows wait unclaimed; ``probe`` finds it back and ``release`` sends
them all, oldest first. A row's send job has an id of its own per attempt (``send-<row>-<attempts>``),
so however often it is queued (re-drive, release, its own retry) one job at most waits for it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TypeAlias

from sqlalchemy import Connection, Row, bindparam, case, func, or_, select, text, update
from sqlalchemy.orm import Session

from bot.channels.twilio import cleanup
from bot.channels.twilio.circuit import CircuitState
from bot.channels.twilio.gateway import STATUS_WEBHOOK
from bot.conversation import dialogue, pin, sealed_state
from bot.errors import SendError
from bot.jobs.queue import job_id, runs_in
from bot.messages import Content, OutboundMessage, Page
from bot.runtime import Runtime, after_commit, current
from bot.store.db import UTCDateTime, utcnow
from bot.store.envelope import Executor
from bot.store.models import OUTBOX_PROGRESS, Conversation, OutboxMessage, OutboxStatus
from flows import Reply
from vocab import Channel

log = logging.getLogger(__name__)

WHATSAPP_WINDOW = timedelta(hours=24)


@runs_in("sends")
def send_message(outbox_id: int) -> str:
    """Job: send one outbox message (claimed under a lease, never twice)."""
    return deliver(current(), outbox_id)


@runs_in("sends")
def probe_twilio() -> str:
    """Job, while the circuit is open: does Twilio answer again? (bot.channels.twilio.circuit)"""
    return probe(current())


def in_whatsapp_window(conversation: Conversation, now: datetime | None = None) -> bool:
    """Free text reaches a WhatsApp user only within 24 hours of their last message."""
    if conversation.channel != "whatsapp":
        return True
    last = conversation.last_inbound_at
    return last is not None and (now or utcnow()) - last < WHATSAPP_WINDOW


def queue_text(
    session: Session,
    runtime: Runtime,
    conversation: Conversation,
    pages: list[Page],
    *,
    kind: str = "reply",
    dedupe_key: str | None = None,
    even_if_opted_out: bool = False,
    new_key: bool = False,
) -> list[OutboxMessage]:
    """Write the pages of one reply to the outbox (a Content page as ContentSid + ContentVariables);
    the send jobs are queued after commit.

    ``new_key``: the caller knows no row has this ``dedupe_key`` (a turn's reply to a message still
    pending, under the conversation's lock), so it is not looked up; its uniqueness still holds.

    Nothing is written for a worker who opted out (unless this is the opt-out confirmation itself).
    Unprompted news (``pin.UNPROMPTED`` kinds) to a worker whose PIN is not given is held behind
    one neutral notice until they give it (bot.conversation.pin).
    """
    if conversation.opted_out and not even_if_opted_out:
        return []
    held = kind in pin.UNPROMPTED and pin.locked(runtime.envelope, session, conversation, utcnow())
    address = runtime.envelope.get_str(session, conversation, "address_enc")
    rows = []
    for n, page in enumerate(pages):
        key = f"{dedupe_key}:{n}" if dedupe_key else None
        if (
            key
            and not new_key
            and session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
        ):
            continue
        rows.append(
            _add(
                session,
                runtime,
                conversation,
                conversation.channel,
                address,
                conversation.bot_address,
                kind,
                key,
                page,
                held=held,
            )
        )
    if held and rows:
        _notice(session, runtime, conversation, address)
    return rows


def _notice(session: Session, runtime: Runtime, conversation: Conversation, address: str) -> None:
    """ "Puente: you have a new message. Reply with your PIN": once while news waits unread."""
    state = sealed_state.unseal(runtime.envelope, session, conversation)
    if pin.waiting(state):
        return
    sealed_state.update(runtime.envelope, session, conversation, pin=pin.hold(state, None)["pin"])
    language = (
        state.get("language")
        or conversation.language
        or runtime.settings.conversation.default_language
    )
    reply = Reply("pin.notice")
    if in_whatsapp_window(conversation):
        for page in dialogue.render_replies(runtime, [reply], language, conversation.channel):
            _add(
                session,
                runtime,
                conversation,
                conversation.channel,
                address,
                conversation.bot_address,
                "notice",
                None,
                page,
            )
        return
    content_sid = runtime.settings.twilio.whatsapp_templates.get(language)
    if not content_sid:
        log.warning(
            "news held for a PIN without a notice: outside WhatsApp's 24 h window and no "
            "template for %s in twilio.whatsapp_templates",
            language,
        )
        return
    queue_template(
        session,
        runtime,
        conversation,
        content_sid,
        {"1": dialogue.compose(reply, language)},
        kind="notice",
    )


def release_held(session: Session, runtime: Runtime, conversation: Conversation) -> int:
    """Send what was held for the worker's PIN, in order (they just gave it)."""
    ids = session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.conversation_id == conversation.id,
            OutboxMessage.status == OutboxStatus.HELD,
        )
        .order_by(OutboxMessage.id)
    ).all()
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status=OutboxStatus.PENDING)
        )
        for outbox_id in ids:
            after_commit(session, send_message, outbox_id, job_id=send_job_id(outbox_id, 0))
    return len(ids)


def queue_template(
    session: Session,
    runtime: Runtime,
    conversation: Conversation,
    content_sid: str,
    variables: dict[str, str],
    *,
    kind: str = "template",
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """An approved WhatsApp template (ContentSid + ContentVariables), for use outside 24 hours."""
    if conversation.opted_out:
        return None
    if dedupe_key and session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    address = runtime.envelope.get_str(session, conversation, "address_enc")
    row = _add(
        session,
        runtime,
        conversation,
        conversation.channel,
        address,
        conversation.bot_address,
        kind,
        dedupe_key,
        Content(content_sid, variables),
    )
    return row


def queue_to_address(
    session: Session,
    runtime: Runtime,
    address: str,
    from_address: str,
    page: Page,
    *,
    kind: str = "notification",
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """A message to someone who is not a worker in a conversation (an NGO's staff phone)."""
    if dedupe_key and session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    channel: Channel = "whatsapp" if address.startswith("whatsapp:") else "sms"
    return _add(session, runtime, None, channel, address, from_address, kind, dedupe_key, page)


def _add(
    session: Session,
    runtime: Runtime,
    conversation: Conversation | None,
    channel: Channel,
    address: str,
    from_address: str,
    kind: str,
    dedupe_key: str | None,
    page: Page,
    *,
    held: bool = False,
) -> OutboxMessage:
    """One outbox row (a Content page as ContentSid + ContentVariables), sealed to its row under
    the conversation's data key; a message to no conversation (an erasure's goodbye, a staff
    notice) gets a data key of its own, destroyed with its text by the purge (bot.jobs.tasks.purge)."""
    envelope = runtime.envelope
    content = None if isinstance(page, str) else page
    row = OutboxMessage(
        id=_next_id(session),
        conversation_id=conversation.id if conversation else None,
        channel=channel,
        kind=kind,
        dedupe_key=dedupe_key,
        to_enc="",
        from_address=from_address,
        content_sid=content.sid if content else None,
        status=OutboxStatus.HELD if held else OutboxStatus.PENDING,
    )
    session.add(row)
    if row.id is None:
        session.flush()  # its id: what it carries is sealed to its row
    key_id = conversation.sealing_key if conversation else envelope.new_key(session, "message")
    put = partial(envelope.put, session, key_id, row)
    put("to_enc", address)
    put("body_enc", page if isinstance(page, str) else None)
    put(
        "content_variables_enc",
        json.dumps(content.variables, ensure_ascii=False) if content else None,
    )
    if not held:
        after_commit(session, send_message, row.id, job_id=send_job_id(row.id, 0))
    return row


#: PostgreSQL gives a new row's id before its INSERT.
_NEXT_ID = text("SELECT nextval(pg_get_serial_sequence('outbox', 'id'))")


def _next_id(session: Session) -> int | None:
    """The new row's id, taken from its sequence on PostgreSQL (None elsewhere: the row is
    flushed for it). Its text is then sealed before it is written, and the row goes out with the
    turn's other rows in the one flush at commit: no flush of the whole session mid-turn, and no
    UPDATE of the sealed columns after the INSERT (bench/README.md, issue 23)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return None
    return int(connection.scalar(_NEXT_ID))


def send_job_id(outbox_id: int, attempts: int) -> str:
    """The send job of a row that has had ``attempts`` tries."""
    return job_id("send", outbox_id, attempts)


def deliver(runtime: Runtime, outbox_id: int) -> str:
    """Send one outbox row if it is due and unclaimed; return what happened (for logs and tests).

    Two statements around the API call, each committed alone: the claim (which returns what to
    send) and the sid. While the circuit is open it claims nothing: the row waits for ``release``."""
    circuit = runtime.circuit.state()
    if circuit.open:
        return "waiting"
    now = utcnow()
    jobs = runtime.settings.jobs
    lease_expired = now - timedelta(seconds=jobs.send_lease_seconds)
    with runtime.db.autocommit() as conn:
        row = conn.execute(
            _CLAIM, {"outbox_id": outbox_id, "now": now, "lease_expired": lease_expired}
        ).first()
        if row is None:
            return "skipped"
        message = _outbound(runtime, conn, row)
    return send_claimed(runtime, Claimed(outbox_id, message, row.attempts, row.created_at, circuit))


@dataclass(frozen=True)
class Claimed:
    """A row claimed for sending (its lease taken), with what to send."""

    outbox_id: int
    message: OutboundMessage
    attempts: int
    created_at: datetime | None
    circuit: CircuitState


def claim_first(session: Session, runtime: Runtime, outbox_ids: list[int]) -> Claimed | None:
    """The first of the rows ``outbox_ids`` this session writes, claimed by its own commit: a
    turn sends its replies itself once committed, so the INSERT of the first takes the lease the
    claim's UPDATE would (one statement less for most messages: a turn writes one reply). Later
    rows are claimed by :func:`deliver` as their turn comes (the circuit looked at and the lease
    taken just before each send); none while the circuit is open."""
    if not outbox_ids:
        return None
    first = next(
        (
            row
            for row in (*session.new, *session.dirty)
            if isinstance(row, OutboxMessage) and row.id == outbox_ids[0]
        ),
        None,
    )
    if first is None or first.status != OutboxStatus.PENDING or first.attempts:
        return None
    circuit = runtime.circuit.state()
    if circuit.open:
        return None
    first.status, first.claimed_at, first.attempts = OutboxStatus.SENDING, utcnow(), 1
    return Claimed(first.id, _outbound(runtime, session, first), 1, None, circuit)


def send_claimed(runtime: Runtime, claimed: Claimed) -> str:
    """Send a claimed row (by :func:`deliver`, or by :func:`claim_first` once its session has
    committed); return what happened."""
    outbox_id, message, attempts = claimed.outbox_id, claimed.message, claimed.attempts
    try:
        sid = None
        if attempts > 1 and claimed.created_at is not None:
            # An earlier try (timed out, or its worker died) may have reached Twilio before we heard
            # back: look before sending again, so the worker never gets the message twice.
            sid = runtime.sender.find_sent(
                message, claimed.created_at, lambda s: _sid_known(runtime, s)
            )
        sid = sid or runtime.sender.send(message)
    except SendError as exc:
        if exc.retryable and runtime.circuit.failed():
            log.warning(
                "Twilio circuit open after %s failed sends in a row: sends wait until it answers",
                runtime.settings.jobs.circuit_failures,
            )
            schedule_probe(runtime)
        return _record_failure(runtime, outbox_id, attempts, exc)
    if claimed.circuit.failures and runtime.circuit.closed():
        release(runtime)
    with runtime.db.autocommit() as conn:
        conversation_id = conn.scalar(
            _SENT,
            {"outbox_id": outbox_id, "sid_hash": runtime.vault.sid_hash(sid), "now": utcnow()},
        )
        # Twilio's copy goes once the message is final: a status callback makes this due now.
        callbacks = message.status_callback is not None
        cleanup.schedule(
            conn,
            runtime,
            sid,
            conversation_id=conversation_id,
            wait=cleanup.UNCONFIRMED_WAIT if callbacks else None,
        )
    log.info("outbox %s sent on attempt %s (%s)", outbox_id, attempts, message_kind(message))
    return "sent"


#: What the claim returns: the message to send, and whether it was tried before.
_SENT_FROM = (
    OutboxMessage.id,
    OutboxMessage.to_enc,
    OutboxMessage.from_address,
    OutboxMessage.body_enc,
    OutboxMessage.content_sid,
    OutboxMessage.content_variables_enc,
    OutboxMessage.attempts,
    OutboxMessage.created_at,
)
#: A claimed row: the columns of ``_SENT_FROM``.
_ClaimRow: TypeAlias = Row[int, str, str, str | None, str | None, str | None, int, datetime]

# The send's two statements, built once (with their cache keys): each message runs both, and
# building them cost more CPU than running them.
_NOW = bindparam("now", type_=UTCDateTime())
#: The claim: a row due and unclaimed, or whose lease ran out.
_CLAIM = (
    update(OutboxMessage)
    .where(
        OutboxMessage.id == bindparam("outbox_id"),
        or_(
            (OutboxMessage.status == OutboxStatus.PENDING)
            & or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= _NOW),
            (OutboxMessage.status == OutboxStatus.SENDING)
            & (OutboxMessage.claimed_at < bindparam("lease_expired", type_=UTCDateTime())),
        ),
    )
    .values(status=OutboxStatus.SENDING, claimed_at=_NOW, attempts=OutboxMessage.attempts + 1)
    .returning(*_SENT_FROM)
)
#: Sent: the SID's hash kept; the number goes with a message of no conversation (an erasure's
#: goodbye, a staff notice), which nothing else keeps.
_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("outbox_id"))
    .values(
        status=OutboxStatus.SENT,
        twilio_sid=bindparam("sid_hash"),
        sent_at=_NOW,
        error_code=None,
        error_message=None,
        to_enc=case((OutboxMessage.conversation_id.is_(None), ""), else_=OutboxMessage.to_enc),
    )
    .returning(OutboxMessage.conversation_id)
)


def _record_failure(runtime: Runtime, outbox_id: int, attempts: int, exc: SendError) -> str:
    jobs = runtime.settings.jobs
    final = not exc.retryable or attempts >= jobs.send_max_attempts
    with runtime.db.session() as session:
        row = session.get_one(OutboxMessage, outbox_id)
        row.error_code, row.error_message = exc.code, str(exc)[:300]
        row.claimed_at = None
        if final:
            row.status, row.status_at = OutboxStatus.FAILED, utcnow()
        else:
            delay = jobs.send_backoff_seconds[min(attempts - 1, len(jobs.send_backoff_seconds) - 1)]
            row.status, row.next_attempt_at = (
                OutboxStatus.PENDING,
                utcnow() + timedelta(seconds=delay),
            )
            after_commit(
                session,
                send_message,
                outbox_id,
                delay=delay,
                job_id=send_job_id(outbox_id, attempts),
            )
    if final:
        log.error("outbox %s failed for good after %s attempt(s): %s", outbox_id, attempts, exc)
        return "failed"
    log.warning("outbox %s attempt %s failed, will retry: %s", outbox_id, attempts, exc)
    return "retry"


def schedule_probe(runtime: Runtime) -> None:
    """Queue the next probe of an open circuit, after the circuit's next interval."""
    try:
        n, delay = runtime.circuit.next_probe()
    except Exception as exc:  # Redis is gone too: the re-drive schedules one once it is back
        log.warning("could not schedule a Twilio probe (%s)", type(exc).__name__)
        return
    runtime.enqueue(probe_twilio, delay=delay, job_id=job_id("probe", n))


def probe(runtime: Runtime) -> str:
    """Ask Twilio whether it answers; if so close the circuit and release the waiting sends."""
    if not runtime.circuit.state().open:
        return "closed"
    try:
        runtime.sender.probe()
    except SendError as exc:
        log.info("Twilio still failing (%s); probing again", exc)
        schedule_probe(runtime)
        return "open"
    if runtime.circuit.closed():
        release(runtime)
    return "closed"


def release(runtime: Runtime) -> int:
    """Twilio answers again: queue every waiting send now (a retry's backoff too), oldest first."""
    with runtime.db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at.is_not(None),
            )
            .values(next_attempt_at=None)
        )
        waiting = session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .order_by(OutboxMessage.id)
        ).all()
    queued = runtime.enqueue_unique(
        send_message,
        {send_job_id(id_, attempts): (id_,) for id_, attempts in waiting},
        queue="sends",
        hurry=True,
    )
    log.warning("Twilio answers again: circuit closed, %s waiting send(s) released", queued)
    return queued


#: A status callback's change, built once: forward only, so a late "sent" never undoes "delivered".
_MOVE_STATUS = (
    update(OutboxMessage)
    .where(
        OutboxMessage.twilio_sid == bindparam("sid"),
        case(OUTBOX_PROGRESS, value=OutboxMessage.status, else_=0) <= bindparam("rank"),
    )
    .values(
        status=bindparam("new_status"),
        status_at=bindparam("at", type_=UTCDateTime()),
        error_code=func.coalesce(bindparam("code"), OutboxMessage.error_code),
    )
    .returning(OutboxMessage.id)
)


#: What a send records on Twilio's answer; "queued" and "sent" callbacks tell no more than that.
_ACCEPTED_RANK = OUTBOX_PROGRESS[OutboxStatus.SENT]


def record_status(runtime: Runtime, sid: str, status: str, error_code: str | None) -> bool:
    """Apply a Twilio status callback; a status never moves a message backwards.

    One connection for the callback's statements: two callbacks come for each reply."""
    if status.lower() not in OUTBOX_PROGRESS:
        return False
    status = OutboxStatus(status.lower())
    if OUTBOX_PROGRESS[status] <= _ACCEPTED_RANK:
        # The sender stored "sent" itself when Twilio accepted the message: nothing new to write,
        # and nothing to retry if the callback came before the sender's commit.
        return True
    sid_hash = runtime.vault.sid_hash(sid)
    with runtime.db.autocommit() as conn:
        moved = conn.execute(
            _MOVE_STATUS,
            {
                "sid": sid_hash,
                "new_status": status,
                "rank": OUTBOX_PROGRESS[status],
                "at": utcnow(),
                "code": error_code[:32] if error_code else None,
            },
        ).first()
        # A late callback ("sent" after "delivered") moves nothing, but its sid is ours all the same.
        ours = moved is not None or _sid_stored(conn, sid_hash)
        deletion_due = ours and cleanup.final_status(conn, runtime, sid_hash, status)
    if deletion_due:
        cleanup.sweep_soon(runtime)
    return ours


def _outbound(runtime: Runtime, conn: Executor, row: _ClaimRow | OutboxMessage) -> OutboundMessage:
    def read(column: str) -> str | None:
        return runtime.envelope.open_optional(
            conn, f"outbox.{column}", row.id, getattr(row, column)
        )

    base = runtime.settings.public_base_url
    callback = (
        f"{base}{STATUS_WEBHOOK}" if base and runtime.settings.twilio.status_callbacks else None
    )
    return OutboundMessage(
        to=runtime.envelope.open(conn, "outbox.to_enc", row.id, row.to_enc),
        from_=row.from_address,
        body=read("body_enc"),
        content_sid=row.content_sid,
        content_variables=read("content_variables_enc"),
        status_callback=callback,
    )


def _sid_stored(conn: Connection, sid_hash: str) -> bool:
    return (
        conn.scalar(select(OutboxMessage.id).where(OutboxMessage.twilio_sid == sid_hash))
        is not None
    )


def _sid_known(runtime: Runtime, sid: str) -> bool:
    with runtime.db.autocommit() as conn:
        return _sid_stored(conn, runtime.vault.sid_hash(sid))


def message_kind(message: OutboundMessage) -> str:
    return "template" if message.content_sid else "text"
