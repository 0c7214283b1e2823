"""The webhook stores concurrent messages as one batch (conversations.accept_many): every message
lands in its worker's conversation once, a first contact creates exactly one conversation, known
and erased MessageSids are skipped, and each conversation gets one queued turn."""

from __future__ import annotations

import uuid

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.conversations import accept_many
from bot.messages import InboundMessage, Media
from bot.models import Conversation, ErasedMessage
from bot.models import InboundMessage as InboundRow
from tests.conftest import BOT_SMS

ANA, BEN, CARLA = "+15195550101", "+15195550102", "+15195550103"


def sms(sender: str, body: str, sid: str | None = None) -> InboundMessage:
    return InboundMessage(sid or f"SM{uuid.uuid4().hex}", "sms", sender, BOT_SMS, body)


def test_a_batch_stores_each_message_once_and_queues_one_turn_per_conversation(
        make_bot, database_url, redis_url):
    runtime = make_bot(database_url, redis_url=redis_url).runtime
    known = sms(BEN, "hola")
    assert accept_many(runtime, [known])[0].inbound_id is not None
    queue = runtime.queue.queues["turns"]
    SimpleWorker(list(runtime.queue.queues.values()), connection=queue.connection).work(burst=True)  # Ben's first turn is done
    with runtime.db.session() as session:
        session.add(ErasedMessage(message_sid=runtime.vault.sid_hash("SMerased0000000000000000000000000")))

    twice = sms(BEN, "otra vez")
    batch = [
        sms(ANA, "hola"), sms(ANA, "necesito ayuda"),  # a first contact: two messages at once
        known,  # Twilio redelivering a stored message
        twice, twice,  # the same delivery twice in one batch
        sms(CARLA, "si", sid="SMerased0000000000000000000000000"),  # of a conversation since erased
    ]
    accepted = accept_many(runtime, batch)

    ids = [a.inbound_id for a in accepted]
    assert ids[0] and ids[1] and ids[3] and ids[0] < ids[1]
    assert ids[2] is None and ids[4] is None and ids[5] is None
    with runtime.db.session() as session:
        rows = session.execute(select(InboundRow.message_sid, Conversation.address_key)
                               .join(Conversation).where(InboundRow.status == "received")).all()
        conversations = session.scalar(select(func.count()).select_from(Conversation))
    assert len(rows) == 3  # Ana's two, Ben's new one: nothing twice, nothing of the erased one
    assert conversations == 2  # Ana's is new; no conversation brought back for Carla
    anas = {runtime.vault.sid_hash(batch[0].message_sid), runtime.vault.sid_hash(batch[1].message_sid)}
    assert {key for sid, key in rows if sid in anas} == {
        runtime.vault.address_key(ANA)}
    # One turn each for Ana and Ben: a turn handles all of its worker's pending messages.
    assert sorted(job.args[0] for job in queue.jobs) == sorted([ids[0], ids[3]])


def test_a_new_batch_while_a_turn_waits_queues_no_other(make_bot, sqlite_url, redis_url):
    runtime = make_bot(sqlite_url, redis_url=redis_url).runtime
    queue = runtime.queue.queues["turns"]
    accept_many(runtime, [sms(ANA, "hola")])
    accept_many(runtime, [sms(ANA, "sigo aqui"), sms(BEN, "hello")])
    assert len(queue.jobs) == 2  # Ana's first turn (still waiting) and Ben's


def test_a_photo_and_a_button_are_stored_sealed_and_come_back_whole(make_bot, database_url):
    runtime = make_bot(database_url).runtime
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    photo = InboundMessage(f"SM{uuid.uuid4().hex}", "whatsapp", f"whatsapp:{ANA}", "whatsapp:+15550108888",
                           "", media=(Media(url, "image/jpeg"),), button_text="Sí")
    [accepted] = accept_many(runtime, [photo])
    with runtime.db.session() as session:
        row = session.get(InboundRow, accepted.inbound_id)
        [media] = row.media
        assert url not in str(row.media) and row.button_enc != "Sí"
        assert (runtime.vault.decrypt(media["url_enc"]), media["content_type"]) == (url, "image/jpeg")
        assert runtime.vault.decrypt(row.button_enc) == "Sí"
        assert row.bot_address == "whatsapp:+15550108888"


def test_a_flood_arriving_in_one_batch_is_throttled_past_the_limit(make_bot, database_url):
    runtime = make_bot(database_url, messages__flood_limit_per_minute=5).runtime
    accept_many(runtime, [sms(ANA, "hola"), sms(ANA, "hola?")])  # two already in this minute
    flood = [sms(ANA, f"hola {n}") for n in range(6)]
    accepted = accept_many(runtime, [flood[0], sms(BEN, "hello"), *flood[1:]])

    assert [a.throttled for a in accepted] == [False, False, False, False, True, True, True]
    with runtime.db.session() as session:
        kept = session.scalars(select(InboundRow.body_enc).where(InboundRow.status == "throttled")).all()
    assert [runtime.vault.decrypt(body) for body in kept] == ["hola 3", "hola 4", "hola 5"]  # never lost


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # statements commit one by one
def test_what_a_failing_batch_stored_still_gets_its_turn(make_bot, database_url, redis_url):
    """A batch that fails twice (a conversation erased at each try) is run again message by message;
    the messages it did store are then duplicates to that rerun, so the batch queues their turns."""
    from sqlalchemy import text

    runtime = make_bot(database_url, redis_url=redis_url).runtime
    accept_many(runtime, [sms(BEN, "hola")])
    queue = runtime.queue.queues["turns"]
    SimpleWorker(list(runtime.queue.queues.values()), connection=queue.connection).work(burst=True)  # Ben's first turn is done
    with runtime.db.engine.begin() as conn:  # stands in for an erasure racing every try
        conn.execute(text(
            "CREATE FUNCTION erased_meanwhile() RETURNS trigger AS $$ BEGIN "
            "RAISE foreign_key_violation USING MESSAGE = 'conversation erased meanwhile'; END $$ "
            "LANGUAGE plpgsql"))
        conn.execute(text(
            "CREATE TRIGGER erased_meanwhile BEFORE INSERT ON inbound_messages FOR EACH ROW "
            f"WHEN (NEW.message_sid = '{runtime.vault.sid_hash('SMracing')}') "
            "EXECUTE FUNCTION erased_meanwhile()"))
    known = sms(BEN, "sigo aqui")

    with pytest.raises(IntegrityError):
        accept_many(runtime, [known, sms(ANA, "hola", sid="SMracing")])

    with runtime.db.session() as session:
        stored = session.scalar(select(InboundRow.id).where(
            InboundRow.message_sid == runtime.vault.sid_hash(known.message_sid)))
    assert stored is not None
    assert [job.args[0] for job in queue.jobs] == [stored]  # Ben's turn, though the batch failed


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no server to lose
def test_a_batch_after_the_server_dropped_the_held_connection_is_stored_and_committed(make_bot, database_url):
    """The webhook keeps one connection open between batches (no ping each time). When the server
    dropped it meanwhile (a restart), the next batch runs again on a new one, still committing."""
    runtime = make_bot(database_url).runtime
    first = accept_many(runtime, [sms(ANA, "hola")])[0].inbound_id
    with runtime.db.autocommit(held=True) as conn:
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with runtime.db.engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend)})")

    after = [accept_many(runtime, [sms(ANA, text)])[0].inbound_id for text in ("sigo aqui", "ayuda")]

    assert first and all(after)
    with runtime.db.autocommit(held=True) as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
    # Seen from another connection: committed, not waiting in an open transaction.
    with runtime.db.engine.connect() as other:
        stored = other.execute(select(InboundRow.id).order_by(InboundRow.id)).scalars().all()
    assert stored == [first, *after]
