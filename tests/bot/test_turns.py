"""A worker who sends several messages before the bot gets to them has them all answered, in
order, by one turn: the webhook queues a turn job once while one waits, not once per message or
per worker, and the turn answers from the number the worker last wrote to."""

from __future__ import annotations

import re

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
    # One turn job for Ana's three messages and Ben's: it goes on from one worker's to the next's.
    assert queue.count == 1

    worker = run_queued_jobs(bot)
    # The turn sends its replies itself, in order: one job in all, none per page or per worker.
    assert (worker.successful_job_count, worker.failed_job_count) == (1, 0)
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


def test_a_message_the_bot_fails_on_gets_one_apology_and_nothing_of_its_half_done_reply(
    make_bot, database_url, twilio, monkeypatch
):
    """A bug after the reply was written (its outbox rows flushed): the worker gets the apology
    alone, once, and their next message is answered as usual."""
    from bot.conversation import inbox

    bot = make_bot(database_url)
    schedule = inbox._delete_at_twilio
    calls = []

    def buggy(session, runtime, row) -> bool:
        calls.append(row.id)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return schedule(session, runtime, row)

    monkeypatch.setattr(inbox, "_delete_at_twilio", buggy)
    assert bot.send("hola", sender=ANA).status_code == 200

    with bot.runtime.db.session() as session:
        [(inbound_id, status, error)] = session.execute(
            select(InboundMessage.id, InboundMessage.status, InboundMessage.error)
        ).all()
        keys = session.scalars(select(OutboxMessage.dedupe_key)).all()
    assert (status, error) == ("failed", "RuntimeError")
    assert keys == [f"apology:{inbound_id}:0"]
    assert len(twilio.messages) == 1

    assert bot.send("hola", sender=ANA).status_code == 200
    assert len(twilio.messages) == 2
    with bot.runtime.db.session() as session:
        assert session.scalars(select(InboundMessage.status).order_by(InboundMessage.id)).all() == [
            "failed",
            "done",
        ]


def test_a_reply_is_written_once_with_its_text_sealed(make_bot, migrated_postgres, twilio):
    """On PostgreSQL a reply's outbox row takes its id from the sequence, so its text is sealed to
    the row before the INSERT: no flush mid-turn, no UPDATE after it; and the turn's commit claims
    its first reply, so only later pages need a claim (bench/README.md, issue 23)."""
    from sqlalchemy import event

    bot = make_bot(migrated_postgres.fresh())
    statements: list[str] = []

    @event.listens_for(bot.runtime.db.engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()))

    assert bot.send("cuanto me tienen que pagar por hora", sender=ANA).status_code == 200
    outbox = [m[0] for s in statements if (m := re.match(r"(INSERT INTO|UPDATE) outbox\b", s))]
    with bot.runtime.db.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert rows and all(row.status == "sent" and row.body_enc for row in rows)
        assert [row.attempts for row in rows] == [1] * len(rows)
        bodies = [bot.runtime.envelope.get(session, row, "body_enc") for row in rows]
    # Each page's INSERT (the first one's lease taken by it), then each later page's claim and every
    # send's "sent": nothing seals a row after its INSERT.
    assert outbox == ["INSERT INTO outbox"] * len(rows) + ["UPDATE outbox"] * (2 * len(rows) - 1)
    assert [m.body for m in twilio.messages] == bodies
    assert {m.to for m in twilio.messages} == {ANA}
