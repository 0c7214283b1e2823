"""A worker who sends several messages before the bot gets to them has them all answered, in
order, by one turn: the webhook queues a conversation's turn once, not once per message, and the
turn answers from the number the worker last wrote to."""

from __future__ import annotations

from sqlalchemy import select

from bot.jobs.worker import Worker
from bot.store.models import InboundMessage, OutboxMessage
from tests.conftest import BOT_SMS

ANA, BEN = "+15195550101", "+15195550102"
OTHER_BOT_NUMBER = "+15550107777"


def run_queued_jobs(bot) -> Worker:
    queue = bot.runtime.queue.queues["turns"]
    worker = Worker(list(bot.runtime.queue.queues.values()), connection=queue.connection)
    worker.work(burst=True)
    worker.refresh()  # its job counts, from Redis
    return worker


def test_messages_waiting_for_their_turn_share_it_and_are_answered_in_order(
    make_bot, database_url, redis_url, twilio
):
    # Without the delayed deletions at Twilio (tests/security/test_twilio_copies.py), no job is left.
    bot = make_bot(database_url, redis_url=redis_url, twilio__delete_after_handling=False)
    for text in ("hola", "cuanto me tienen que pagar por hora", "gracias"):
        assert bot.send(text, sender=ANA).status_code == 200
    assert bot.send("hello", sender=BEN).status_code == 200
    queue = bot.runtime.queue.queues["turns"]
    assert queue.count == 2  # one turn for Ana's three messages, one for Ben's

    worker = run_queued_jobs(bot)
    # Each turn sends its own replies, in order: two jobs in all, none per page.
    assert (worker.successful_job_count, worker.failed_job_count) == (2, 0)
    # Finished jobs are not kept in Redis: their work is in the database.
    assert not [
        key
        for pattern in ("rq:job:*", "rq:results:*")
        for key in queue.connection.scan_iter(pattern)
    ]

    with bot.runtime.db.session() as session:
        ana = session.scalar(
            select(InboundMessage.conversation_id).order_by(InboundMessage.id).limit(1)
        )
        inbound = session.execute(
            select(InboundMessage.id, InboundMessage.status)
            .where(InboundMessage.conversation_id == ana)
            .order_by(InboundMessage.id)
        ).all()
        replies = session.scalars(
            select(OutboxMessage.dedupe_key)
            .where(OutboxMessage.conversation_id == ana)
            .order_by(OutboxMessage.id)
        ).all()
    assert [status for _, status in inbound] == ["done"] * 3
    # Each message answered, and the answers written in the order the messages came.
    answered = [int(key.split(":")[1]) for key in replies]
    assert sorted(set(answered)) == [message_id for message_id, _ in inbound]
    assert answered == sorted(answered)
    sent = [m for m in twilio.messages if m.to == ANA]
    assert len(sent) == len(replies) >= 3
    assert [m for m in twilio.messages if m.to == BEN]

    # Once the turn has run, Ana's next message gets a turn of its own.
    assert bot.send("otra pregunta", sender=ANA).status_code == 200
    assert queue.count == 1


def test_the_reply_comes_from_the_number_the_worker_last_wrote_to(
    make_bot, sqlite_url, redis_url, twilio
):
    bot = make_bot(sqlite_url, redis_url=redis_url)
    assert bot.send("hola", sender=ANA).status_code == 200
    run_queued_jobs(bot)
    first = len(twilio.messages)
    assert {m.from_ for m in twilio.messages} == {BOT_SMS}

    assert (
        bot.send("cuanto me tienen que pagar por hora", sender=ANA, to=OTHER_BOT_NUMBER).status_code
        == 200
    )
    run_queued_jobs(bot)
    assert {m.from_ for m in twilio.messages[first:]} == {OTHER_BOT_NUMBER}
