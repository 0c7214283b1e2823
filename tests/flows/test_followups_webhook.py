"""Follow-ups, through the signed webhook and the real NLU: after an answer, a message that only
names a province or a sector gets the same topic for it, and "what do I do?" gets the next step,
in Spanish, Tagalog and English, written the way workers text."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from bot.text.segments import transliterate_gsm7
from tests.support.sms import sms_text

WORKER = "+15195550123"
GREETING = {"es": "hola", "tl": "kumusta po", "en": "hello"}
WAGE_QUESTION = {
    "es": "cuanto es el salario minimo en ontario",
    "tl": "magkano po ang minimum wage sa ontario",
    "en": "whats the minimum wage in ontario",
}


MORE = {"es": "MAS", "tl": "PA", "en": "MORE"}


def ask(bot, text: str, sender: str = WORKER) -> str:
    """The whole reply to ``text``, following SMS paging (the worker's MORE) to its end."""
    start = len(bot.twilio.messages)
    assert bot.send(text, sender=sender).status_code == 200
    reply = "\n".join(m.body for m in bot.twilio.messages[start:] if m.to == sender)
    for language, word in MORE.items():
        if catalogs.translator(language).gettext("paging.more") in reply:
            return reply + "\n" + ask(bot, word, sender)
    return reply


def wage_answer(bot, language: str) -> str:
    ask(bot, GREETING[language])
    answer = ask(bot, WAGE_QUESTION[language])
    assert "$17.95" in answer  # Ontario
    return answer


@pytest.mark.parametrize(
    ("language", "follow_up", "rate", "province"),
    [
        ("es", "y en bc?", "$18.25", "BC"),
        ("en", "and manitoba?", "$16.40", "MB"),
        ("tl", "eh sa alberta po?", "$15.00", "AB"),
        ("es", "y en manitoba", "$16.40", "MB"),
        ("tl", "sa bc po", "$18.25", "BC"),
        ("en", "what about quebec", "$16.60", "QC"),
    ],
)
def test_a_province_alone_after_a_wage_answer_gets_that_provinces_wage(
    make_bot, sqlite_url, language, follow_up, rate, province
):
    bot = make_bot(sqlite_url)
    wage_answer(bot, language)
    answer = ask(bot, follow_up)
    tr = catalogs.translator(language)
    assert (
        rate in answer and transliterate_gsm7(tr.gettext(f"province.{province}".lower())) in answer
    )
    assert "$17.95" not in answer
    assert tr.gettext("reprompt.choice") not in answer  # not "please choose one of these"


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("es", "q hago"),
        ("en", "what do i do"),
        ("tl", "ano gagawin ko"),
        ("en", "is that legal?"),
    ],
)
def test_what_do_i_do_after_a_wage_answer_gets_the_office_for_unpaid_wages(
    make_bot, sqlite_url, language, question
):
    bot = make_bot(sqlite_url)
    wage_answer(bot, language)
    answer = ask(bot, question)
    tr = catalogs.translator(language)
    assert "1-800-531-5551" in answer  # Ontario's Employment Standards Information Centre
    assert tr.gettext("next.ask") in answer  # and the numbered next steps, never a dead end
    assert tr.gettext("menu.main") not in answer


@pytest.mark.parametrize(
    ("language", "question"), [("es", "que hago"), ("tl", "ano po gagawin ko"), ("en", "now what")]
)
def test_what_do_i_do_with_no_answer_before_gets_the_tip_line_and_next_steps(
    make_bot, sqlite_url, language, question
):
    bot = make_bot(sqlite_url)
    ask(bot, GREETING[language])
    answer = ask(bot, question)
    tr = catalogs.translator(language)
    assert "1-866-602-9448" in answer and tr.gettext("next.ask") in answer


@pytest.mark.parametrize(
    ("language", "message"),
    [("es", "estoy en ontario"), ("en", "im in ontario"), ("tl", "nasa ontario ako")],
)
def test_a_province_with_no_question_is_noted_and_leads_to_the_menu(
    make_bot, sqlite_url, language, message
):
    bot = make_bot(sqlite_url)
    ask(bot, GREETING[language])
    answer = ask(bot, message)
    tr = catalogs.translator(language)
    assert tr.gettext("followup.province_noted", province={"msgid": "province.on"}) in answer
    assert tr.gettext("menu.main") in answer and "911" not in answer


@pytest.mark.parametrize(
    ("language", "danger", "place"),
    [
        (
            "en",
            "boss keeps us locked in the bunkhouse at nite and we cant leave",
            "what about manitoba",
        ),
        ("tl", "sinuntok ako ng amo ko kahapon", "eh sa alberta po?"),
        ("es", "el mayordomo me dio una cachetada", "y en bc?"),
    ],
)
def test_a_province_after_a_safety_reply_keeps_the_safety_options(
    make_bot, sqlite_url, language, danger, place
):
    """The worker names where they are: the organization/person/report options stand, not the menu."""
    bot = make_bot(sqlite_url)
    ask(bot, GREETING[language])
    ask(bot, danger)
    answer = ask(bot, place)
    tr = catalogs.translator(language)
    assert transliterate_gsm7(tr.gettext("emergency.ask")) in answer
    assert transliterate_gsm7(tr.gettext("menu.main")) not in answer


@pytest.mark.parametrize(
    ("language", "question", "place", "province"),
    [
        (
            "tl",
            "kinuha ng employer ko yung passport ko, pwede ba yun?",
            "nasa alberta po ako",
            "ab",
        ),
        ("es", "mi patron me quito el pasaporte, puede hacer eso?", "estoy en bc", "bc"),
        ("en", "my boss took my passport is that allowed", "im in manitoba", "mb"),
    ],
)
def test_a_province_after_an_answer_that_does_not_depend_on_it_is_noted_not_repeated(
    make_bot, sqlite_url, language, question, place, province
):
    bot = make_bot(sqlite_url)
    assert "1-866-602-9448" in ask(
        bot, question
    )  # Service Canada's tip line, in the passport answer
    answer = ask(bot, place)
    tr = catalogs.translator(language)
    noted = tr.gettext("followup.province_noted", province={"msgid": f"province.{province}"})
    assert transliterate_gsm7(noted) in answer
    assert "1-866-602-9448" not in answer  # the same answer is not sent again
    assert transliterate_gsm7(tr.gettext("next.ask")) in answer  # the next steps stand


@pytest.mark.parametrize(
    ("language", "greeting", "report", "province", "name"),
    [
        (
            "tl",
            "hello po",
            "ang employer ko hindi nagbabayad ng tamang sahod tapos sinisigawan ako araw araw,"
            " natatakot ako mawalan ng trabaho",
            "bc",
            "British Columbia",
        ),
        (
            "es",
            "hola",
            "quiero reportar a mi patron, no nos paga las horas extras",
            "ontario",
            "Ontario",
        ),
        (
            "en",
            "hi",
            "i want to report my employer, he doesnt pay overtime",
            "manitoba",
            "Manitoba",
        ),
    ],
)
def test_a_province_typed_at_a_report_question_is_noted_and_the_question_asked_again(
    make_bot, sqlite_url, language, greeting, report, province, name
):
    """Before, "bc" at "are you in danger now?" got "reply 1 for yes or 2 for no", as if nothing
    had been said; the province was kept without a word."""
    bot = make_bot(sqlite_url)
    ask(bot, greeting, WORKER)
    assert sms_text(language, "report.ask.danger") in ask(bot, report, WORKER)
    again = ask(bot, province, WORKER)
    assert again.startswith(sms_text(language, "followup.province_noted", province=name))
    assert sms_text(language, "report.ask.danger") in again
    assert sms_text(language, "reprompt.yesno")[:20] not in again
