"""One number flooding the webhook stops being answered (messages.flood_limit_per_minute); everyone
else is still answered, and the flooder is answered again once the minute has passed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.db import utcnow
from bot.models import InboundMessage
from tests.security.probes import bodies_to

FLOODER, OTHER = "+15195550100", "+15195550111"


def _statuses(runtime) -> dict[str, int]:
    with runtime.db.session() as session:
        return dict(session.execute(select(InboundMessage.status, func.count(InboundMessage.id))
                                    .group_by(InboundMessage.status)).all())


def test_a_flood_from_one_number_is_throttled_while_another_worker_is_answered(make_bot, database_url, twilio):
    bot = make_bot(database_url)
    limit = bot.runtime.settings.messages.flood_limit_per_minute
    for n in range(limit + 10):
        assert bot.send(f"hola {n}", sender=FLOODER).status_code == 200  # Twilio is never told to retry
        if n == limit + 2:
            assert bot.send("hola, necesito ayuda", sender=OTHER).status_code == 200
    assert len(bodies_to(twilio, FLOODER)) == limit  # one reply each until the limit, then silence
    assert bodies_to(twilio, OTHER)
    assert _statuses(bot.runtime) == {"done": limit + 1, "throttled": 10}
    with bot.runtime.db.session() as session:
        # What was not answered is not kept either.
        bodies = session.scalars(select(InboundMessage.body_enc).where(InboundMessage.status == "throttled"))
        assert all(body is None for body in bodies)

    # A minute later the worker is heard again.
    with bot.runtime.db.session() as session:
        session.execute(update(InboundMessage).values(received_at=utcnow() - timedelta(minutes=2)))
    before = len(twilio.messages)
    bot.send("menu", sender=FLOODER)
    assert bodies_to(twilio, FLOODER, before)
