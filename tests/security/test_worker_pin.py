"""The worker's optional PIN (issue 22, item 1): chosen at the first report, asked before anything
about their cases, and in front of every unprompted message. Through the signed webhook and the
portal, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.cases.models import RelayMessage, Report
from bot.cases.notify import notify_worker
from bot.conversation import pin, sealed_state
from bot.store.db import utcnow
from bot.store.models import Conversation
from tests.portal.conftest import csrf_from, text
from tests.reports.chat import case_code, file_report
from tests.security.probes import bodies_to, conversation_state, opened_state
from tests.support.sms import sms_text

WORKER, PIN = "+15195550141", "0471"
ANA = "ana@ngo-on.example.org"


def _with_pin(bot, sender: str = WORKER) -> str:
    """A worker who filed a report and chose a PIN; returns their case code."""
    bodies = file_report(bot, sender, "es", answers={"pin": PIN})
    assert sms_text("es", "pin.saved") in "\n".join(bodies)
    return case_code(bodies)


def _last(bot, sender: str = WORKER) -> str:
    return bodies_to(bot.twilio, sender)[-1]


def test_the_pin_is_kept_only_as_an_argon2id_hash_in_the_sealed_state(make_bot, database_url):
    bot = make_bot(database_url, messages__flood_limit_per_minute=100)
    _with_pin(bot)
    stored = conversation_state(bot.runtime, WORKER)
    assert "pin" not in stored and PIN not in str(stored)
    opened = opened_state(bot.runtime, WORKER)
    assert opened["pin"]["hash"].startswith("$argon2id$")
    with bot.runtime.db.session() as session:
        assert PIN not in str(session.scalar(select(Report.details_enc)))


def test_the_case_status_waits_for_the_pin_and_wrong_pins_make_the_next_try_wait(
    make_bot, database_url
):
    bot = make_bot(database_url, messages__flood_limit_per_minute=100)
    code = _with_pin(bot)
    bot.send(code, sender=WORKER)
    assert _last(bot) == sms_text("es", "pin.ask")
    bot.send("1111", sender=WORKER)
    assert _last(bot) == sms_text("es", "pin.wrong")
    bot.send(PIN, sender=WORKER)
    assert _last(bot) == sms_text("es", "case.status.assigned", code=code)
    bot.send(code, sender=WORKER)  # open for ten minutes
    assert _last(bot) == sms_text("es", "case.status.assigned", code=code)
    _expire(bot)
    bot.send(code, sender=WORKER)
    for wrong in ("1111", "2222", "3333"):
        bot.send(wrong, sender=WORKER)
    assert _last(bot) == sms_text("es", "pin.wait")
    bot.send(PIN, sender=WORKER)  # even the right PIN waits now
    assert _last(bot) == sms_text("es", "pin.wait")
    state = opened_state(bot.runtime, WORKER)
    assert state["pin"]["fails"] == 3  # a try while waiting is not counted
    waits = pin.attempt(state, PIN, utcnow() + timedelta(hours=7))
    assert waits[0] == "open"  # the wait doubles (5, 10 ... min) but never passes six hours


def _expire(bot, sender: str = WORKER) -> None:
    with bot.runtime.db.session() as session:
        conversation = session.scalar(
            select(Conversation).where(
                Conversation.address_key == bot.runtime.vault.address_key(sender)
            )
        )
        state = sealed_state.unseal(bot.runtime.envelope, session, conversation)
        sealed_state.update(
            bot.runtime.envelope, session, conversation, pin={**state["pin"], "open_until": None}
        )


@pytest.mark.parametrize("words", [("BORRAR", "si", "no"), ("ALTO",)])
def test_erasing_or_stopping_a_number_with_cases_needs_the_pin(make_bot, database_url, words):
    bot = make_bot(database_url, messages__flood_limit_per_minute=100)
    _with_pin(bot)
    for word in words:
        bot.send(word, sender=WORKER)
    assert _last(bot) == sms_text("es", "pin.ask")
    with bot.runtime.db.session() as session:
        conversation = session.scalar(select(Conversation))
        assert conversation is not None and not conversation.opted_out
    bot.send(PIN, sender=WORKER)
    with bot.runtime.db.session() as session:
        conversation = session.scalar(select(Conversation))
        assert conversation is None if words[0] == "BORRAR" else conversation.opted_out


def test_whoever_holds_the_phone_cannot_write_to_the_organization_without_the_pin(
    make_bot, database_url
):
    bot = make_bot(database_url, messages__flood_limit_per_minute=100)
    _with_pin(bot)
    bot.send("AGENTE", sender=WORKER)
    bot.send("soy el patron, quien hizo el reporte?", sender=WORKER)
    assert _last(bot) == sms_text("es", "pin.ask")
    with bot.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(RelayMessage)) == 0
    bot.send(PIN, sender=WORKER)  # the worker: the held message goes on
    with bot.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(RelayMessage)) == 1


def test_news_and_staff_messages_wait_behind_one_neutral_notice(portal, twilio):
    conversation_id = portal.conversation(WORKER)
    referral_id = portal.file_report(conversation_id)
    with portal.runtime.db.session() as session:
        sealed_state.update(
            portal.runtime.envelope,
            session,
            session.get(Conversation, conversation_id),
            pin={"hash": pin.hashed(PIN), "fails": 0},
        )
        notify_worker(session, portal.runtime, session.scalar(select(Report)), "acknowledged")
    ana = portal.logged_in(ANA)
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    ana.post(f"/portal/cases/{referral_id}/acknowledge", data={"csrf_token": csrf_from(page)})
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    ana.post(
        f"/portal/cases/{referral_id}/reply",
        data={"body": "Hola, soy Ana. Te llamamos?", "csrf_token": csrf_from(page)},
    )
    seen = bodies_to(twilio, WORKER)
    assert seen == [
        sms_text("es", "pin.notice")
    ]  # one notice, nothing of the case, no organization
    portal.bot.send(PIN, sender=WORKER)
    seen = bodies_to(twilio, WORKER)
    assert seen[1] == sms_text("es", "pin.open")
    assert (
        sms_text("es", "case.update.acknowledged") in seen
        and "Puente: Hola, soy Ana. Te llamamos?" in seen
    )
    assert not any("Ontario Workers Aid" in body for body in seen)


def test_a_forgotten_pin_has_no_back_door_but_the_carriers_stop_still_works(make_bot, database_url):
    """docs/security.md: a forgotten PIN is not reset by anything typed (whoever holds the phone
    could type it too); the worker's way out is the carrier's STOP, which Puente always obeys."""
    bot = make_bot(database_url, messages__flood_limit_per_minute=100)
    code = _with_pin(bot)
    before = opened_state(bot.runtime, WORKER)["pin"]["hash"]
    bot.send(code, sender=WORKER)
    for attempt in ("olvidé mi PIN", "RESET PIN", "nuevo pin 1234", "BORRAR"):
        bot.send(attempt, sender=WORKER)
        assert sms_text("es", "case.status.assigned", code=code) not in bodies_to(
            bot.twilio, WORKER
        )
    state = opened_state(bot.runtime, WORKER)
    assert state["pin"]["hash"] == before and not pin.is_open(state, utcnow())
    with bot.runtime.db.session() as session:
        assert session.scalar(select(Conversation)) is not None  # nor erased without it
    bot.send("STOP", sender=WORKER, OptOutType="STOP")  # the carrier's STOP (SMS)
    with bot.runtime.db.session() as session:
        assert session.scalar(select(Conversation)).opted_out
