"""The one way out: outbox rows sent by a job, retried with backoff, failed visibly, never twice."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot import outbox
from bot.store.models import OutboxMessage

STAFF = "+14165550199"
BOT = "+15550109999"


def _queue(bot, text="Nuevo caso asignado", key=None) -> int:
    with bot.runtime.db.session() as session:
        row = outbox.queue_to_address(session, bot.runtime, STAFF, BOT, text, dedupe_key=key)
        return row.id


def _row(bot, outbox_id) -> OutboxMessage:
    with bot.runtime.db.session() as session:
        return session.get(OutboxMessage, outbox_id)


def _wait_status(bot, outbox_id, statuses, timeout=10.0) -> OutboxMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = _row(bot, outbox_id)
        if row.status in statuses:
            return row
        time.sleep(0.05)
    raise AssertionError(f"outbox {outbox_id} stayed {row.status}")


def test_queued_message_is_sent_through_the_twilio_rest_api(make_bot, database_url, twilio):
    bot = make_bot(database_url)
    outbox_id = _queue(bot)
    [sent] = twilio.wait_for_messages(1)
    assert (sent.to, sent.from_, sent.body) == (STAFF, BOT, "Nuevo caso asignado")
    assert sent.status_callback == "http://localhost/webhooks/twilio/status"
    row = _row(bot, outbox_id)
    assert (
        row.status in ("sent", "delivered")
        and row.twilio_sid == bot.runtime.vault.sid_hash(sent.sid)
        and row.attempts == 1
    )


def test_server_errors_are_retried_with_backoff_then_sent_once(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    twilio.fail_next(2, status=500)
    outbox_id = _queue(bot)
    row = _wait_status(bot, outbox_id, {"sent", "delivered"})
    assert row.attempts == 3
    assert len(twilio.messages) == 1


def test_persistent_failure_ends_failed_and_visible(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url, jobs__send_max_attempts=3)
    twilio.fail_next(10, status=503)
    outbox_id = _queue(bot)
    row = _wait_status(bot, outbox_id, {"failed"})
    assert row.attempts == 3 and row.error_code and "503" in row.error_message
    assert twilio.messages == []


def test_permanent_twilio_error_is_not_retried(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    with bot.runtime.db.session() as session:
        row = outbox.queue_to_address(
            session, bot.runtime, "+1", BOT, "x"
        )  # Twilio refuses: invalid To
        outbox_id = row.id
    row = _wait_status(bot, outbox_id, {"failed"})
    assert row.attempts == 1


def test_timeout_after_twilio_accepted_does_not_send_twice(make_bot, sqlite_url, twilio):
    """Twilio took the message but answered too late: the retry finds it instead of sending again."""
    bot = make_bot(sqlite_url, twilio__timeout_seconds=0.5, jobs__send_backoff_seconds=[1.5])
    twilio.delay(1.0)
    outbox_id = _queue(bot)
    twilio.wait_for_messages(1)
    twilio.delay(0)
    row = _wait_status(bot, outbox_id, {"sent", "delivered"})
    assert row.attempts == 2
    time.sleep(0.5)
    assert len(twilio.messages) == 1 and row.twilio_sid == bot.runtime.vault.sid_hash(
        twilio.messages[0].sid
    )


def test_dedupe_key_makes_a_repeated_queue_a_no_op(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    _queue(bot, key="notify:1")
    with bot.runtime.db.session() as session:
        assert (
            outbox.queue_to_address(
                session, bot.runtime, STAFF, BOT, "again", dedupe_key="notify:1"
            )
            is None
        )
    twilio.wait_for_messages(1)
    time.sleep(0.2)
    assert len(twilio.messages) == 1


def test_a_claimed_message_is_not_sent_by_a_second_job(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    outbox_id = _queue(bot)
    twilio.wait_for_messages(1)
    assert outbox.deliver(bot.runtime, outbox_id) == "skipped"
    assert len(twilio.messages) == 1


def test_outbox_holds_neither_number_nor_text_in_clear(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    _queue(bot, text="Mensaje privado para el personal")
    twilio.wait_for_messages(1)
    with bot.runtime.db.session() as session:
        row = session.scalars(select(OutboxMessage)).one()
        stored = " ".join(str(getattr(row, c.key)) for c in OutboxMessage.__table__.columns)
    assert "5550199" not in stored and "privado" not in stored


def test_a_status_only_moves_forward_and_an_undelivered_one_keeps_its_error(
    make_bot, database_url, twilio
):
    """Twilio's callbacks can arrive out of order: a late "sent" must not undo "delivered"."""
    bot = make_bot(database_url)
    first, second = _queue(bot, key="a"), _queue(bot, key="b")
    _wait_status(bot, first, {"sent", "delivered"})
    _wait_status(bot, second, {"sent", "delivered"})
    by_hash = {bot.runtime.vault.sid_hash(m.sid): m.sid for m in twilio.wait_for_messages(2)}
    sid, other = by_hash[_row(bot, first).twilio_sid], by_hash[_row(bot, second).twilio_sid]

    assert outbox.record_status(bot.runtime, sid, "read", None)
    assert outbox.record_status(bot.runtime, sid, "sent", None)  # late, but ours: nothing to retry
    assert _row(bot, first).status == "read"
    assert outbox.record_status(bot.runtime, other, "undelivered", "30003")
    assert (_row(bot, second).status, _row(bot, second).error_code) == ("undelivered", "30003")
    assert not outbox.record_status(
        bot.runtime, "SM" + "0" * 32, "delivered", None
    )  # not ours (yet)
    # "queued" and "sent" say no more than the sender stored on Twilio's answer: never retried.
    assert outbox.record_status(bot.runtime, "SM" + "0" * 32, "sent", None)
