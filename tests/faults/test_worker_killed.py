"""A worker dies (SIGKILL) in the middle of a job: another worker finishes it, and sends nothing twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from bot.store.models import OutboxMessage
from tests.faults.ledger import assert_each_sent_once, ledger, wait_all_answered, wait_idle
from tests.faults.locks import someone_waits_for_a_lock, turns_in_progress
from tests.faults.traffic import post
from tests.support.services import wait_until

pytestmark = pytest.mark.slow

SENDER = "+15195550177"
#: The send's own timeout is longer than Twilio's delay, so the worker is surely inside the call.
SLOW_TWILIO = {"PUENTE__TWILIO__TIMEOUT_SECONDS": "30"}


def _twilio_holds_a_request() -> bool:
    """The Twilio-compatible server (a thread of this process) is holding a request back (delay)."""
    return any(t.name.endswith("(process_request_thread)") for t in threading.enumerate())


def _statuses(stack) -> list[str]:
    with stack.db.session() as session:
        return list(session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


@pytest.mark.parametrize(
    "twilio_took_it", [True, False], ids=["after-twilio-took-it", "before-twilio-took-it"]
)
def test_worker_killed_while_sending_is_replaced_and_the_reply_goes_out_once(
    make_stack, twilio, twilio_took_it
):
    stack = make_stack(**SLOW_TWILIO)
    stack.serve(workers=1)
    doomed = stack.start_worker()
    twilio.delay(8 if twilio_took_it else 120)
    sid = post(stack, SENDER, "hola").sid
    wait_until(
        lambda: "sending" in _statuses(stack), 60, "the worker to claim the reply", interval=0.02
    )
    wait_until(_twilio_holds_a_request, 30, "the send to reach Twilio", interval=0.02)
    doomed.kill()
    if twilio_took_it:
        twilio.wait_for_messages(
            1, timeout=30
        )  # Twilio created it; nobody is left to hear its answer
    else:
        twilio.reset()  # the held request is dropped: Twilio never created the message
    twilio.delay(0)

    stack.start_worker()  # its re-driver takes the row back once the dead worker's lease runs out
    wait_all_answered(stack.db, {sid}, timeout=90)
    wait_idle(stack)  # what would send a second time has run by then
    current = ledger(stack.db)
    assert_each_sent_once(current, twilio)
    assert len(twilio.messages) == len(current.outbox)
    assert max(row.attempts for row in current.outbox) == 2  # the killed attempt, then the rescue


def test_a_busy_conversation_does_not_hold_the_worker_killed_meanwhile_answered_once(
    make_stack, twilio
):
    """Another turn of the same worker holds the conversation: it is looked at again later (the rq
    worker does not wait on the lock), the worker dies meanwhile, a new one answers once after the turn."""
    stack = make_stack()
    stack.serve(workers=1)
    doomed = stack.start_worker()
    first = post(stack, SENDER, "hola").sid
    wait_all_answered(stack.db, {first}, timeout=60)

    with turns_in_progress(stack.database_url) as engine:
        second = post(
            stack, SENDER, "1"
        ).sid  # stored at once: the webhook does not wait for the turn
        # rq logs each job it starts: the first message's, then the second's, then the one that
        # looks again at the conversations other turns held.
        wait_until(
            lambda: (
                doomed.output().count("bot.conversation.inbox.process_inbound(") >= 2
                and "bot.conversation.inbox.drain_turns()" in doomed.output()
            ),
            30,
            "the second message's job to be put back and tried again",
        )
        assert not someone_waits_for_a_lock(engine), "a job is blocked on the conversation lock"
        doomed.kill()
    stack.start_worker()
    wait_all_answered(stack.db, {first, second}, timeout=90)
    wait_idle(stack)  # what would send a second time has run by then
    current = ledger(stack.db)
    assert_each_sent_once(current, twilio)
    assert all(
        len({row.dedupe_key for row in rows}) == len(rows) for rows in current.replies.values()
    )
    assert len(twilio.messages) == len(current.outbox)
