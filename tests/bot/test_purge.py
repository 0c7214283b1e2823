"""The purge job: message text past the retention period goes, and numbers nobody needs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.jobs import tasks
from bot.runtime import set_current
from bot.store.db import utcnow
from bot.store.models import DataKey, ErasedMessage, InboundMessage, NluReview, OutboxMessage

WORKER = "+15195550177"


def test_old_text_and_unneeded_numbers_are_purged_and_recent_ones_kept(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    bot.send("hola", sender=WORKER)
    bot.send("xyzzy plugh", sender=WORKER)  # not understood: a review-queue row
    bot.send("BORRAR", sender="+15195550178")
    bot.send("si", sender="+15195550178")
    bot.send(
        "no", sender="+15195550178"
    )  # erased: its goodbye has no conversation, its sids are kept
    twilio.wait_for_messages(5)
    long_ago = utcnow() - timedelta(days=40)
    with bot.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ErasedMessage)) == 3
        assert session.scalar(select(func.count()).select_from(NluReview)) == 1
        # The erasure's goodbye was wiped when sent; pretend one failed and kept its number.
        [goodbye] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.conversation_id.is_(None))
        ).all()
        goodbye_key = bot.runtime.envelope.key_of(goodbye.body_enc)
        goodbye.status = "failed"
        bot.runtime.envelope.put(session, goodbye_key, goodbye, "to_enc", "+15195550178")
        session.execute(update(InboundMessage).values(received_at=long_ago))
        session.execute(update(OutboxMessage).values(created_at=long_ago))
        session.execute(update(NluReview).values(created_at=long_ago))
        session.execute(update(ErasedMessage).values(erased_at=long_ago))
    bot.send("menu", sender=WORKER)  # recent: kept
    twilio.wait_for_messages(6)

    set_current(bot.runtime)
    counts = tasks.purge()

    assert counts["inbound"] == 2 and counts["review"] == 1 and counts["outbox"] >= 3
    with bot.runtime.db.session() as session:
        bodies = session.execute(select(InboundMessage.received_at, InboundMessage.body_enc)).all()
        assert [body is None for at, body in sorted(bodies)] == [True, True, False]
        old_out = session.scalars(
            select(OutboxMessage).where(OutboxMessage.created_at < utcnow() - timedelta(days=1))
        ).all()
        assert all(row.body_enc is None for row in old_out)
        assert [row.to_enc for row in old_out if row.conversation_id is None] == [""]
        assert (
            session.get(DataKey, goodbye_key) is None
        )  # the goodbye's own data key, destroyed with it
        assert all(
            row.to_enc for row in old_out if row.conversation_id is not None
        )  # still needed to reply
        assert session.scalar(select(func.count()).select_from(ErasedMessage)) == 0
        assert session.scalar(select(func.count()).select_from(NluReview)) == 0
