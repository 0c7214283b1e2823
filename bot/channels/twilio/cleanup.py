"""Deleting Twilio's copies: every message (with its media) once it needs Twilio no more.

Twilio keeps each message's number and text, and its media, until they are deleted. A deletion is
a row (the SID encrypted, a keyed hash to find it) written with what makes it due: an inbound
message handled (``twilio.delete_wait_seconds`` later, since Twilio refuses a DELETE that comes too
soon), an outbound one reaching a final status (or an hour after sending if no status comes), a
media item once fetched, every message of a conversation when it is erased. A job sends the DELETE
(never on a reply's path), retries with a growing delay while Twilio says the message is not final
or is unreachable, and drops the row once Twilio confirms: only the hash stays in the message
tables. The periodic re-drive queues any deletion that is due and was not run.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Row,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from bot.errors import SendError
from bot.runtime import Runtime, current
from bot.store.db import UTCDateTime, utcnow
from bot.store.models import InboundMessage, InboundStatus, OutboxStatus, TwilioDeletion

log = logging.getLogger(__name__)

#: While a sweep is queued and not started, nothing queues another.
SWEEP_MARKER = "twilio-deletions"
#: Deletions a sweep claims at a time.
SWEEP_BATCH = 50
#: Twilio's final statuses: the message may be deleted from then on.
FINAL = frozenset(
    {OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED, OutboxStatus.FAILED, OutboxStatus.READ}
)
#: An outbound message whose final status never arrives is deleted this long after sending.
UNCONFIRMED_WAIT = timedelta(hours=1)
#: A job working on a deletion holds it this long (another run leaves it alone meanwhile).
LEASE = timedelta(minutes=5)
#: Retries wait as a send's do (``jobs.send_backoff_seconds``), then double, up to six hours ...
LONGEST_RETRY = 6 * 3600.0
#: ... until Twilio's own limit for finalizing a record (14 days) is well past.
GIVE_UP_AFTER = timedelta(days=15)


def enabled(runtime: Runtime) -> bool:
    twilio = runtime.settings.twilio
    return twilio.delete_after_handling and twilio.configured


def schedule(
    conn: Connection,
    runtime: Runtime,
    sid: str,
    *,
    media_sid: str | None = None,
    conversation_id: int | None = None,
    wait: float | timedelta | None = None,
) -> int | None:
    """Queue the deletion of a message (or one of its media items) ``wait`` from now (the
    configured wait by default); None when deletions are off or it is queued already.

    Written on ``conn`` (the caller's transaction); the caller runs the job after its commit,
    with :func:`job_delay`, or leaves it to the re-drive."""
    if not enabled(runtime):
        return None
    vault = runtime.vault
    if wait is None:
        wait = runtime.settings.twilio.delete_wait_seconds
    wait = wait if isinstance(wait, timedelta) else timedelta(seconds=wait)
    now = utcnow()
    return cast(  # the RETURNING id, or None when the SID is queued already
        "int | None",
        conn.scalar(
            _insert(conn.dialect.name),
            {
                "sid_hash": vault.sid_hash(f"{sid}/{media_sid}" if media_sid else sid),
                "sid_enc": vault.encrypt(sid),
                "media_sid_enc": vault.encrypt_optional(media_sid),
                "conversation_id": conversation_id,
                "due_at": now + wait,
                "attempts": 0,
                "created_at": now,
            },
        ),
    )


@functools.cache
def _insert(dialect: str) -> Executable:
    """The INSERT of a deletion, built once: two are written per answered message, and building
    the statement (and its cache key) cost more CPU than running it."""
    # SQLite's Insert has the same on_conflict_do_nothing as PostgreSQL's, which types them both.
    insert = cast(
        Callable[..., postgresql.Insert],
        {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect],
    )
    return (
        insert(TwilioDeletion)
        .on_conflict_do_nothing(index_elements=["sid_hash"])
        .returning(TwilioDeletion.id)
    )


def schedule_inbound(
    conn: Connection, runtime: Runtime, row: InboundMessage, *, wait: float | None = None
) -> int | None:
    """Queue the deletion of a handled inbound message; its SID leaves the message row."""
    if row.sid_enc is None:
        return None
    sid = runtime.envelope.get(conn, row, "sid_enc")
    row.sid_enc = None
    if row.media and wait is None:
        # Its media is fetched first (bot.cases.evidence deletes each item once fetched); the
        # message, which takes any media left along, goes after the fetch's retries.
        wait = max(runtime.settings.twilio.delete_wait_seconds, UNCONFIRMED_WAIT.total_seconds())
    sid = cast(str, sid)  # sid_enc was set, so it opens to the SID
    return schedule(conn, runtime, sid, conversation_id=row.conversation_id, wait=wait)


def job_delay(runtime: Runtime) -> float:
    return runtime.settings.twilio.delete_wait_seconds


def final_status(conn: Connection, runtime: Runtime, sid_hash: str, status: str) -> bool:
    """A status callback: once final, the message's deletion is due now (then True: sweep soon)."""
    if status not in FINAL or not enabled(runtime):
        return False
    return conn.scalar(_DUE_NOW, {"sid": sid_hash, "now": utcnow()}) is not None


#: A final status's change, built once (two callbacks come for each reply).
_DUE_NOW = (
    update(TwilioDeletion)
    .where(TwilioDeletion.sid_hash == bindparam("sid"), TwilioDeletion.attempts == 0)
    .values(due_at=bindparam("now", type_=UTCDateTime()))
    .returning(TwilioDeletion.id)
)


def hurry(conn: Connection, runtime: Runtime, conversation_id: int) -> list[int]:
    """An erasure: every pending deletion of the conversation is due now, and no longer linked to it."""
    ids = list(
        conn.scalars(
            update(TwilioDeletion)
            .where(TwilioDeletion.conversation_id == conversation_id)
            .values(due_at=utcnow(), conversation_id=None)
            .returning(TwilioDeletion.id)
        )
    )
    return ids


def delete_at_twilio(deletion_id: int) -> str:
    """Job: delete Twilio's copy of a message or media item (retried until Twilio agrees)."""
    return run(current(), deletion_id)


def delete_due_at_twilio() -> dict[str, int]:
    """Job: delete Twilio's copies of every message whose deletion is due (``sweep``)."""
    return sweep(current())


def run(runtime: Runtime, deletion_id: int) -> str:
    """Send one due DELETE to Twilio; return what happened (for logs and tests)."""
    claimed = _claim(runtime, TwilioDeletion.id == deletion_id)
    if not claimed:
        return "skipped"
    outcome = _delete(runtime, claimed[0])
    if outcome != "retry":
        _forget(runtime, [deletion_id])
    return outcome


def sweep_soon(runtime: Runtime) -> None:
    """Queue a sweep of the due deletions, unless one is queued and not started: under load one job
    sends the DELETEs of many messages (a job of its own each cost more than the DELETE)."""
    if enabled(runtime):
        runtime.enqueue_once(delete_due_at_twilio, {SWEEP_MARKER: ()})


def sweep(runtime: Runtime) -> dict[str, int]:
    """Send every due DELETE, a batch at a time; how many had each outcome."""
    # This job has started: what falls due from now on queues the next sweep.
    outcomes: dict[str, int] = {}
    while True:
        due = (
            select(TwilioDeletion.id)
            .where(TwilioDeletion.due_at <= utcnow())
            .order_by(TwilioDeletion.due_at)
            .limit(SWEEP_BATCH)
        )
        if runtime.db.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)  # another sweep's batch is left to it
        claimed = _claim(runtime, TwilioDeletion.id.in_(due.scalar_subquery()))
        done = []
        for row in claimed:
            outcome = _delete(runtime, row)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if outcome != "retry":
                done.append(row.id)
        # One statement for the batch; a row left by a crash before it is deleted again, found gone.
        _forget(runtime, done)
        if len(claimed) < SWEEP_BATCH:
            return outcomes


def _claim(runtime: Runtime, which: ColumnElement[bool]) -> list[Row[Any]]:
    """The due deletions ``which`` selects, leased to this job (another run leaves them alone)."""
    now = utcnow()
    with runtime.db.autocommit() as conn:
        return list(
            conn.execute(
                update(TwilioDeletion)
                .where(which, TwilioDeletion.due_at <= now)
                .values(due_at=now + LEASE, attempts=TwilioDeletion.attempts + 1)
                .returning(
                    TwilioDeletion.id,
                    TwilioDeletion.sid_enc,
                    TwilioDeletion.media_sid_enc,
                    TwilioDeletion.attempts,
                    TwilioDeletion.created_at,
                )
            )
        )


def _delete(runtime: Runtime, row: Row[Any]) -> str:
    """Send a claimed deletion's DELETE; a retry is scheduled here, the caller forgets the others."""
    deletion_id, vault = row.id, runtime.vault
    try:
        gone = runtime.sender.delete(
            vault.decrypt(row.sid_enc), vault.decrypt_optional(row.media_sid_enc)
        )
    except SendError as exc:
        if not exc.retryable or utcnow() - row.created_at > GIVE_UP_AFTER:
            log.error(
                "deletion %s at Twilio given up after %s attempt(s): %s; delete it in the "
                "console or with message redaction",
                deletion_id,
                row.attempts,
                exc,
            )
            return "failed"
        delay = retry_delay(runtime.settings.jobs.send_backoff_seconds, row.attempts)
        with runtime.db.autocommit() as conn:
            conn.execute(
                update(TwilioDeletion)
                .where(TwilioDeletion.id == deletion_id)
                .values(due_at=utcnow() + timedelta(seconds=delay))
            )
        runtime.enqueue(delete_at_twilio, deletion_id, delay=delay)
        log.info("deletion %s at Twilio: %s; again in %.0f s", deletion_id, exc, delay)
        return "retry"
    return "deleted" if gone else "gone"


def retry_delay(backoff: list[float], attempts: int) -> float:
    """The wait after ``attempts`` failed tries: the send backoff, then doubling its last step."""
    beyond = max(0, attempts - len(backoff))
    delay: float = min(backoff[min(attempts, len(backoff)) - 1] * 2**beyond, LONGEST_RETRY)
    return delay


def _forget(runtime: Runtime, deletion_ids: list[int]) -> None:
    if not deletion_ids:
        return
    with runtime.db.autocommit() as conn:
        conn.execute(delete(TwilioDeletion).where(TwilioDeletion.id.in_(deletion_ids)))


def redrive(runtime: Runtime) -> int:
    """Queue a sweep of the deletions that are due (an inbound message's after its wait, a lost
    job, an unconfirmed status), and schedule those of inbound messages handled but never
    scheduled (throttled ones); how many are due."""
    if not enabled(runtime):
        return 0
    stale = utcnow() - timedelta(seconds=runtime.settings.jobs.redrive_after_seconds)
    with runtime.db.session() as session:
        for row in session.scalars(
            select(InboundMessage)
            .where(
                InboundMessage.sid_enc.is_not(None),
                InboundMessage.status != InboundStatus.RECEIVED,
                InboundMessage.received_at < stale,
            )
            .limit(500)
        ):
            schedule_inbound(session.connection(), runtime, row, wait=0)
        due = session.scalar(
            select(func.count())
            .select_from(TwilioDeletion)
            .where(TwilioDeletion.due_at <= utcnow())
        )
    if due:
        sweep_soon(runtime)
    return cast(int, due)  # COUNT(*) always answers one row
