"""One number flooding the webhook stops being answered message by message
(messages.flood_limit_per_minute) but is never met with silence: it is told once a minute to wait,
its messages are kept, and its latest one is answered after the pause; everyone else is answered
throughout, and STOP always goes through."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.conversation import inbox
from bot.store.db import utcnow
from bot.store.models import InboundMessage
from bot.text import catalogs
from tests.security.probes import bodies_to

FLOODER, OTHER = "+15195550100", "+15195550111"
#: The real pause runs on a timer; the tests end it themselves (conversations.after_flood).
NO_TIMER = 3600


def _statuses(runtime) -> dict[str, int]:
    with runtime.db.session() as session:
        return dict(
            session.execute(
                select(InboundMessage.status, func.count(InboundMessage.id)).group_by(
                    InboundMessage.status
                )
            ).all()
        )


def _notice(language: str = "es") -> str:
    return catalogs.translator(language).gettext("flood.notice")


def test_a_flood_is_told_to_wait_once_and_its_latest_message_answered_after_the_pause(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url, messages__flood_pause_seconds=NO_TIMER)
    limit = bot.runtime.settings.messages.flood_limit_per_minute
    assert limit >= 60  # a person tapping numbered options never gets there
    for n in range(limit + 10):
        assert (
            bot.send(f"hola {n}", sender=FLOODER).status_code == 200
        )  # Twilio is never told to retry
        if n == limit + 2:
            assert bot.send("hola, necesito ayuda", sender=OTHER).status_code == 200
    flooder = bodies_to(twilio, FLOODER)
    notices = [b for b in flooder if "minuto" in b]
    assert len(notices) == 1 and notices[0].startswith("Recib")  # once, in the worker's language
    assert bodies_to(twilio, OTHER)
    assert _statuses(bot.runtime) == {"done": limit + 1, "throttled": 10}
    with bot.runtime.db.session() as session:
        kept = session.execute(
            select(InboundMessage.id, InboundMessage.body_enc).where(
                InboundMessage.status == "throttled"
            )
        ).all()
    assert all(body is not None for _, body in kept)  # nothing the worker wrote is lost

    # The pause ends: the latest message is answered, the others stay kept and unanswered.
    before = len(twilio.messages)
    assert inbox.after_flood(bot.runtime, kept[0].id) == 1
    assert bodies_to(twilio, FLOODER, before)
    assert _statuses(bot.runtime) == {"done": limit + 2, "throttled": 9}

    # A minute later the worker is heard message by message again.
    with bot.runtime.db.session() as session:
        session.execute(update(InboundMessage).values(received_at=utcnow() - timedelta(minutes=2)))
    before = len(twilio.messages)
    bot.send("menu", sender=FLOODER)
    assert bodies_to(twilio, FLOODER, before)


def test_stop_is_honoured_in_the_middle_of_a_flood(make_bot, sqlite_url, twilio):
    bot = make_bot(
        sqlite_url, messages__flood_limit_per_minute=3, messages__flood_pause_seconds=NO_TIMER
    )
    for n in range(5):
        bot.send(f"hello {n}", sender=FLOODER)
        bot.send(f"hola {n}", sender=OTHER)
    before = len(twilio.messages)
    bot.send("STOP", sender=FLOODER, OptOutType="STOP")  # Twilio's own keyword
    bot.send("alto", sender=OTHER)  # Puente's
    assert _statuses(bot.runtime)["done"] == 3 + 3 + 2
    with bot.runtime.db.session() as session:
        from bot.store.models import Conversation

        assert session.scalars(select(Conversation.opted_out).order_by(Conversation.id)).all() == [
            True,
            True,
        ]
    assert not bodies_to(twilio, FLOODER, before)  # Twilio confirmed STOP itself
    assert bodies_to(twilio, OTHER, before)  # Puente confirms its own keyword
