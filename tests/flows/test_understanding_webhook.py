"""Questions as workers type them, through the signed webhook and the real NLU: a topic named with
only a province, the deductions asked for at once, overtime that is not the minimum wage, the
sector told earlier, the office of the worker's province as the next step, and no one-option
"did you mean"."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from tests.flows.test_followups_webhook import ask
from tests.support.sms import sms_text

WORKER = "+12045550142"


@pytest.mark.parametrize(
    ("language", "message", "wage"),
    [
        ("es", "salario minimo manitoba", "$16.40"),
        ("tl", "sahod po sa manitoba", "$16.40"),
        ("en", "min wage ontario", "$17.95"),
    ],
)
def test_a_topic_and_a_province_alone_is_the_topic(make_bot, sqlite_url, language, message, wage):
    """Before, the province won ("Noted: you work in Manitoba") and the question was lost."""
    reply = ask(make_bot(sqlite_url), message, WORKER)
    assert wage in reply
    assert sms_text(language, "followup.province_noted", province="x")[:12] not in reply


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "cuanto me pueden descontar por la casa"),
        ("tl", "magkano pwede ikaltas ng employer para sa bahay"),
        ("en", "how much can they deduct for housing"),
    ],
)
def test_a_question_about_deductions_gets_the_amounts_at_once(
    make_bot, sqlite_url, language, message
):
    reply = ask(make_bot(sqlite_url), message, WORKER)
    assert "$2.75" in reply and "$325.00" in reply  # SAWP utility charge a day; BC room and board
    assert sms_text(language, "topic.housing.answer", tip_line="x")[:30] not in reply


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "trabajo 60 horas x semana y no me pagan extra"),
        ("en", "we work 60 hrs a week and get paid for 44 no overtime"),
    ],
)
def test_unpaid_overtime_is_answered_as_hours_not_the_minimum_wage(
    make_bot, sqlite_url, language, message
):
    bot = make_bot(sqlite_url)
    ask(bot, "ontario", WORKER)
    reply = ask(bot, message, WORKER)
    assert "$17.95" not in reply  # Ontario's minimum wage
    assert "1-800-531-5551" in reply  # the hours answer names Ontario's office


@pytest.mark.parametrize(
    ("language", "first", "question"),
    [
        ("en", "im a live in caregiver in toronto", "do i get overtime"),
        ("es", "soy cuidadora en toronto", "me pagan horas extra?"),
    ],
)
def test_a_sector_told_earlier_gets_its_exception_later(
    make_bot, sqlite_url, language, first, question
):
    bot = make_bot(sqlite_url)
    ask(bot, first, WORKER)
    reply = ask(bot, question, WORKER)
    care = sms_text(language, "topic.hours.care", code="ON", office_name="x", office_phone="y")
    assert care[:25] in reply


@pytest.mark.parametrize(
    ("language", "question", "next_step", "office"),
    [
        ("es", "cuantas horas me pueden hacer trabajar", "q hago", "1-800-821-4307"),
        ("tl", "ilang oras po ba dapat ang trabaho", "ano gagawin ko", "1-800-821-4307"),
        ("en", "how many hours can they make me work", "what can i do", "1-800-821-4307"),
    ],
)
def test_what_to_do_after_an_answer_names_the_provinces_office(
    make_bot, sqlite_url, language, question, next_step, office
):
    """Hours have no next step of their own: before, only Service Canada's tip line came."""
    bot = make_bot(sqlite_url)
    ask(bot, "manitoba", WORKER)
    ask(bot, question, WORKER)
    reply = ask(bot, next_step, WORKER)
    assert reply.startswith(
        sms_text(
            language, "followup.next_step.office", office_name="x", office_phone="y", tip_line="z"
        )[:15]
    )
    assert office in reply and "1-866-602-9448" in reply  # Manitoba's office, and the tip line


@pytest.mark.parametrize(
    ("language", "charge", "next_step"),
    [
        (
            "en",
            "im a domestic worker in bc, my employer takes 600 a month for room and board",
            "what can i do",
        ),
        (
            "es",
            "soy trabajadora domestica en bc y me cobran 600 al mes por cuarto y comida",
            "q hago",
        ),
    ],
)
def test_what_to_do_after_the_housing_deductions_is_the_office_not_the_same_text_again(
    make_bot, sqlite_url, language, charge, next_step
):
    """The deductions were the answer already; "what can i do" repeated them word for word."""
    bot = make_bot(sqlite_url)
    deductions = ask(bot, charge, WORKER)
    assert "$325.00" in deductions  # BC's room-and-board limit for domestic workers
    reply = ask(bot, next_step, WORKER)
    assert "$325.00" not in reply
    assert "1-833-236-3700" in reply and "1-866-602-9448" in reply  # BC's ESB, the tip line


def test_injury_next_step_is_the_compensation_board(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "ontario", WORKER)
    ask(bot, "i hurt my back at work last week who pays", WORKER)
    assert "WSIB, 1-800-387-0750" in ask(bot, "what do i do now", WORKER)


def test_a_clarification_never_offers_a_single_guess(make_bot, sqlite_url):
    reply = ask(make_bot(sqlite_url), "do farm workers get overtime in saskatchewan", WORKER)
    assert sms_text("en", "clarify.ask")[:15] not in reply
    assert "1-800-667-1783" in reply  # Saskatchewan Employment Standards, in the hours answer


@pytest.mark.parametrize(
    ("language", "start", "no", "story", "employer"),
    [
        (
            "tl",
            "gusto ko po mag report",
            "2",
            "yung amo ko po sa farm sa leamington kinuha passport namin at pinagtatrabaho kami ng 14 oras "
            "walang overtime, Greenleaf Farms po pangalan",
            "Greenleaf Farms",
        ),
        (
            "en",
            "i want to report my employer",
            "2",
            "the boss at the farm took all our passports and we work 14 hours with no overtime, "
            "the place is called Greenleaf Farms in leamington",
            "Greenleaf Farms",
        ),
    ],
)
def test_a_report_told_in_own_words_shows_each_problem_and_the_real_name(
    make_bot, sqlite_url, language, start, no, story, employer
):
    """Before, the summary said "Employer: farm sa leamington kinuha passport" (the story going on,
    sent to an NGO as a name) and the passport was missing from the problems."""
    from bot.text import catalogs

    bot = make_bot(sqlite_url)
    ask(bot, start, WORKER)
    ask(bot, no, WORKER)  # not in danger now
    summary = ask(bot, story, WORKER)
    if sms_text(language, "report.ask.share")[:20] in summary:
        summary = ask(bot, "1", WORKER)  # to an organization
    tr = catalogs.translator(language)
    assert employer in summary and "kinuha" not in summary and "took" not in summary
    assert sms_text(language, "report.type.documents") in summary
    assert tr.gettext("report.type.hours") in summary


@pytest.mark.parametrize(
    ("language", "danger", "place"),
    [
        ("es", "el capataz me agarro del cuello y me avento contra la pared", "estoy en chatham"),
        ("tl", "sinampal ako ng amo ko", "nasa calgary ako"),
        ("en", "di boss punch mi inna mi face", "mi deh a simcoe"),
        ("tl", "sinampal ako ng amo ko", "nandito ako sa simcoe po"),
    ],
)
def test_a_town_after_a_safety_reply_is_noted_and_the_help_options_stand(
    make_bot, sqlite_url, language, danger, place
):
    """ "estoy en chatham" was read as the `emergency` intent (at 0.17), "mi deh a simcoe" as
    find_ngo at 0.13: each got a "did you mean" that dropped the help options."""
    bot = make_bot(sqlite_url)
    assert ask(bot, danger, WORKER).startswith(sms_text(language, "triage.danger")[:30])
    reply = ask(bot, place, WORKER)
    assert sms_text(language, "clarify.ask")[:15] not in reply
    assert sms_text(language, "emergency.ask") in reply


@pytest.mark.parametrize(
    ("language", "message"),
    [
        # Not in the training data: the chat that found it wrote "como hago un reporte sin que
        # sepan que fui yo".
        ("es", "como puedo reportar sin que el patron se entere"),
        ("en", "how can i make a report and they dont know its me"),
        ("tl", "paano po mag report ng hindi sinasabi ang pangalan ko"),
    ],
)
def test_how_to_report_without_being_known_starts_the_anonymous_report(
    make_bot, sqlite_url, language, message
):
    """Before, the retaliation answer came back, the same text each time it was asked."""
    bot = make_bot(sqlite_url)
    ask(bot, {"es": "hola", "en": "hello", "tl": "kumusta po"}[language], WORKER)
    reply = ask(bot, message, WORKER)
    assert sms_text(language, "report.intro")[:25] in reply


@pytest.mark.parametrize(
    ("language", "greeting", "place", "province"),
    [
        ("tl", "kumusta po", "nasa brooks po kami", "Alberta"),
        ("es", "hola", "trabajo en portage la prairie", "Manitoba"),
        ("en", "hello", "we work in leamington", "Ontario"),
    ],
)
def test_a_message_that_only_gives_the_town_is_the_town(
    make_bot, sqlite_url, language, greeting, place, province
):
    """ "nasa brooks po kami" got the farm housing answer (housing 0.24 over the place), "trabajo
    en portage la prairie" the injury answer: the words around the town only frame it."""
    bot = make_bot(sqlite_url)
    ask(bot, greeting, WORKER)
    reply = ask(bot, place, WORKER)
    assert province in reply  # "noted: you work in ..."
    assert "1-866-602-9448" not in reply and "911" not in reply  # no housing or injury answer
    assert sms_text(language, "clarify.ask")[:15] not in reply


def test_a_place_beside_several_problems_is_not_only_the_place(make_bot, sqlite_url):
    """A caregiver who names her town and then three problems got "noted: you work in British
    Columbia" and the menu: the message read as `inform` (0.38), and of its parts only the passport
    was sure enough to count as a problem ("la señora me grita" 0.40, "trabajo de 6am a 11pm"
    0.30), so none waited beside it."""
    bot = make_bot(sqlite_url)
    tr = catalogs.translator("es")
    ask(bot, "hola", WORKER)
    reply = ask(
        bot,
        "soy cuidadora en vancouver, la señora me grita todos los dias y me quito el pasaporte,"
        " y trabajo de 6am a 11pm",
        WORKER,
    )
    assert "pasaporte" in reply and "1-866-602-9448" in reply  # the passport answer
    assert f"1. {tr.gettext('intent.ask_hours')}" in reply  # the long days wait as option 1


def test_days_off_withheld_in_sms_spelling_are_an_hours_question_not_harassment(
    make_bot, sqlite_url
):
    """ "mam q po kc d nya binibigay day off q ..." (no day off for three months, and made to clean
    her sister's house) got the sexual harassment reply: "q" and "d" are expanded as Spanish ("que",
    "de"), and the triage read the rest as sexual (0.58)."""
    bot = make_bot(sqlite_url)
    ask(bot, "helo po", WORKER)
    reply = ask(
        bot,
        "mam q po kc d nya binibigay day off q 3 buwan n po, tpos pnapalinis din aq s bahay ng"
        " kapatid nya",
        WORKER,
    )
    assert sms_text("tl", "triage.sexual")[:25] not in reply
    assert sms_text("tl", "province.ask")[:25] in reply  # the hours answer needs the province
    assert "1-800-531-5551" in ask(bot, "d2 po aq s toronto", WORKER)  # Ontario's office


@pytest.mark.parametrize(
    ("language", "start", "told"),
    [
        (
            "es",
            "quiero reportar a mi patron",
            "el mayordomo de la granja nos grita y no nos deja ir al doctor cuando estamos enfermos",
        ),
        (
            "en",
            "i want to report my boss",
            "the supervisor yells at us every day and wont let us see a doctor when we are sick",
        ),
    ],
)
def test_what_happened_told_at_the_danger_question_is_not_asked_again(
    make_bot, sqlite_url, language, start, told
):
    """A worker who answers "are you in danger?" by telling what happened was asked again, then
    asked to tell what happened, and had to write it all a second time."""
    bot = make_bot(sqlite_url)
    ask(bot, "hola", WORKER)
    assert sms_text(language, "report.ask.danger")[:20] in ask(bot, start, WORKER)
    assert sms_text(language, "reprompt.yesno")[:20] in ask(bot, told, WORKER)  # asked again
    after = ask(bot, "2", WORKER)
    assert sms_text(language, "report.ask.story")[:20] not in after


@pytest.mark.parametrize(
    ("language", "start", "told", "story"),
    [
        (
            "es",
            "quiero reportar a mi patron",
            "la granja se llama sunny acres, esta en leamington",
            "no nos pagan las horas extras",
        ),
        (
            "en",
            "i want to report my boss",
            "the farm is called green valley, its in simcoe",
            "they dont pay our overtime",
        ),
    ],
)
def test_a_farm_named_in_lower_case_at_the_danger_question_is_not_asked_for_again(
    make_bot, sqlite_url, language, start, told, story
):
    """ "la granja se llama sunny acres" was no employer's name (only capitalized names, or a
    workplace noun and the words after it, were), so after the story the farm was asked for again."""
    bot = make_bot(sqlite_url)
    ask(bot, "hola", WORKER)
    ask(bot, start, WORKER)
    ask(bot, told, WORKER)  # the danger question, asked again
    assert sms_text(language, "report.ask.story")[:20] in ask(bot, "2", WORKER)
    assert sms_text(language, "report.ask.employer")[:20] not in ask(bot, story, WORKER)


@pytest.mark.parametrize(
    ("language", "message", "place"),
    [
        ("es", "no me dejan ir al doctor y tengo fiebre", "ontario"),
        ("tl", "ayaw ako payagan magpa doctor kahit may lagnat ako", "ontario po"),
        ("en", "boss nuh waan mi go doctor an mi have fever", "ontario"),
    ],
)
def test_sick_and_kept_from_a_doctor_is_answered_not_asked_about(
    make_bot, sqlite_url, language, message, place
):
    """Working sick and seeing a doctor were offered as "did you mean" though both answers say no
    permission is needed for care: the top one is answered."""
    bot = make_bot(sqlite_url)
    first = ask(bot, message, WORKER)
    assert sms_text(language, "clarify.ask") not in first
    answer = first + ask(bot, place, WORKER)
    assert "1-800-531-5551" in answer  # the sick answer, with Ontario's office
    assert sms_text(language, "clarify.ask") not in answer


@pytest.mark.parametrize(
    ("language", "message", "place", "msgid", "office"),
    [
        (
            "es",
            "me quieren cobrar por el vuelo de regreso",
            "ontario",
            "topic.fees.travel",
            "1-800-531-5551",
        ),
        (
            "en",
            "can they deduct for the airfare",
            "im in bc",
            "topic.fees.travel_bc",
            "1-833-236-3700",
        ),
        (
            "tl",
            "kinakaltasan ba kami sa pamasahe ng eroplano",
            "nasa alberta po",
            "topic.fees.travel",
            "1-877-427-3731",
        ),
    ],
)
def test_the_flight_home_gets_the_round_trip_rule_not_the_recruitment_fee_answer(
    make_bot, sqlite_url, language, message, place, msgid, office
):
    """The SAWP employer pays the round trip and may take back part of it, never in BC
    (canada.yaml sawp-housing); before, the flight got the recruitment-fee answer or a guess."""
    bot = make_bot(sqlite_url)
    answer = ask(bot, message, WORKER) + ask(bot, place, WORKER)
    assert "SAWP" in answer and office in answer
    assert sms_text(language, msgid, office_name="X", office_phone="Y").split("X")[0] in answer
    assert sms_text(language, "clarify.ask") not in answer


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "something bad happened to me at my bosses house and i dont know who to tell"),
        ("es", "algo malo me paso en la casa del patron no se a quien decirle"),
        ("tl", "may nangyari sakin sa bahay ng amo ko na hindi maganda natatakot ako"),
        ("es", "el mayordomo me hizo algo feo"),
    ],
)
def test_a_harm_told_without_naming_it_starts_a_report_that_asks_what_happened(
    make_bot, sqlite_url, language, message
):
    """How an assault is often first told. Before, the house read as a housing question ("did you
    mean: 1. Housing from the employer ...") and a report started from it was filed as housing."""
    bot = make_bot(sqlite_url)
    reply = ask(bot, message, WORKER)
    assert sms_text(language, "report.ask.danger") in reply
    assert sms_text(language, "clarify.ask")[:15] not in reply
    reply = ask(bot, "2", WORKER)  # not in danger now
    if len(message.split()) < 12:  # too short to be the worker's account: it is asked for
        assert sms_text(language, "report.ask.story")[:15] in reply
        reply = ask(bot, "no quiero decir" if language == "es" else "ayoko sabihin", WORKER)
    assert sms_text(language, "report.ask.what")[:15] in reply  # not taken for housing
    assert sms_text(language, "report.type.violence") in reply


@pytest.mark.parametrize(
    "message",
    [
        "what happened to my report",  # a case's news, no harm
        "me paso algo en la mano con la maquina",  # the harm is named: a hand, a machine
        "no se a quien decirle que no me pagan",  # the wages are the topic
    ],
)
def test_the_words_of_an_unnamed_harm_leave_named_topics_alone(make_bot, sqlite_url, message):
    reply = ask(make_bot(sqlite_url), message, WORKER)
    assert all(sms_text(language, "report.ask.danger") not in reply for language in ("en", "es"))


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "quiero saber todo sobre mis derechos de vivienda en bc soy trabajador agricola"),
        ("en", "what are my housing rights in ontario im a farm worker"),
        ("tl", "ano ang karapatan ko sa tirahan sa alberta"),
    ],
)
def test_a_rights_question_beside_the_place_and_the_job_is_the_question(
    make_bot, sqlite_url, language, message
):
    """Before, "noted: you work in British Columbia" and the menu: the place and "soy trabajador
    agricola" / "im a farm worker" read as `inform` (0.35-0.64), and "my rights about housing" was
    a phrasing the model had barely seen (0.11-0.28 without the place)."""
    bot = make_bot(sqlite_url)
    ask(bot, "hola" if language == "es" else "hi", WORKER)
    reply = ask(bot, message, WORKER)
    assert "SAWP" in reply  # the farm housing answer
    assert sms_text(language, "followup.province_noted", province="x")[:12] not in reply


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "my boss took my passport and says i owe him 3000 for the flight, i dont know what to do im scared",
        ),
        ("tl", "kinuha ng amo passport ko tapos sabi nya may utang daw ako sa ticket ko"),
    ],
)
def test_a_passport_taken_for_a_debt_is_answered_and_the_debt_offered(
    make_bot, sqlite_url, language, message
):
    """Before, "did you mean: passport, fear of being fired, fees" (English), or the passport
    alone (Tagalog): one part of the message named the passport surely, the debt just under the bar."""
    reply = ask(make_bot(sqlite_url), message, WORKER)
    assert "1-866-602-9448" in reply  # the documents answer: Service Canada's line
    assert sms_text(language, "clarify.ask")[:20] not in reply
    assert "1. " + sms_text(language, "intent.ask_fees") in reply


def test_overtime_written_ot_is_overtime(make_bot, sqlite_url):
    """ "OT" was an unknown word: only the garage was answered, the unpaid overtime never offered."""
    message = (
        "hello po, ask ko lang kasi yung employer ko di nagbabayad ng OT tapos pinapatulog kami"
        " sa garahe"
    )
    reply = ask(make_bot(sqlite_url), message, WORKER)
    assert "1. " + sms_text("tl", "intent.ask_hours") in reply


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "im scared my boss will see this how do i delete everything"),
        ("es", "tengo miedo q el patron vea mis mensajes como borro todo"),
        ("tl", "natatakot ako baka makita ng amo ko tong chat, pano burahin lahat"),
    ],
)
def test_a_worker_afraid_of_being_seen_who_asks_to_erase_is_asked_to_confirm_it(
    make_bot, sqlite_url, language, message
):
    """Before: "did you mean: fear of being fired" (the fear read first, the erasure second)."""
    reply = ask(make_bot(sqlite_url), message, WORKER)
    assert sms_text(language, "erase.ask.confirm") in reply


def test_help_asked_for_with_only_a_town_finds_the_organizations(make_bot, sqlite_url):
    """Before: "did you mean: 1. Find an organization 2. Fear of being fired"."""
    reply = ask(
        make_bot(sqlite_url), "i need help i dont know where to go, im in saskatoon", WORKER
    )
    assert sms_text("en", "ngo.searching") in reply
    assert sms_text("en", "clarify.ask")[:20] not in reply


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("tl", "hindi na po ako pinapakain ng maayos ng employer ko 1 beses lang isang araw"),
        ("en", "my boss doesnt give us food for days"),
    ],
)
def test_food_withheld_is_abuse_to_report(make_bot, sqlite_url, language, message):
    """Before: "did you mean: hours" (the data had no message about food withheld)."""
    reply = ask(make_bot(sqlite_url), message, WORKER)
    assert sms_text(language, "report.intro") in reply
