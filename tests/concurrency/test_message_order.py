"""Many messages at once (two gunicorn workers, two rq workers): one consistent conversation per sender.

The reference for a conversation is the same texts typed one by one, each after the bot answered
the previous one: handling a burst must give the very same replies in the order the bot took them.
"""

from __future__ import annotations

import threading

import pytest

from tests.concurrency.transcript import transcript, typed_one_by_one
from tests.faults.ledger import assert_each_sent_once, ledger, wait_all_answered
from tests.faults.locks import someone_waits_for_a_lock, turns_in_progress
from tests.faults.traffic import accepted, at_once, post

pytestmark = pytest.mark.slow

#: Menus, numbers whose meaning depends on the menu before them, a language change: order shows.
SCRIPT = ["hola", "1", "2", "menu", "3", "ayuda", "1", "1", "idioma", "3", "0", "1"]
BUSY = "+15195550100"
REFERENCE = "+15195550199"
OTHERS = [f"+1519555{n:04d}" for n in range(200, 210)]


@pytest.fixture
def stack(make_stack):
    stack = make_stack(PUENTE__MESSAGES__FLOOD_LIMIT_PER_MINUTE="100")
    stack.serve(workers=2)
    stack.start_worker()
    stack.start_worker()
    return stack


def test_one_senders_messages_posted_at_once_make_one_consistent_conversation(stack, twilio):
    posts = at_once(stack, [(BUSY, text) for text in SCRIPT])
    assert [p.status for p in posts] == [200] * len(SCRIPT)
    wait_all_answered(stack.db, accepted(posts), timeout=90)

    burst = transcript(stack.db, BUSY)
    assert sorted(text for text, _ in burst) == sorted(SCRIPT)  # each handled once
    assert typed_one_by_one(stack, REFERENCE, [text for text, _ in burst]) == burst
    assert_each_sent_once(ledger(stack.db), twilio)


def test_a_busy_sender_is_answered_in_typed_order_and_blocks_no_one_else(stack, twilio):
    """One worker types 20 messages in a row while ten others text once: all answered, in order."""
    busy_texts = (SCRIPT * 2)[:20]
    busy_posts = []
    typing = threading.Thread(
        target=lambda: busy_posts.extend(post(stack, BUSY, t) for t in busy_texts)
    )
    typing.start()
    others = at_once(stack, [(sender, "hola") for sender in OTHERS])
    typing.join(120)
    posts = busy_posts + others
    assert [p.status for p in posts] == [200] * (len(busy_texts) + len(OTHERS))
    current = wait_all_answered(stack.db, accepted(posts), timeout=120)

    busy = transcript(stack.db, BUSY)
    assert [text for text, _ in busy] == busy_texts  # handled in the order typed
    assert typed_one_by_one(stack, REFERENCE, busy_texts) == busy
    greeting = transcript(stack.db, REFERENCE)[0]
    assert all(transcript(stack.db, sender) == [greeting] for sender in OTHERS)
    assert_each_sent_once(ledger(stack.db), twilio)
    assert current.unanswered() == []


def test_a_sender_whose_turn_is_in_progress_holds_back_no_one_else(stack, twilio):
    """While one worker's conversation is locked by a turn, her new message is stored and everyone
    else is answered; hers is answered once the turn ends."""
    first = post(stack, BUSY, "hola").sid
    wait_all_answered(stack.db, {first}, timeout=60)
    with turns_in_progress(stack.database_url) as engine:
        waiting = post(stack, BUSY, "1")
        assert waiting.status == 200  # the webhook did not wait for the turn
        others = at_once(stack, [(sender, "hola") for sender in OTHERS])
        assert [p.status for p in others] == [200] * len(OTHERS)
        wait_all_answered(stack.db, accepted(others), timeout=90)
        assert ledger(stack.db, {waiting.sid}).inbound[waiting.sid] == "received"
        assert not someone_waits_for_a_lock(engine), (
            "her job holds an rq worker waiting on the lock"
        )
    wait_all_answered(stack.db, {waiting.sid}, timeout=60)
    assert [text for text, _ in transcript(stack.db, BUSY)] == ["hola", "1"]
    assert_each_sent_once(ledger(stack.db), twilio)
