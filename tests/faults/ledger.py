"""What the database says happened to each accepted message: for exactly-once assertions."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.store.models import InboundMessage, OutboxMessage
from bot.store.vault import Vault
from tests.conftest import SECRET
from tests.support.services import wait_until

#: The database keeps SIDs as keyed hashes: the ledger reads them back through the stack's key.
_HASH = Vault(SECRET).sid_hash

SENT = {"sent", "delivered", "queued", "accepted"}


@dataclass(frozen=True)
class Ledger:
    inbound: dict[str, str]  # MessageSid -> status
    replies: dict[str, list[OutboxMessage]]  # MessageSid -> its reply rows
    outbox: list[OutboxMessage]

    def unanswered(self) -> list[str]:
        """Accepted messages not yet handled, or whose first reply page has not gone out."""
        return [
            sid
            for sid, status in self.inbound.items()
            if status != "done" or not any(r.status in SENT for r in self.replies.get(sid, []))
        ]


def ledger(db, posted: set[str] = frozenset()) -> Ledger:
    """What the database says; ``posted``: the MessageSids sent, to name its rows by them."""
    with db.session() as session:
        rows = session.scalars(select(InboundMessage)).all()
        outbox = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    sid_of = {_HASH(sid): sid for sid in posted}
    by_id = {row.id: sid_of.get(row.message_sid, row.message_sid) for row in rows}
    replies: dict[str, list[OutboxMessage]] = {}
    for row in outbox:
        if row.dedupe_key and row.dedupe_key.startswith("reply:"):
            inbound_id = int(row.dedupe_key.split(":")[1])
            replies.setdefault(by_id.get(inbound_id, "?"), []).append(row)
    return Ledger({by_id[row.id]: row.status for row in rows}, replies, list(outbox))


def wait_all_answered(db, sids: set[str], timeout: float = 60) -> Ledger:
    """Wait until each MessageSid in ``sids`` is stored, handled, and its reply sent."""

    def settled() -> Ledger | None:
        current = ledger(db, sids)
        missing = sids - set(current.inbound)
        return current if not missing and not set(current.unanswered()) & sids else None

    try:
        return wait_until(settled, timeout, "every accepted message to be answered", interval=0.1)
    except AssertionError:
        current = ledger(db, sids)
        lost = sids - set(current.inbound)
        raise AssertionError(
            f"{len(lost)} accepted message(s) not stored, "
            f"{len(set(current.unanswered()) & sids)} unanswered after {timeout}s; "
            f"inbound statuses {sorted(set(current.inbound.values()))}"
        ) from None


def working_workers(stack, connection) -> list[str]:
    """Names of the stack's living workers that are running a job. A killed worker stays registered
    (and its job "started") until rq's timeouts run out: only the living count; what the dead one
    held is a "sending" row the re-driver retries."""
    from rq import Worker

    living = {process.pid for process in stack.workers if process.alive()}
    return [
        w.name
        for w in Worker.all(connection=connection)
        if w.pid in living and w.get_state() == "busy"
    ]


def wait_idle(stack, timeout: float = 30, *, scheduled: bool = False) -> None:
    """Wait until nothing is left that could send: no turn or send waiting in the database (so the
    re-driver has nothing to queue again), no job queued in any rq queue (nor, with ``scheduled``,
    any job scheduled for later), and no living worker busy, twice in a row a moment apart. What
    was still to be sent twice would have been sent by then: this replaces waiting a few seconds
    "for a duplicate to show up"."""
    import redis
    from rq import Queue
    from rq.job import Job

    from bot.jobs.queue import QUEUES, WAITING, queue_name

    connection = redis.Redis.from_url(stack.env["REDIS_URL"])
    prefix = stack.env.get("PUENTE__JOBS__QUEUE_NAME", "puente")
    queues = [Queue(queue_name(prefix, kind), connection=connection) for kind in QUEUES]

    def busy() -> list[str]:
        with stack.db.session() as session:
            rows = session.scalar(
                select(func.count()).where(InboundMessage.status == "received")
            ) + session.scalar(
                select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
            )
        what = [f"{rows} row(s) to handle or send"] if rows else []
        for queue in queues:
            # Jobs queued to run now: a list entry of a job since gone (or started by a worker then
            # killed) is not one. Jobs scheduled for later are not counted: a send retry or a turn
            # put back leaves its row pending or received (counted above), so one that waits on a
            # finished row has nothing left to send.
            waiting = sum(
                1
                for job in Job.fetch_many(queue.get_job_ids(), connection=connection)
                if job is not None and job.get_status(refresh=False) in WAITING
            )
            if waiting:
                what.append(f"{waiting} job(s) in {queue.name}")
            later = queue.scheduled_job_registry.count if scheduled else 0
            if later:
                what.append(f"{later} job(s) scheduled in {queue.name}")
        return what + [f"worker {name} busy" for name in working_workers(stack, connection)]

    deadline = time.monotonic() + timeout
    quiet = 0
    try:
        while True:
            left = busy()
            quiet = 0 if left else quiet + 1
            if quiet == 2:
                return
            if left and time.monotonic() > deadline:
                raise AssertionError(f"not idle after {timeout}s: {', '.join(left)}")
            time.sleep(0.1)
    finally:
        connection.close()


def wait_housekeeping(stack, timeout: float = 60) -> None:
    """Wait until every worker's housekeeping loop (the re-drive) has had a whole pass that began
    after this call: what it would queue again once a fault is over has been queued by then. One
    pass per living worker may be under way now, so one more than that must complete."""
    name = "puente_housekeeping_passes_total"
    before = stack.metric(name)
    passes = sum(process.alive() for process in stack.workers) + 1
    wait_until(
        lambda: stack.metric(name) >= before + passes,
        timeout,
        f"{passes} housekeeping passes",
        interval=0.1,
    )


def assert_each_sent_once(current: Ledger, twilio) -> None:
    """Every outbox row that went out did so exactly once, and nothing else reached Twilio."""
    sent = twilio.messages
    sids = [_HASH(m.sid) for m in sent]
    assert len(sids) == len(set(sids))
    ours = [row.twilio_sid for row in current.outbox if row.twilio_sid]
    assert len(ours) == len(set(ours)), "two outbox rows claim one Twilio message"
    assert sorted(ours) == sorted(sids), (
        f"{len(sent)} message(s) reached Twilio for {len(ours)} outbox row(s) marked sent"
    )
