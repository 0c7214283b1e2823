"""The webhook stores each message in one transaction (conversations.accept): every message lands
in its worker's conversation once, a first contact creates exactly one conversation, known and
erased MessageSids are skipped, a flood is held back, and one turn job is queued while none waits."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from bot.conversation.inbox import accept
from bot.jobs.worker import Worker
from bot.messages import Media, Received
from bot.store.models import Conversation, ErasedMessage, InboundMessage
from tests.conftest import BOT_SMS

ANA, BEN, CARLA = "+15195550101", "+15195550102", "+15195550103"


def sms(sender: str, body: str, sid: str | None = None) -> Received:
    return Received(sid or f"SM{uuid.uuid4().hex}", "sms", sender, BOT_SMS, body)


def run_jobs(runtime) -> None:
    queues = list(runtime.queue.queues.values())
    Worker(queues, connection=queues[0].connection).work(burst=True)


def test_each_message_is_stored_once_and_one_turn_is_queued_for_all(
    make_bot, database_url, redis_url
):
    runtime = make_bot(database_url, redis_url=redis_url).runtime
    known = sms(BEN, "hola")
    assert accept(runtime, known).inbound_id is not None
    run_jobs(runtime)  # Ben's first turn is done
    with runtime.db.session() as session:
        session.add(
            ErasedMessage(message_sid=runtime.vault.sid_hash("SMerased0000000000000000000000000"))
        )

    twice = sms(BEN, "otra vez")
    messages = [
        sms(ANA, "hola"),
        sms(ANA, "necesito ayuda"),  # a first contact, then another message
        known,  # Twilio redelivering a stored message
        twice,
        twice,  # the same delivery twice
        sms(CARLA, "si", sid="SMerased0000000000000000000000000"),  # of a conversation since erased
    ]
    ids = [accept(runtime, message).inbound_id for message in messages]

    assert ids[0] and ids[1] and ids[3] and ids[0] < ids[1]
    assert ids[2] is None and ids[4] is None and ids[5] is None
    with runtime.db.session() as session:
        rows = session.execute(
            select(InboundMessage.message_sid, Conversation.address_key)
            .join(Conversation)
            .where(InboundMessage.status == "received")
        ).all()
        conversations = session.scalar(select(func.count()).select_from(Conversation))
    assert len(rows) == 3  # Ana's two, Ben's new one: nothing twice, nothing of the erased one
    assert conversations == 2  # Ana's is new; no conversation brought back for Carla
    anas = {
        runtime.vault.sid_hash(messages[0].message_sid),
        runtime.vault.sid_hash(messages[1].message_sid),
    }
    assert {key for sid, key in rows if sid in anas} == {runtime.vault.address_key(ANA)}
    # One turn job for Ana's and Ben's: a turn handles every pending message, worker by worker.
    queue = runtime.queue.queues["turns"]
    assert [job.args[0] for job in queue.jobs] == [ids[0]]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # concurrent writers
def test_a_first_contact_arriving_on_many_threads_at_once_makes_one_conversation(
    make_bot, database_url
):
    runtime = make_bot(database_url).runtime
    messages = [sms(ANA, f"hola {n}") for n in range(12)]
    with ThreadPoolExecutor(8) as pool:
        ids = list(
            pool.map(lambda message: accept(runtime, message).inbound_id, [*messages, *messages])
        )

    assert (
        len({i for i in ids if i}) == 12 and ids.count(None) == 12
    )  # each once, redeliveries skipped
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 1


def test_a_photo_and_a_button_are_stored_sealed_and_come_back_whole(make_bot, database_url):
    runtime = make_bot(database_url).runtime
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    photo = Received(
        f"SM{uuid.uuid4().hex}",
        "whatsapp",
        f"whatsapp:{ANA}",
        "whatsapp:+15550108888",
        "",
        media=(Media(url, "image/jpeg"),),
        button="Sí",
    )
    accepted = accept(runtime, photo)
    with runtime.db.session() as session:
        row = session.get(InboundMessage, accepted.inbound_id)
        [media] = row.media
        assert url not in str(row.media) and row.button_enc != "Sí"
        opened = runtime.envelope.open(
            session, "inbound_messages.media", row.message_sid, media["url_enc"]
        )
        assert (opened, media["content_type"]) == (url, "image/jpeg")
        assert runtime.envelope.get(session, row, "button_enc") == "Sí"
        assert row.bot_address == "whatsapp:+15550108888"


def test_a_flood_is_throttled_past_the_limit_but_never_lost_and_stop_always_passes(
    make_bot, database_url
):
    runtime = make_bot(database_url, messages__flood_limit_per_minute=5).runtime
    flood = [sms(ANA, f"hola {n}") for n in range(7)]
    accepted = [accept(runtime, message) for message in flood[:3]]
    accepted.append(accept(runtime, sms(BEN, "hello")))
    accepted += [accept(runtime, message) for message in [*flood[3:], sms(ANA, "STOP")]]

    assert [a.throttled for a in accepted] == [
        False,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        False,
    ]
    with runtime.db.session() as session:
        kept = session.scalars(
            select(InboundMessage)
            .where(InboundMessage.status == "throttled")
            .order_by(InboundMessage.id)
        ).all()
        assert [runtime.envelope.get(session, row, "body_enc") for row in kept] == [
            "hola 5",
            "hola 6",
        ]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_message_whose_conversation_is_erased_meanwhile_is_tried_once_more(
    make_bot, database_url, redis_url
):
    """An erasure racing the store fails its statement (a foreign key violation): the message is
    stored again from the start, once; a second failure is the webhook's 503 and Twilio's retry."""
    runtime = make_bot(database_url, redis_url=redis_url).runtime
    with runtime.db.engine.begin() as conn:  # stands in for an erasure racing the first try
        conn.execute(
            text(
                "CREATE FUNCTION erased_meanwhile() RETURNS trigger AS $$ BEGIN "
                "RAISE foreign_key_violation USING MESSAGE = 'conversation erased meanwhile'; END $$ "
                "LANGUAGE plpgsql"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER erased_meanwhile BEFORE INSERT ON inbound_messages FOR EACH ROW "
                "EXECUTE FUNCTION erased_meanwhile()"
            )
        )
    # A race lost twice: the message is refused (the webhook's 503), and nothing half stored.
    with pytest.raises(IntegrityError):
        accept(runtime, sms(ANA, "hola"))
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0

    with runtime.db.engine.begin() as conn:  # now the race is lost once only: the retry stores it
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION erased_meanwhile() RETURNS trigger AS $$ BEGIN "
                "IF nextval('racing_seq') = 1 THEN "
                "RAISE foreign_key_violation USING MESSAGE = 'conversation erased meanwhile'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(text("CREATE SEQUENCE racing_seq"))
    accepted = accept(runtime, sms(ANA, "hola"))

    assert accepted.inbound_id is not None
    assert [job.args[0] for job in runtime.queue.queues["turns"].jobs] == [accepted.inbound_id]
