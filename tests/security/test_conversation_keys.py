"""Envelope encryption of conversations (issue 22, item 11): a data key per conversation.

Against someone holding a copy of the database and the master key: each worker's number, state,
messages and replies are sealed under their conversation's own data key and bound to their table,
column and row, so a token moved elsewhere does not open; erasing the conversation destroys its
key, so a leftover copy of its rows stays closed; rotating the master key leaves every
conversation readable, and the migration converts conversations stored under the one secret key.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot.conversation import sealed_state
from bot.errors import ConfigError
from bot.jobs import tasks
from bot.runtime import Runtime, set_current
from bot.store import migrate
from bot.store.db import utcnow
from bot.store.envelope import KeyDestroyed
from bot.store.keys_cli import rotate
from bot.store.models import Conversation, DataKey, InboundMessage, NluReview, OutboxMessage
from tests.reports.chat import ANSWERS, GREETING, MAIN_MENU, REPORT_OPTION, pending_step
from tests.support.sms import sms_text

ANA, BEN = "+15195550171", "+15195550172"


def _chat(bot, sender: str) -> None:
    """Start a report and answer its first questions: the state then holds sealed answers."""
    bot.send(GREETING["es"], sender=sender)
    if pending_step(bot, sender) != ("menu", "main"):
        bot.send(MAIN_MENU, sender=sender)
    bot.send(REPORT_OPTION, sender=sender)
    for _ in range(3):
        flow, step = pending_step(bot, sender)
        assert flow == "report"
        bot.send(ANSWERS["es"][step], sender=sender)


def _rows(
    session, runtime, sender: str
) -> tuple[Conversation, list[InboundMessage], list[OutboxMessage]]:
    conversation = session.scalar(
        select(Conversation).where(Conversation.address_key == runtime.vault.address_key(sender))
    )
    inbound = session.scalars(
        select(InboundMessage)
        .where(InboundMessage.conversation_id == conversation.id)
        .order_by(InboundMessage.id)
    ).all()
    outbox = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.conversation_id == conversation.id)
        .order_by(OutboxMessage.id)
    ).all()
    return conversation, inbound, outbox


def _state_tokens(state: dict) -> list[str]:
    return [holder[name] for holder, name in sealed_state.tokens(state)]


def _readable(runtime: Runtime, sender: str) -> dict[str, object]:
    """Everything encrypted about one worker's conversation, opened by this runtime's keys."""
    envelope = runtime.envelope
    with runtime.db.session() as session:
        conversation, inbound, outbox = _rows(session, runtime, sender)
        return {
            "address": envelope.get(session, conversation, "address_enc"),
            "said": [envelope.get(session, row, "body_enc") for row in inbound],
            "answered": [envelope.get(session, row, "body_enc") for row in outbox],
            "to": {envelope.get(session, row, "to_enc") for row in outbox},
            "state": sealed_state.unseal(envelope, session, conversation),
        }


def test_each_conversation_is_sealed_under_a_data_key_of_its_own(make_bot, database_url):
    bot = make_bot(database_url)
    _chat(bot, ANA)
    _chat(bot, BEN)
    envelope = bot.runtime.envelope
    with bot.runtime.db.session() as session:
        keys = {}
        for sender in (ANA, BEN):
            conversation, inbound, outbox = _rows(session, bot.runtime, sender)
            tokens = [
                conversation.address_enc,
                *_state_tokens(conversation.state),
                *(row.body_enc for row in inbound),
                *(row.to_enc for row in outbox),
                *(row.body_enc for row in outbox),
            ]
            assert len(tokens) > 10 and sender not in str(tokens)
            assert {envelope.key_of(token) for token in tokens} == {conversation.data_key_id}
            keys[sender] = conversation.data_key_id
        assert keys[ANA] != keys[BEN]
        assert set(session.scalars(select(DataKey.scope).where(DataKey.id.in_(keys.values())))) == {
            "conversation"
        }
    ana = _readable(bot.runtime, ANA)
    assert ana["address"] == ANA and ana["to"] == {ANA} and ana["said"][0] == GREETING["es"]
    assert ana["state"]["flow"] == "report" and ana["state"]["slots"]


def test_a_conversation_token_copied_to_another_row_or_column_does_not_decrypt(
    make_bot, database_url
):
    bot = make_bot(database_url)
    _chat(bot, ANA)
    _chat(bot, BEN)
    envelope = bot.runtime.envelope
    with bot.runtime.db.session() as session:
        ana, ana_in, ana_out = _rows(session, bot.runtime, ANA)
        ben, ben_in, ben_out = _rows(session, bot.runtime, BEN)
        greeting, state = ana_in[0].body_enc, ana.state
        ana_in[1].body_enc = greeting  # another message of the same conversation (same data key)
        ana_in[2].button_enc = greeting  # another column of the same row
        ben_in[0].body_enc = greeting  # the same column of another worker's message
        ana_out[0].to_enc = ana.address_enc  # the worker's number, moved to their outbox
        ben.state = state  # Ana's sealed answers in Ben's state
        session.flush()
        with pytest.raises(ValueError, match="sealed for another place"):
            envelope.get(session, ana_in[1], "body_enc")
        with pytest.raises(ValueError, match="inbound_messages.button_enc of row"):
            envelope.get(session, ana_in[2], "button_enc")
        with pytest.raises(ValueError, match="inbound_messages.body_enc of row"):
            envelope.get(session, ben_in[0], "body_enc")
        with pytest.raises(ValueError, match="outbox.to_enc of row"):
            envelope.get(session, ana_out[0], "to_enc")
        with pytest.raises(ValueError, match="conversations.state of row"):
            sealed_state.unseal(envelope, session, ben)
        assert envelope.get(session, ana_in[0], "body_enc") == GREETING["es"]  # where it was sealed
        session.rollback()


def test_erasing_a_conversation_destroys_its_data_key(make_bot, database_url, twilio):
    bot = make_bot(database_url)
    _chat(bot, ANA)
    _chat(bot, BEN)
    with bot.runtime.db.session() as session:
        conversation, inbound, outbox = _rows(session, bot.runtime, ANA)
        key_id, conversation_id = conversation.data_key_id, conversation.id
        # A copy of the rows, as a backup or a page of the database file not yet reused keeps them.
        copies = [
            ("conversations.address_enc", conversation_id, conversation.address_enc),
            ("conversations.state", conversation_id, _state_tokens(conversation.state)[0]),
            ("inbound_messages.body_enc", inbound[0].message_sid, inbound[0].body_enc),
            ("outbox.body_enc", outbox[0].id, outbox[0].body_enc),
        ]
    for word in ("BORRAR", "si", "no"):
        bot.send(word, sender=ANA)
    with bot.runtime.db.session() as session:
        assert session.get(Conversation, conversation_id) is None
        assert session.get(DataKey, key_id) is None
        for place, row, token in copies:  # not even the process that held the key opens them now
            with pytest.raises(KeyDestroyed):
                bot.runtime.envelope.open(session, place, row, token)
    fresh = Runtime.build(bot.runtime.settings)  # the master key, and no cached data key
    try:
        with fresh.db.session() as session:
            for place, row, token in copies:
                with pytest.raises(KeyDestroyed):
                    fresh.envelope.open(session, place, row, token)
    finally:
        fresh.close()
    assert (
        _readable(bot.runtime, BEN)["address"] == BEN
    )  # the other worker's conversation is untouched


def test_rotating_the_master_key_rewraps_conversation_keys_and_every_conversation_reads_the_same(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    _chat(bot, ANA)
    _chat(bot, BEN)
    before = {sender: _readable(bot.runtime, sender) for sender in (ANA, BEN)}
    first = bot.runtime.envelope.keyring.current

    rewrapped, retired, current = rotate(bot.runtime)

    assert (rewrapped, retired) == (2, [first])
    with bot.runtime.db.session() as session:
        assert session.scalars(select(DataKey.master_key_id)).all() == [current, current]
    fresh = Runtime.build(bot.runtime.settings)  # another process, which reads the key file
    try:
        assert {sender: _readable(fresh, sender) for sender in (ANA, BEN)} == before
    finally:
        fresh.close()
    seen = len(twilio.messages)
    bot.send("menu", sender=ANA)  # the conversation goes on, under its rewrapped key
    assert [m.body for m in twilio.messages[seen:] if m.to == ANA][0].startswith(
        sms_text("es", "menu.main")
    )


def test_the_migration_converts_stored_conversations_both_ways(
    make_bot, database_url, twilio, monkeypatch
):
    bot = make_bot(database_url)
    _chat(bot, ANA)
    for word in ("BORRAR", "si", "no"):  # an erasure's goodbye: an outbox row to no conversation
        bot.send(word, sender=BEN)
    before = _readable(bot.runtime, ANA)
    settings, vault = bot.runtime.settings, bot.runtime.vault
    monkeypatch.delenv("PUENTE_SECRET_KEY", raising=False)
    with pytest.raises(
        ConfigError, match="PUENTE_SECRET_KEY"
    ):  # conversations exist: the key is needed
        migrate.downgrade(database_url, "0013")
    migrate.downgrade(database_url, "0013", settings)  # back to tokens under the one secret key
    with bot.runtime.db.session() as session:
        address = session.execute(text("SELECT address_enc FROM conversations")).scalar_one()
        goodbye = session.execute(
            text("SELECT body_enc FROM outbox WHERE conversation_id IS NULL")
        ).scalar_one()
        assert session.scalar(select(func.count()).select_from(DataKey)) == 0
    assert vault.decrypt(address) == ANA and vault.decrypt(goodbye)
    with bot.runtime.db.session() as session:  # kept for annotators before reviews were linked
        session.add(
            NluReview(
                text_enc=vault.encrypt("xyzzy plugh"),
                intent="nlu_fallback",
                confidence=0.1,
                created_at=utcnow() - timedelta(days=400),
            )
        )

    migrate.upgrade(
        database_url, settings=settings
    )  # and up: each conversation under its own key again

    fresh = Runtime.build(settings)
    try:
        assert _readable(fresh, ANA) == before
        with fresh.db.session() as session:
            goodbye = session.scalar(
                select(OutboxMessage).where(OutboxMessage.conversation_id.is_(None))
            )
            assert fresh.envelope.get(session, goodbye, "body_enc")
            review = session.scalar(select(NluReview))
            assert fresh.envelope.get(session, review, "text_enc") == "xyzzy plugh"
            scopes = session.execute(
                select(DataKey.scope, func.count()).group_by(DataKey.scope)
            ).all()
        assert sorted(scopes) == [
            ("conversation", 1),
            ("message", 2),
        ]  # the goodbye's, the review's
        set_current(fresh)
        tasks.purge()  # the review is past its retention: its key goes with it
        with fresh.db.session() as session:
            assert session.get(DataKey, fresh.envelope.key_of(review.text_enc)) is None
    finally:
        fresh.close()
    step = pending_step(bot, ANA)[1]
    seen = len(twilio.messages)
    bot.send(ANSWERS["es"][step], sender=ANA)  # the worker's report goes on where it stopped
    assert pending_step(bot, ANA)[1] != step and [m for m in twilio.messages[seen:] if m.to == ANA]
