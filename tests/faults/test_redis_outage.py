"""Redis dies in the middle of a burst: the web keeps accepting, nothing is lost, nothing doubles."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.ledger import assert_each_sent_once, ledger, wait_all_answered, wait_idle
from tests.support.services import wait_until

pytestmark = pytest.mark.slow

SENDERS = [f"+1519555{n:04d}" for n in range(8)]
TEXTS = ["hola", "menu", "1", "quiero saber mi salario", "2", "ayuda"]


def burst(stack, on_progress) -> tuple[set[str], list[int]]:
    """Each sender texts TEXTS in order, all senders at once; returns accepted sids and statuses."""
    accepted: set[str] = set()
    statuses: list[int] = []
    lock = threading.Lock()

    def converse(sender: str) -> None:
        for n, text in enumerate(TEXTS):
            sid = f"SM{abs(hash((sender, n, time.time()))):032x}"[:34]
            response = stack.post(text, sender=sender, sid=sid)
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 200:
                    accepted.add(sid)
                on_progress(len(statuses))
            time.sleep(0.05)

    with ThreadPoolExecutor(len(SENDERS)) as pool:
        list(pool.map(converse, SENDERS))
    return accepted, statuses


def test_redis_killed_and_restarted_mid_burst_loses_nothing_and_sends_each_reply_once(
    make_stack, private_redis, twilio
):
    stack = make_stack()
    stack.serve()
    workers = [stack.start_worker(), stack.start_worker()]
    total = len(SENDERS) * len(TEXTS)
    events: dict[str, threading.Event] = {"kill": threading.Event(), "revive": threading.Event()}

    def progress(done: int) -> None:
        if done == total // 3:
            events["kill"].set()
        if done == 2 * total // 3:
            events["revive"].set()

    def saboteur() -> None:
        events["kill"].wait(60)
        private_redis.kill()
        events["revive"].wait(60)
        time.sleep(0.5)
        private_redis.start()

    chaos = threading.Thread(target=saboteur)
    chaos.start()
    accepted, statuses = burst(stack, progress)
    chaos.join(60)

    # The row is stored before the job is queued: Redis being down is no reason to refuse Twilio.
    assert statuses == [200] * total
    current = wait_all_answered(stack.db, accepted, timeout=90)
    wait_idle(stack)  # what would send a second time has run by then
    current = ledger(stack.db)
    assert_each_sent_once(current, twilio)
    assert all(row.twilio_sid for row in current.outbox), "an outbox row was never sent"
    assert [w.alive() for w in workers] == [True, True], "a worker died with Redis"
    assert "Redis unreachable" in stack.logs()  # the web said why the job waits


def test_worker_started_while_redis_is_down_works_once_it_returns(
    make_stack, private_redis, twilio
):
    stack = make_stack()
    stack.serve()
    private_redis.kill()
    worker = stack.start_worker()
    sid = "SM" + "a" * 32
    assert stack.post("hola", sender=SENDERS[0], sid=sid).status_code == 200
    wait_until(
        lambda: "Redis does not answer" in worker.output() or not worker.alive(),
        60,
        "the worker to find Redis down",
    )
    private_redis.start()
    wait_all_answered(stack.db, {sid}, timeout=60)
    wait_until(lambda: len(twilio.messages) == 1, 10, "the reply")
    assert worker.alive()
