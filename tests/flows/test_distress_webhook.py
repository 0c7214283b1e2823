"""A worker who writes that they are sad, alone or worn out, through the signed webhook and the real
NLU and triage. Before, "me siento muy triste y solo extraño a mi familia" got "did you mean:
work permit / hours / housing"; now it is listened to, and a person to talk to is option 1."""

from __future__ import annotations

import pytest

from tests.flows.test_followups_webhook import GREETING, ask
from tests.support.sms import sms_text

WORKER = "+15195550178"


@pytest.mark.parametrize(
    ("language", "message", "province", "organization"),
    [
        ("es", "me siento muy triste y solo extraño a mi familia", "ontario", "FCJ"),
        ("tl", "sobrang lungkot ko dito miss ko na pamilya ko", "ontario", "FCJ"),
        ("en", "i feel so alone and sad i miss my kids", "ontario", "FCJ"),
    ],
)
def test_sadness_is_listened_to_and_a_person_is_the_first_option(
    make_bot, sqlite_url, language, message, province, organization
):
    bot = make_bot(sqlite_url)
    ask(bot, GREETING[language], WORKER)
    reply = ask(bot, message, WORKER)
    assert reply.startswith(sms_text(language, "distress.answer"))
    assert f"1. {sms_text(language, 'menu.option.agent')}" in reply
    assert sms_text(language, "clarify.ask") not in reply
    assert "911" not in reply and "988" not in reply  # sad is not in danger: no alarm
    ask(bot, "1", WORKER)
    handed = ask(bot, province, WORKER)
    assert sms_text(language, "agent.connecting")[:30] in handed
    assert organization in handed  # a person of the province's organization will write


def test_sadness_beside_a_work_problem_waits_until_the_problem_is_answered(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, GREETING["tl"], WORKER)
    ask(
        bot,
        "sobrang lungkot ko po dito miss ko na mga anak ko tapos di pa kami binabayaran ng overtime",
        WORKER,
    )
    answer = ask(bot, "ontario", WORKER)
    assert "1-800-531-5551" in answer  # the overtime, with Ontario's standards line
    assert f"1. {sms_text('tl', 'intent.distress')}" in answer
    assert ask(bot, "1", WORKER).startswith(sms_text("tl", "distress.answer"))


def test_worn_out_and_unsure_still_offers_how_the_worker_feels_first(make_bot, sqlite_url):
    """'I can't anymore, I don't sleep, I don't eat' named no topic surely: before, the guesses
    were the work permit, working sick and safety."""
    bot = make_bot(sqlite_url)
    ask(bot, GREETING["es"], WORKER)
    reply = ask(bot, "ya no puedo mas con este trabajo no duermo no como", WORKER)
    assert f"1. {sms_text('es', 'intent.distress')}" in reply
    assert "911" not in reply


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_a_crying_emoji_alone_is_listened_to_in_the_workers_language(
    make_bot, sqlite_url, language
):
    """Before, "😢😢" got "sorry, I didn't understand" and the menu."""
    bot = make_bot(sqlite_url)
    ask(bot, GREETING[language], WORKER)
    reply = ask(bot, "😢😢", WORKER)
    assert reply.startswith(sms_text(language, "distress.answer"))
    assert sms_text(language, "clarify.none") not in reply
    assert "911" not in reply
