"""Twilio's copies (issue 22, item 2; item 6's SIDs): every message is deleted at Twilio once Puente
needs it no more, through the real ``twilio`` library against the local Twilio-compatible server
(which records each DELETE), and only a keyed hash of each SID stays in the database."""

from __future__ import annotations

from sqlalchemy import select

from bot.conversation import inbox
from bot.store.models import OutboxMessage, TwilioDeletion
from tests.conftest import PUBLIC_URL
from tests.reports.test_reports_db import _dump
from tests.support.services import wait_until
from tests.support.webhooks import signed_webhook_post

WORKER = "+15195550144"
NOW = {"twilio__delete_wait_seconds": 0}


def _deleted(twilio) -> set[str]:
    return {d.sid for d in twilio.deletions if d.media_sid is None and d.status_code == 204}


def _status(bot, sid: str, status: str) -> None:
    """Twilio's status callback for one of the bot's messages, signed as Twilio signs it."""
    form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": bot.twilio.account_sid}
    response = signed_webhook_post(
        bot.client, "/webhooks/twilio/status", form, bot.twilio.auth_token, PUBLIC_URL
    )
    assert response.status_code == 204


def test_a_handled_message_and_a_delivered_reply_are_deleted_at_twilio(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url, **NOW)
    bot.send("hola", sender=WORKER, sid="SM" + "a" * 32)
    wait_until(lambda: "SM" + "a" * 32 in _deleted(twilio), 10, "the inbound message's DELETE")
    assert not twilio.holds("SM" + "a" * 32)

    [reply] = twilio.wait_for_messages(1)
    assert reply.sid not in _deleted(twilio)  # not final yet as far as Puente knows
    _status(bot, reply.sid, "delivered")
    wait_until(lambda: reply.sid in _deleted(twilio), 10, "the reply's DELETE once delivered")
    with bot.runtime.db.session() as session:
        assert session.scalars(select(TwilioDeletion)).all() == []  # done: nothing left to delete
    dump = _dump(database_url)
    assert "SM" + "a" * 32 not in dump and reply.sid not in dump  # only keyed hashes
    assert bot.runtime.vault.sid_hash(reply.sid) in dump


def test_a_deletion_twilio_refuses_for_now_is_retried_and_never_holds_up_a_reply(
    make_bot, sqlite_url, twilio
):
    bot = make_bot(sqlite_url, **NOW)
    twilio.hold_deliveries(True)  # replies stay queued at Twilio: not deletable yet (20009)
    bot.send("hola", sender=WORKER)
    [reply] = twilio.wait_for_messages(1)
    _status(bot, reply.sid, "failed")  # as if final; Twilio still says no
    wait_until(
        lambda: any(d.sid == reply.sid and d.status_code == 409 for d in twilio.deletions),
        10,
        "a refused DELETE",
    )
    twilio.fail_next(1, status=503)
    bot.send("menu", sender=WORKER)  # the next reply goes out whatever the deletions do
    twilio.wait_for_messages(2)
    twilio.hold_deliveries(False)
    with twilio._lock:  # Twilio finishes the message meanwhile
        twilio._by_sid[reply.sid].status = "failed"
    wait_until(lambda: reply.sid in _deleted(twilio), 15, "the DELETE retried until accepted")


def test_erasing_deletes_every_message_of_the_conversation_at_twilio(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)  # the usual wait: nothing would be deleted yet but for the erasure
    sids = ["SM" + c * 32 for c in "bcdef"]
    for sid, text in zip(
        sids, ["hola", "menu", "BORRAR", "si", "no"], strict=True
    ):  # erase, keep reports
        bot.send(text, sender=WORKER, sid=sid)
    replies = twilio.wait_for_messages(5)
    wait_until(lambda: set(sids) <= _deleted(twilio), 10, "the DELETE of every inbound message")
    # The replies sent before the erasure too (the last one, the goodbye, once final as any other).
    wait_until(
        lambda: {r.sid for r in replies[:-1]} <= _deleted(twilio), 10, "the replies' DELETEs"
    )
    with bot.runtime.db.session() as session:
        assert (
            session.scalar(
                select(TwilioDeletion.id).where(TwilioDeletion.conversation_id.is_not(None))
            )
            is None
        )


def test_deletion_can_be_turned_off(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url, twilio__delete_after_handling=False, **NOW)
    bot.send("hola", sender=WORKER)
    [reply] = twilio.wait_for_messages(1)
    _status(bot, reply.sid, "delivered")
    inbox.redrive(bot.runtime)
    assert twilio.deletions == []
    with bot.runtime.db.session() as session:
        assert session.scalar(select(OutboxMessage.twilio_sid)) == bot.runtime.vault.sid_hash(
            reply.sid
        )
