"""A work question shared/facts does not cover (taxes, EI, a SIN, the pension) is not answered
with a guess or with the nearest rights topic: the worker is told where to ask, one number away,
through the signed webhook and the real NLU, in es, tl and en."""

from __future__ import annotations

import re

import pytest

from bot.text import catalogs
from tests.flows.test_followups_webhook import ask
from tests.support.sms import sms_text

WORKER = "+15195550177"


@pytest.mark.parametrize(
    ("language", "greeting", "question", "province"),
    [
        ("es", "hola", "tengo q pagar impuestos aqui en canada?", "ontario"),
        ("tl", "gud pm po", "pano po makuha tax refund ko pag uwi ko ng pinas", "ontario po"),
        ("en", "hi", "how do i apply for EI when my contract ends", "ontario"),
    ],
)
def test_a_question_without_facts_says_where_to_ask_and_leads_to_an_organization(
    make_bot, sqlite_url, language, greeting, question, province
):
    bot = make_bot(sqlite_url)
    tr = catalogs.translator(language)
    ask(bot, greeting, WORKER)
    answer = ask(bot, question, WORKER)
    assert sms_text(language, "out_of_scope.answer") in answer
    assert f"1. {sms_text(language, 'menu.option.ngo')}" in answer
    # Nothing is stated: no amount, rate or phone line that would read as an answer.
    assert not re.search(r"\$|\d{3}-\d{4}|\d+\.\d+", answer)
    assert tr.gettext("next.ask") not in answer  # not a rights answer's next steps

    asked_where = ask(bot, "1", WORKER)
    assert asked_where.strip()  # finding an organization asks where the worker is
    listed = ask(bot, province, WORKER)
    assert sms_text(language, "ngo.found") in listed


@pytest.mark.parametrize(
    ("language", "place", "message", "answered"),
    [
        (
            "en",
            "im in ontario",
            "they dont pay overtime and how do i apply for ei",
            "1-800-531-5551",
        ),
        ("tl", "nasa ontario ako", "kulang po sahod ko tapos paano po mag file ng tax", "$17.95"),
    ],
)
def test_beside_a_complaint_the_question_without_facts_is_offered_after_the_answer(
    make_bot, sqlite_url, language, place, message, answered
):
    bot = make_bot(sqlite_url)
    ask(bot, place, WORKER)
    answer = ask(bot, message, WORKER)
    assert answered in answer  # the complaint is answered first, with Ontario's facts
    assert sms_text(language, "out_of_scope.answer") not in answer
    assert f"1. {sms_text(language, 'intent.out_of_scope')}" in answer
    assert sms_text(language, "out_of_scope.answer") in ask(bot, "1", WORKER)
