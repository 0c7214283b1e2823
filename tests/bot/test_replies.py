"""Replies a worker can use, through the signed webhook and the real Twilio client: the answer
first, every SMS within its segment budget and in GSM-7, questions short, the province typed."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from bot.text.segments import count_segments, is_gsm7
from tests.security.probes import bodies_to

WORKER = "+15195550123"
FIRST_QUESTIONS = {
    "es": ("mi patron me quito el pasaporte, puede hacer eso?", "pasaporte"),
    "tl": ("kinuha ng amo ko ang passport ko, pwede ba yun?", "passport"),
    "en": ("my employer took my passport, is that allowed?", "passport"),
}
WAGE_QUESTIONS = {
    "es": ("cuanto me tienen que pagar por hora", "estoy en leamington", "Ontario"),
    "tl": ("magkano ang minimum wage kada oras", "nasa calgary ako", "Alberta"),
    "en": ("how much should I be paid per hour", "i work in kelowna", "British Columbia"),
}


def sent_after(bot, twilio, text: str, since: int | None = None) -> list[str]:
    before = len(twilio.messages) if since is None else since
    assert bot.send(text, sender=WORKER).status_code == 200
    return bodies_to(twilio, WORKER, before)


def tr(language: str, msgid: str) -> str:
    return catalogs.translator(language).gettext(msgid)


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_a_first_question_gets_its_answer_in_the_first_sms_with_one_intro_line(
    make_bot, sqlite_url, twilio, language
):
    bot = make_bot(sqlite_url)
    question, word = FIRST_QUESTIONS[language]
    messages = sent_after(bot, twilio, question)
    first = messages[0]
    assert word in first.lower() and "1-866-602-9448" in first  # the answer itself, not a welcome
    intro = [line for m in messages for line in m.splitlines() if line.startswith("Puente:")]
    assert len(intro) == 1 and len(intro[0]) <= 80  # one short line of introduction
    more = tr(language, "paging.more")
    assert not any(more in m for m in messages)  # nothing hidden behind MORE
    assert all(is_gsm7(m) and count_segments(m) <= 3 for m in messages)
    (question,) = [part for m in messages for part in m.split("\n\n") if "\n1. " in part]
    assert count_segments(question) <= 2


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_a_greeting_alone_gets_the_intro_and_the_menu_in_one_message(
    make_bot, sqlite_url, twilio, language
):
    bot = make_bot(sqlite_url)
    greeting = {"es": "hola", "tl": "kumusta po", "en": "hi"}[language]
    (message,) = sent_after(bot, twilio, greeting)
    assert message.startswith("Puente:") and "\n1. " in message
    assert count_segments(message) <= 2


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_the_province_is_asked_as_one_short_free_text_question_and_a_town_answers_it(
    make_bot, sqlite_url, twilio, language
):
    bot = make_bot(sqlite_url)
    question, town, province = WAGE_QUESTIONS[language]
    asked = sent_after(bot, twilio, question)
    ask = asked[-1].split("\n\n")[-1]
    assert ask.startswith(tr(language, "province.ask")[:12])
    assert "\n1." not in ask and count_segments(ask) <= 2  # no 13-item list over several SMS
    answer = sent_after(bot, twilio, town)
    assert province in answer[0]  # the wage of the town's province
    assert all(count_segments(m) <= 3 for m in answer)


def test_an_answer_that_does_not_depend_on_the_province_does_not_ask_it(
    make_bot, sqlite_url, twilio
):
    bot = make_bot(sqlite_url)
    sent_after(bot, twilio, "hola")
    messages = sent_after(bot, twilio, "me quitaron el pasaporte")
    assert "1-866-602-9448" in messages[0]
    assert not any(tr("es", "province.ask")[:20] in m for m in messages)


def test_on_whatsapp_the_province_question_also_lists_the_provinces(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    sender = "whatsapp:" + WORKER
    bot.send("cuanto me tienen que pagar por hora", sender=sender)
    (message,) = bodies_to(twilio, sender)
    assert "\n1. Ontario" in message
    before = len(twilio.messages)
    bot.send("1", sender=sender)
    assert "Ontario" in bodies_to(twilio, sender, before)[0]
