"""What a worker types at a report's questions that is not the answer, through the signed webhook
and the real NLU, in Spanish, Tagalog and English: a province alone at the employer's question,
another problem at the sector's, "ok thanks" before the report is sent."""

from __future__ import annotations

import pytest

from tests.flows.test_followups_webhook import GREETING, ask
from tests.support.sms import sms_text

REPORT = {
    "es": "el jefe nos grita y nos dice q nos va a deportar si nos quejamos",
    "tl": "sinisigawan kami ng amo namin at sabi nya ipapadeport kami pag nagreklamo",
    "en": "the boss yells at us and says he will deport us if we complain",
}
#: A province alone, as typed at "the employer's name and town?".
PROVINCE = {
    "es": ("manitoba", "Manitoba"),
    "tl": ("sa alberta po", "Alberta"),
    "en": ("ontario", "Ontario"),
}
#: Another problem, told at "what kind of work?" (a question that also takes typed words).
MORE = {
    "es": "y tambien no nos pagan las horas extras",
    "tl": "tapos hindi rin binabayaran ang overtime namin",
    "en": "and they dont pay our overtime either",
}
THANKS = {"es": "ok gracias", "tl": "sige salamat po", "en": "ok thanks"}


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_what_a_report_question_is_told_instead_of_its_answer_is_kept_and_the_question_asked_again(
    make_bot, sqlite_url, language
):
    """Before, "manitoba" became the employer ("Employer: manitoba"), the overtime complaint became
    the kind of work, and "ok thanks" at "shall we send it?" got "write anytime" with the report
    unsent and nothing said of it."""
    bot = make_bot(sqlite_url)
    ask(bot, GREETING[language])
    assert sms_text(language, "report.ask.danger") in ask(bot, REPORT[language])
    assert sms_text(language, "report.ask.employer") in ask(bot, "2")

    typed, province = PROVINCE[language]
    again = ask(bot, typed)
    assert again.startswith(sms_text(language, "followup.province_noted", province=province))
    assert sms_text(language, "report.ask.employer") in again

    assert sms_text(language, "report.ask.sector") in ask(bot, "sunrise inc")
    again = ask(bot, MORE[language])
    assert again.startswith(sms_text(language, "account.added"))
    assert sms_text(language, "report.ask.sector") in again

    assert sms_text(language, "report.ask.share") in ask(bot, "1")
    summary = ask(bot, "1")
    assert sms_text(language, "report.type.hours") in summary.splitlines()[0]
    employer = next(line for line in summary.splitlines() if "sunrise inc" in line)
    assert province.lower() not in employer.lower()
    assert province in summary  # the place's line

    unsent = ask(bot, THANKS[language])
    assert unsent.startswith(
        sms_text(language, "common.goodbye.unfinished", flow={"msgid": "report.title"}, hours=24)
    )
    assert sms_text(language, "report.ask.confirm") in unsent
    assert sms_text(language, "common.goodbye") not in unsent
    assert sms_text(language, "pin.ask.choose")[:30] in ask(bot, "1")  # sent on the worker's word


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_a_town_alone_at_the_employer_question_is_still_its_answer(make_bot, sqlite_url, language):
    """Only a province's own name is "where I am": a town (in Ontario for the NLU) is the place."""
    bot = make_bot(sqlite_url)
    ask(bot, GREETING[language])
    ask(bot, REPORT[language])
    ask(bot, "2")
    after = ask(bot, "leamington")
    assert sms_text(language, "report.ask.employer") not in after
    assert sms_text(language, "followup.province_noted", province="Ontario") not in after


STARTS = {
    "es": "quiero reportar a mi patron pero tengo miedo",
    "tl": "gusto ko mag report sa amo ko pero natatakot ako",
    "en": "i want to report my boss but im scared",
}
#: Asked at "tell me what happened": the fear that keeps workers from reporting.
WILL_THEY_KNOW = {
    "es": "mi patron se va a enterar que fui yo?",
    "tl": "malalaman po ba ng amo ko na ako ang nag report?",
    "en": "will my boss find out it was me?",
}
ACCOUNT = {
    "es": "no nos pagan las horas extra y nos gritan todo el dia",
    "tl": "hindi binabayaran ang overtime namin at sinisigawan kami buong araw",
    "en": "they dont pay our overtime and they yell at us all day",
}
ERASE = {"es": "borra todo porfavor", "tl": "pakibura na po lahat", "en": "delete all of it please"}


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_a_question_asked_while_telling_what_happened_is_answered_and_the_report_goes_on(
    make_bot, sqlite_url, language
):
    """Before, "will my boss find out it was me?" became the worker's account of what happened,
    and the account told after the answer became a new hours question outside the report."""
    bot = make_bot(sqlite_url)
    ask(bot, GREETING[language])
    ask(bot, STARTS[language])
    assert sms_text(language, "report.ask.story") in ask(bot, "2")

    answer = ask(bot, WILL_THEY_KNOW[language])
    assert "1-866-602-9448" in answer  # nobody tells the employer who reported (the tip line)
    assert sms_text(language, "report.ask.what") not in answer

    goes_on = ask(bot, ACCOUNT[language])  # told at the answer's options
    assert sms_text(language, "report.ask.employer") in goes_on  # the report's next question
    assert sms_text(language, "report.ask.province")[:30] not in goes_on  # no hours topic

    assert sms_text(language, "report.ask.sector") in ask(bot, "sunrise inc, simcoe")
    erase = ask(bot, ERASE[language])  # at a question that also takes typed words
    assert sms_text(language, "erase.ask.confirm") in erase
    assert sms_text(language, "report.ask.share") not in erase
