"""The safety triage in context, through the signed webhook and the real NLU and triage: an injury
leads to the province's workers' compensation line, a problem told with danger is kept as a
numbered option, and a question that names a province is answered, not taken for the province."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from tests.flows.test_followups_webhook import ask
from tests.support.sms import sms_text

WORKER = "+15195550177"


@pytest.mark.parametrize(
    ("language", "injury", "province", "line"),
    [
        ("es", "me corte la mano y sangra mucho", "ontario", "1-800-387-0750"),  # WSIB
        ("tl", "nahulog ako sa hagdan", "bc", "1-888-967-5377"),  # WorkSafeBC
        ("en", "i cut my hand bad its bleeding", "manitoba", "1-855-954-4321"),  # WCB Manitoba
    ],
)
def test_an_injury_then_the_province_gets_that_provinces_compensation_line(
    make_bot, sqlite_url, language, injury, province, line
):
    bot = make_bot(sqlite_url)
    first = ask(bot, injury, WORKER)
    assert "911" in first and first.startswith(sms_text(language, "triage.injury")[:50])
    assert sms_text(language, "province.ask")[:40] in first  # which board depends on the province
    answer = ask(bot, province, WORKER)
    assert line in answer
    assert (
        sms_text(language, "topic.health.answer")[:40] not in answer
    )  # not the health/insurance topic
    assert (
        sms_text(language, "emergency.ask") not in answer
    )  # nor the province noted and options again


@pytest.mark.parametrize(
    ("language", "message", "category"),
    [
        ("en", "my boss hit me and took my passport", "danger"),
        ("es", "el patron me pego y me quito el pasaporte", "danger"),
        ("tl", "sinaktan ako ng amo ko at kinuha ang passport ko", "danger"),
        # Locked in, papers taken: the trafficking hotline, then the papers.
        (
            "es",
            "el patron nos encierra en la casa en la noche y nos quito los papeles",
            "confinement",
        ),
        (
            "tl",
            "di kami pinapalabas ng amo sa bahay tapos kinuha nya passport namin",
            "confinement",
        ),
        ("en", "boss lock us in the bunkhouse at nite and took our pasports", "confinement"),
    ],
)
def test_a_passport_told_with_danger_is_offered_first_after_the_safety_reply(
    make_bot, sqlite_url, language, message, category
):
    bot = make_bot(sqlite_url)
    reply = ask(bot, message, WORKER)
    assert reply.startswith(sms_text(language, f"triage.{category}")[:50])
    documents = catalogs.translator(language).gettext("intent.ask_documents")
    assert sms_text(language, "emergency.ask") in reply and f"1. {documents}" in reply
    assert "1-866-602-9448" in ask(
        bot, "1", WORKER
    )  # the documents answer: Service Canada's tip line


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "i have a fever and my boss says i must work im in manitoba"),
        ("es", "tengo fiebre y el patron dice que tengo que ir a trabajar, estoy en manitoba"),
    ],
)
def test_working_while_sick_with_a_province_named_is_answered_for_that_province(
    make_bot, sqlite_url, language, message
):
    bot = make_bot(sqlite_url)
    answer = ask(bot, message, WORKER)
    assert sms_text(language, "topic.sick.answer", office_name="x", office_phone="y")[:40] in answer
    assert "1-800-821-4307" in answer  # Manitoba Employment Standards
    assert sms_text(language, "menu.main")[:30] not in answer  # not "noted: Manitoba" and the menu


@pytest.mark.parametrize(
    ("language", "place", "message", "offered", "line"),
    [
        (
            "es",
            "estoy en bc",
            "la casa tiene chinches y ademas no me pagan el minimo",
            "intent.ask_wages",
            "$18.25",
        ),
        (
            "en",
            "im in bc",
            "the bunkhouse has bed bugs and also they dont pay me minimum wage",
            "intent.ask_wages",
            "$18.25",
        ),
    ],
)
def test_a_topic_with_its_own_next_steps_still_offers_the_other_problem_by_number(
    make_bot, sqlite_url, language, place, message, offered, line
):
    """Housing ends with its own options (rent and deductions ...): the wage problem comes first."""
    bot = make_bot(sqlite_url)
    ask(bot, place, WORKER)
    answer = ask(bot, message, WORKER)
    tr = catalogs.translator(language)
    assert (
        f"1. {tr.gettext(offered)}" in answer
        and sms_text(language, "topic.opt.deductions") in answer
    )
    assert line in ask(bot, "1", WORKER)


@pytest.mark.parametrize(
    ("language", "message", "province", "board_line"),
    [
        (
            "en",
            "boss man push mi off di ladder mi foot swell up bad cyaan walk",
            "ontario",
            "1-800-387-0750",
        ),
        ("es", "el patron me empujo de la escalera y me rompi el brazo", "bc", "1-888-967-5377"),
        ("tl", "tinulak ako ng amo ko sa hagdan nabali ang braso ko", "manitoba", "1-855-954-4321"),
    ],
)
def test_hurt_by_the_boss_gets_the_violence_reply_and_the_injury_line(
    make_bot, sqlite_url, language, message, province, board_line
):
    """Pushed off a ladder is violence (reportable, help options) and an injury (emergency room,
    the board): before, only the injury was read and the help options were not offered."""
    bot = make_bot(sqlite_url)
    ask(bot, province, WORKER)
    reply = ask(bot, message, WORKER)
    assert reply.startswith(sms_text(language, "triage.danger")[:50])
    assert board_line in reply  # the injury line names the province's board
    assert sms_text(language, "emergency.ask") in reply  # report / organization / person options


@pytest.mark.parametrize(
    ("language", "wages", "suicide", "province", "wage"),
    [
        ("es", "cuanto es el salario minimo", "ya no quiero vivir", "quebec", "$16.60"),
        ("en", "whats the minimum wage", "i want to die", "quebec", "$16.60"),
        ("tl", "magkano ang minimum wage", "ayoko na mabuhay", "quebec", "$16.60"),
    ],
)
def test_after_thoughts_of_suicide_the_next_message_starts_with_a_check_in(
    make_bot, sqlite_url, language, wages, suicide, province, wage
):
    """The province asked for a wage question, then a suicidal message: the next message still gets
    its answer, but after a check-in naming 988, and only once."""
    bot = make_bot(sqlite_url)
    assert sms_text(language, "province.ask")[:30] in ask(bot, wages, WORKER)
    crisis = ask(bot, suicide, WORKER)
    assert "988" in crisis and wage not in crisis
    answer = ask(bot, province, WORKER)
    assert answer.startswith(sms_text(language, "triage.suicide.checkin"))
    assert wage in answer
    later = ask(bot, "menu", WORKER)
    assert sms_text(language, "triage.suicide.checkin") not in later


@pytest.mark.parametrize(
    ("language", "suicide", "denial"),
    [
        ("es", "quiero morirme ya no aguanto", "no no me quiero matar solo estoy cansado"),
        ("en", "i want to die", "i dont want to kill myself im just tired"),
        ("tl", "ayoko na mabuhay", "hindi ako magpapakamatay pagod lang"),
    ],
)
def test_a_worker_who_says_they_will_not_end_their_life_is_asked_how_they_are(
    make_bot, sqlite_url, language, suicide, denial
):
    """Before, the denial was read as the thing denied and the crisis line came again, word for word."""
    bot = make_bot(sqlite_url)
    assert "988" in ask(bot, suicide, WORKER)
    reply = ask(bot, denial, WORKER)
    assert reply.startswith(sms_text(language, "triage.suicide.checkin"))
    assert sms_text(language, "triage.suicide")[:40] not in reply


@pytest.mark.parametrize(
    ("language", "message", "category"),
    [
        ("en", "they lock us in the bunkhouse at night", "confinement"),
        ("es", "nos encierran en la casa en la noche", "confinement"),
        (
            "tl",
            "kagabi pumasok sa kwarto ko yung anak ng amo ko, di ako makatulog sa takot",
            "sexual",
        ),
        ("en", "my bosses son came into my room last night i cant sleep im scared", "sexual"),
    ],
)
def test_abuse_where_the_worker_lives_gets_the_help_not_the_housing_rules(
    make_bot, sqlite_url, language, message, category
):
    """The room or the bunkhouse is where it happened: before, "Housing from the employer" was the
    first option after the emergency lines."""
    reply = ask(make_bot(sqlite_url), message, WORKER)
    assert reply.startswith(sms_text(language, f"triage.{category}")[:40])
    assert sms_text(language, "emergency.ask") in reply
    assert sms_text(language, "intent.ask_housing") not in reply


def test_an_injury_in_a_province_whose_board_has_no_checked_line_names_the_board(
    make_bot, sqlite_url
):
    """Alberta's board has no verified phone: the reply said "your province's board" though the
    message had named Brooks; it now names WCB Alberta."""
    bot = make_bot(sqlite_url)
    ask(bot, "hello", WORKER)
    reply = ask(bot, "i hurt my back lifting boxes at the meat plant in brooks", WORKER)
    assert reply.startswith(sms_text("en", "triage.injury.named", board="WCB Alberta"))


@pytest.mark.parametrize(
    ("language", "greeting", "message", "province"),
    [
        (
            "es",
            "hola",
            "trabajo en la planta de carne en brooks, me lastime la espalda cargando cajas y el"
            " supervisor dice q si falto me corren",
            "alberta",
        ),
        ("en", "hello", "i hurt my back lifting boxes at the meat plant in brooks", "alberta"),
        (
            "tl",
            "hi po",
            "nasaktan po likod ko sa pagbubuhat sa planta dito sa leamington",
            "ontario po",
        ),
    ],
)
def test_the_province_an_answer_was_given_for_is_noted_not_answered_again(
    make_bot, sqlite_url, language, greeting, message, province
):
    """The town named the province, the answer named its board; the worker then typed the
    province. Before, the Spanish answer came again, word for word."""
    bot = make_bot(sqlite_url)
    ask(bot, greeting, WORKER)
    answer = ask(bot, message, WORKER)
    again = ask(bot, province, WORKER)
    assert again.startswith(sms_text(language, "followup.province_noted", province="")[:8])
    assert answer.split("\n")[0] not in again
