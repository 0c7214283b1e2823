"""Twilio's API misbehaves under `puente serve` + rq workers: retried, sent once, or failed visibly."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.store.models import OutboxMessage
from tests.faults.ledger import (
    assert_each_sent_once,
    ledger,
    wait_all_answered,
    wait_housekeeping,
    wait_idle,
)
from tests.faults.traffic import post
from tests.support.services import wait_until

pytestmark = pytest.mark.slow

SENDER = "+15195550142"


def _outbox(stack) -> list[OutboxMessage]:
    with stack.db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _running(make_stack, workers: int = 1, **settings: str):
    stack = make_stack(**settings)
    stack.serve(workers=1)
    for _ in range(workers):
        stack.start_worker()
    return stack


def test_twilio_500s_are_retried_until_it_recovers_then_each_reply_is_sent_once(make_stack, twilio):
    stack = _running(make_stack)
    twilio.fail_next(2, status=500)
    sid = post(stack, SENDER, "hola").sid
    wait_all_answered(stack.db, {sid}, timeout=60)
    wait_idle(stack)  # what would send a second time has run by then
    current = ledger(stack.db)
    assert_each_sent_once(current, twilio)
    assert len(twilio.messages) == len(current.outbox) >= 1
    # Each injected 500 cost exactly one attempt (a send or the look-up before a re-send).
    assert sum(row.attempts for row in current.outbox) == len(current.outbox) + 2
    assert all(row.error_code is None for row in current.outbox)


def test_twilio_answering_too_late_is_not_sent_a_second_time(make_stack, twilio):
    """Twilio creates the message but answers after our 2 s timeout: the retry finds it, sends nothing."""
    stack = _running(make_stack)
    twilio.delay(3)
    sid = post(stack, SENDER, "hola").sid
    rows = wait_until(lambda: _outbox(stack), 30, "the reply in the outbox")
    twilio.wait_for_messages(len(rows), timeout=30)  # created at Twilio, unheard of by the worker
    twilio.delay(0)
    wait_all_answered(stack.db, {sid}, timeout=60)
    wait_idle(stack)  # what would send a second time has run by then
    current = ledger(stack.db)
    assert_each_sent_once(current, twilio)
    assert len(twilio.messages) == len(current.outbox) == len(rows)
    assert all(row.attempts >= 2 for row in current.outbox), "no attempt timed out"
    assert "did not answer in time" in stack.logs()


def test_twilio_failing_for_good_leaves_the_reply_failed_and_visible_never_sent(make_stack, twilio):
    # The circuit never opens here (it would keep the reply waiting for Twilio): this is about one
    # message Twilio refuses while it answers others.
    stack = _running(
        make_stack, PUENTE__JOBS__SEND_MAX_ATTEMPTS="4", PUENTE__JOBS__CIRCUIT_FAILURES="1000"
    )
    twilio.fail_next(1000, status=500)
    post(stack, SENDER, "hola")

    def all_failed() -> list[OutboxMessage] | None:
        rows = _outbox(stack)
        return rows if rows and all(row.status == "failed" for row in rows) else None

    rows = wait_until(all_failed, 60, "the reply to be marked failed")
    twilio.reset()  # Twilio is well again: a failed row must stay failed, not be re-driven
    wait_housekeeping(stack)  # the re-drive has looked at the failed row since
    wait_idle(stack, scheduled=True)  # and what it or a retry queued has run
    assert [row.status for row in _outbox(stack)] == ["failed"] * len(rows)
    assert all(row.attempts == 4 and row.error_code and "500" in row.error_message for row in rows)
    assert twilio.messages == []
    metrics = stack.scrape()
    failed = re.search(r'puente_messages_out\{channel="sms",status="failed"\} (\S+)', metrics)
    assert failed and float(failed.group(1)) == len(rows)
    assert "failed for good" in stack.logs()
