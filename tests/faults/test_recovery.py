"""Recovery after an outage, under `puente serve` + real rq workers and the real twilio library:
replies wait out a Twilio outage without spending their attempts and all go once it answers again;
a re-driven backlog never holds up a new worker's first reply; a row never has two jobs waiting."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import redis

from bot.jobs.queue import QUEUES, WAITING, queue_name
from tests.faults.ledger import (
    assert_each_sent_once,
    ledger,
    wait_all_answered,
    wait_housekeeping,
    wait_idle,
    working_workers,
)
from tests.faults.traffic import accepted, at_once, post
from tests.support.services import wait_until

pytestmark = pytest.mark.slow

DATABASES = pytest.mark.parametrize("database", ["sqlite", "postgresql"])
#: Workers at the web's CPU priority: on a machine busy with other work, a worker at nice 10 in a
#: session of its own can wait minutes for the CPU, and these tests are about queues, not priority.
EVEN = {"PUENTE__JOBS__WORKER_NICE": "0"}


def handled(stack, sids: set[str]) -> bool:
    """Every one of these messages has had its turn (its reply is written, sent or not)."""
    inbound = ledger(stack.db, sids).inbound
    return all(inbound.get(sid) == "done" for sid in sids)


def waiting_send_jobs(redis_url: str) -> Counter:
    """Outbox row -> rq jobs waiting to send it (queued or scheduled), and twice for an id listed
    twice in a queue."""
    client = redis.Redis.from_url(redis_url)
    per_row: Counter = Counter()
    for key in client.scan_iter("rq:job:send-*", count=1000):
        status = client.hget(key, "status")
        if status and status.decode() in WAITING:
            per_row[key.decode().split("-")[1]] += 1
    for kind in QUEUES:
        listed = Counter(client.lrange(f"rq:queue:{queue_name('puente', kind)}", 0, -1))
        per_row.update(
            {
                job.decode().split("-")[1]: n - 1
                for job, n in listed.items()
                if n > 1 and job.startswith(b"send-")
            }
        )
    client.close()
    return per_row


def sends_settled(stack, redis_url: str) -> bool:
    """No send job waits (queued, or scheduled as a retry) and no worker runs a job: every send
    offered so far has had its try."""
    client = redis.Redis.from_url(redis_url)
    try:
        return not waiting_send_jobs(redis_url) and not working_workers(stack, client)
    finally:
        client.close()


@DATABASES
def test_replies_wait_out_a_twilio_outage_without_spending_attempts_then_all_go_once(
    make_stack, private_redis, twilio, database
):
    # Three tries 0.5, 1 and 2 s apart: without the circuit, a 6 s outage would fail every reply for good.
    stack = make_stack(database=database, PUENTE__JOBS__SEND_MAX_ATTEMPTS="3", **EVEN)
    stack.serve(workers=1)
    stack.start_worker()
    stack.start_worker()
    twilio.outage(500)
    posts = at_once(stack, [(f"+1519556{n:04d}", "hola") for n in range(40)])
    sids = accepted(posts)
    assert len(sids) == 40

    wait_until(lambda: handled(stack, sids), 180, "every message's turn", interval=0.1)
    wait_until(
        lambda: stack.metric("puente_twilio_circuit_open") == 1,
        60,
        "the circuit to open",
        interval=0.1,
    )
    # What could spend attempts has had its chance: every retry scheduled before the circuit
    # opened has run, the re-drive has passed over the waiting rows, and a probe has asked Twilio
    # (a request beyond the sends' attempts).
    wait_housekeeping(stack)
    wait_until(lambda: sends_settled(stack, private_redis.url), 60, "the sends to settle")
    wait_until(
        lambda: twilio.failed_requests > sum(row.attempts for row in ledger(stack.db).outbox),
        30,
        "a probe to ask Twilio whether it was back",
    )
    waiting = ledger(stack.db).outbox
    assert waiting and {row.status for row in waiting} == {"pending"}, "a reply failed for good"
    # The circuit opened after 5 failures (plus sends already under way): the others spent nothing.
    assert sum(row.attempts for row in waiting) <= 5 + 6 < len(waiting)
    assert stack.metric("puente_messages_out", status="pending") == len(waiting)

    twilio.recover()
    wait_all_answered(stack.db, sids, timeout=180)
    wait_idle(stack)  # what would send a second time has run by then
    current = ledger(stack.db)
    assert_each_sent_once(current, twilio)
    assert all(row.status != "failed" and row.twilio_sid for row in current.outbox)
    assert stack.metric("puente_twilio_circuit_open") == 0
    assert "circuit closed" in stack.logs()


@DATABASES
def test_a_redriven_backlog_does_not_hold_up_a_new_workers_first_reply(
    make_stack, private_redis, twilio, database
):
    stack = make_stack(database=database, **EVEN)
    stack.serve(workers=1)
    backlog = accepted(at_once(stack, [(f"+1519557{n:04d}", "hola") for n in range(200)]))
    assert len(backlog) == 200
    redis.Redis.from_url(
        private_redis.url
    ).flushall()  # their jobs are lost: only the re-drive knows
    stack.start_worker()  # its re-drive queues each row once it is older than redrive_after_seconds
    wait_until(
        lambda: stack.metric("puente_queue_depth", queue="backlog") > 0,
        180,
        "the re-drive",
        interval=0.1,
    )

    fresh = post(stack, "+15195559999", "hola")
    assert fresh.status == 200
    wait_all_answered(stack.db, {fresh.sid}, timeout=120)
    still_waiting = set(ledger(stack.db, backlog).unanswered()) & backlog
    assert still_waiting, "the new worker's reply waited for the whole backlog"

    wait_all_answered(stack.db, backlog, timeout=600)
    # What would send a second time has run by then. Once all are answered some 200 turn jobs may
    # still wait in backlog, each a no-op now (drained with the others): 10 s on an idle machine,
    # over 30 at a load of 20 on two cores.
    wait_idle(stack, timeout=120)
    assert_each_sent_once(ledger(stack.db), twilio)


def test_an_outbox_row_never_has_two_send_jobs_waiting(make_stack, private_redis, twilio):
    """Twilio failing slowly keeps the queue longer than the re-drive delay: the re-drive and each
    send's own retry both offer the rows again, and still one job at most waits for each."""
    stack = make_stack(
        PUENTE__JOBS__CIRCUIT_FAILURES="100000", PUENTE__JOBS__SEND_MAX_ATTEMPTS="1000", **EVEN
    )
    stack.serve(workers=1)
    stack.start_worker()
    twilio.delay(0.2)
    twilio.outage(500)
    # 20 sends of 0.2 s each: a round (4 s) outlasts the re-drive delay (2 s, tests/faults/conftest.py).
    sids = accepted(at_once(stack, [(f"+1519558{n:04d}", "hola") for n in range(20)]))
    wait_until(lambda: handled(stack, sids), 180, "every message's turn", interval=0.1)

    # Watched until each row was tried three times on average: a round of 20 slow sends outlasts
    # the re-drive delay, so that takes several re-drive rounds (every second) and retries. A fixed
    # window instead saw too few attempts on a busy machine.
    most = 0
    deadline = time.monotonic() + 180
    while True:
        most = max(most, *waiting_send_jobs(private_redis.url).values(), 0)
        outbox = ledger(stack.db).outbox
        if sum(row.attempts for row in outbox) > 2 * len(outbox):
            break
        assert time.monotonic() < deadline, "the rows were not retried"
        time.sleep(0.2)
    assert most == 1

    twilio.delay(0)
    twilio.recover()
    wait_all_answered(stack.db, sids, timeout=180)
    wait_idle(stack)  # what would send a second time has run by then
    assert_each_sent_once(ledger(stack.db), twilio)
