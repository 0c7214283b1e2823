"""The safety triage in context, through the signed webhook and the real NLU and triage: an injury
leads to the province's workers' compensation line, a problem told with danger is kept as a
numbered option, and a question that names a province is answered, not taken for the province."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from tests.flows.test_followups_webhook import ask
from tests.support.sms import sms_text

WORKER = "+15195550177"


@pytest.mark.parametrize(("language", "injury", "province", "line"), [
    ("es", "me corte la mano y sangra mucho", "ontario", "1-800-387-0750"),  # WSIB
    ("tl", "nahulog ako sa hagdan", "bc", "1-888-967-5377"),  # WorkSafeBC
    ("en", "i cut my hand bad its bleeding", "manitoba", "1-855-954-4321"),  # WCB Manitoba
])
def test_an_injury_then_the_province_gets_that_provinces_compensation_line(
        make_bot, sqlite_url, language, injury, province, line):
    bot = make_bot(sqlite_url)
    first = ask(bot, injury, WORKER)
    assert "911" in first and first.startswith(sms_text(language, "triage.injury")[:50])
    assert sms_text(language, "province.ask")[:40] in first  # which board depends on the province
    answer = ask(bot, province, WORKER)
    assert line in answer
    assert sms_text(language, "topic.health.answer")[:40] not in answer  # not the health/insurance topic
    assert sms_text(language, "emergency.ask") not in answer  # nor the province noted and options again


@pytest.mark.parametrize(("language", "message", "documents"), [
    ("en", "my boss hit me and took my passport", "intent.ask_documents"),
    ("es", "el patron me pego y me quito el pasaporte", "intent.ask_documents"),
    ("tl", "sinaktan ako ng amo ko at kinuha ang passport ko", "intent.ask_documents"),
])
def test_a_passport_told_with_danger_is_offered_by_number_after_the_safety_reply(
        make_bot, sqlite_url, language, message, documents):
    bot = make_bot(sqlite_url)
    reply = ask(bot, message, WORKER)
    assert reply.startswith(sms_text(language, "triage.danger")[:50])
    tr = catalogs.translator(language)
    assert sms_text(language, "emergency.ask") in reply and f"1. {tr.gettext(documents)}" in reply
    assert "1-866-602-9448" in ask(bot, "1", WORKER)  # the documents answer: Service Canada's tip line


@pytest.mark.parametrize(("language", "message"), [
    ("en", "i have a fever and my boss says i must work im in manitoba"),
    ("es", "tengo fiebre y el patron dice que tengo que ir a trabajar, estoy en manitoba"),
])
def test_working_while_sick_with_a_province_named_is_answered_for_that_province(
        make_bot, sqlite_url, language, message):
    bot = make_bot(sqlite_url)
    answer = ask(bot, message, WORKER)
    assert sms_text(language, "topic.sick.answer", office_name="x", office_phone="y")[:40] in answer
    assert "1-800-821-4307" in answer  # Manitoba Employment Standards
    assert sms_text(language, "menu.main")[:30] not in answer  # not "noted: Manitoba" and the menu


@pytest.mark.parametrize(("language", "place", "message", "offered", "line"), [
    ("es", "estoy en bc", "la casa tiene chinches y ademas no me pagan el minimo", "intent.ask_wages", "$18.25"),
    ("en", "im in bc", "the bunkhouse has bed bugs and also they dont pay me minimum wage", "intent.ask_wages",
     "$18.25"),
])
def test_a_topic_with_its_own_next_steps_still_offers_the_other_problem_by_number(
        make_bot, sqlite_url, language, place, message, offered, line):
    """Housing ends with its own options (rent and deductions ...): the wage problem comes first."""
    bot = make_bot(sqlite_url)
    ask(bot, place, WORKER)
    answer = ask(bot, message, WORKER)
    tr = catalogs.translator(language)
    assert f"1. {tr.gettext(offered)}" in answer and sms_text(language, "topic.opt.deductions") in answer
    assert line in ask(bot, "1", WORKER)
