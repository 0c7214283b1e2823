"""Several problems in one message, through the signed webhook and the real NLU: the most urgent
is answered first and the others come back as numbered next steps, in es, tl and en."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from tests.flows.test_followups_webhook import ask
from tests.support.sms import sms_text

WORKER = "+15195550188"


@pytest.mark.parametrize(
    ("language", "greeting", "message", "first", "offered"),
    [
        (
            "es",
            "hola",
            "no me pagan las horas extra y el patron tiene mi pasaporte",
            "pasaporte",
            "intent.ask_hours",
        ),
        (
            "tl",
            "kumusta po",
            "nasaktan ako sa trabaho tapos ayaw nila bayaran ang overtime namin",
            "911",
            "intent.ask_hours",
        ),
        (
            "en",
            "hello",
            "mi boss hold mi passport and dem nuh pay overtime",
            "passport",
            "intent.ask_hours",
        ),
    ],
)
def test_the_most_urgent_problem_is_answered_and_the_others_offered_by_number(
    make_bot, sqlite_url, language, greeting, message, first, offered
):
    bot = _in_ontario(make_bot(sqlite_url), language, greeting)
    tr = catalogs.translator(language)
    answer = ask(bot, message, WORKER)
    assert first in answer
    # An injury's safety reply lists its help options; the other problem comes first among them.
    header = "emergency.ask" if first == "911" else "problems.ask"
    assert tr.gettext(header) in answer and f"1. {tr.gettext(offered)}" in answer
    second = ask(bot, "1", WORKER)
    assert "1-800-531-5551" in second  # the hours answer, with Ontario's office
    assert tr.gettext("problems.ask") not in second  # nothing else waits: the usual next steps
    assert tr.gettext("next.ask") in second


@pytest.mark.parametrize(
    ("language", "greeting", "message"),
    [
        # Jamaican English: "an" joins the complaints; the housing one in patois.
        ("en", "wah gwaan", "boss nah pay we fi di overtime an di room dem give we cold an a leak"),
        ("es", "hola", "no me pagan las horas extras y tambien la casa esta bien fria"),
        ("tl", "kumusta po", "di binabayaran ang overtime namin tapos giniginaw kami sa bahay"),
    ],
)
def test_unpaid_overtime_and_a_cold_house_are_both_answered_not_a_guess(
    make_bot, sqlite_url, language, greeting, message
):
    bot = _in_ontario(make_bot(sqlite_url), language, greeting)
    tr = catalogs.translator(language)
    answer = ask(bot, message, WORKER)
    assert tr.gettext("clarify.ask") not in answer  # no "did you mean" among three guesses
    assert "1-866-602-9448" in answer  # housing first (more urgent), with Service Canada's line
    assert f"1. {tr.gettext('intent.ask_hours')}" in answer  # overtime waits as option 1
    assert "1-800-531-5551" in ask(bot, "1", WORKER)  # the hours answer, Ontario's office


def _in_ontario(bot, language: str, greeting: str):
    """A worker who has greeted and said they work in Ontario."""
    ask(bot, greeting, WORKER)
    ask(
        bot,
        {"es": "estoy en ontario", "tl": "nasa ontario ako", "en": "im in ontario"}[language],
        WORKER,
    )
    return bot


@pytest.mark.parametrize(
    ("language", "greeting", "message"),
    [
        ("en", "wah gwaan", "boss mek mi work wid fever an nuh pay mi overtime"),
        ("es", "hola", "estoy enfermo con calentura y no me pagan el overtime"),
    ],
)
def test_work_while_sick_and_unpaid_overtime_are_both_answered(
    make_bot, sqlite_url, language, greeting, message
):
    """Before, the patois fever clause scored under the bar and only one problem was seen."""
    bot = _in_ontario(make_bot(sqlite_url), language, greeting)
    tr = catalogs.translator(language)
    answer = ask(bot, message, WORKER)
    assert tr.gettext("problems.ask") in answer
    assert f"1. {tr.gettext('intent.ask_hours')}" in answer  # the overtime waits as option 1
    assert "1-800-531-5551" in ask(bot, "1", WORKER)  # the hours answer, Ontario's office


@pytest.mark.parametrize(
    ("language", "greeting", "message"),
    [
        ("es", "hola", "el mayordomo me grita y no nos pagan el overtime, trabajamos 70 horas"),
        ("en", "hello", "the supervisor yells at us and we dont get paid overtime for 70 hrs"),
        ("tl", "kumusta po", "sinisigawan kami ng amo tapos walang bayad ang overtime namin"),
    ],
)
def test_a_complaint_beside_a_question_does_not_hold_the_answer_behind_a_report(
    make_bot, sqlite_url, language, greeting, message
):
    """Before, "me grita" (report_abuse) ranked first: the report's safety question came back and
    the overtime question was lost behind a questionnaire."""
    bot = _in_ontario(make_bot(sqlite_url), language, greeting)
    answer = ask(bot, message, WORKER)
    assert "1-800-531-5551" in answer  # the hours answer, with Ontario's office
    assert sms_text(language, "report.intro")[:20] not in answer
    assert f"1. {sms_text(language, 'next.option.report')}" in answer  # the report, one tap away


def test_a_report_asked_for_still_starts_the_report(make_bot, sqlite_url):
    bot = _in_ontario(make_bot(sqlite_url), "es", "hola")
    answer = ask(bot, "quiero reportar a mi patron porque no me paga las horas extras", WORKER)
    assert sms_text("es", "report.intro")[:20] in answer


@pytest.mark.parametrize(
    ("language", "greeting", "message", "which_number", "province"),
    [
        (
            "tl",
            "hello po",
            "caregiver po ako, di po binabayaran ang overtime ko tapos kinuha ni mam passport ko",
            "ano po number na tatawagan ko",
            "sa ontario po",
        ),
        (
            "es",
            "ola buenas",
            "el patron tiene mi pasaporte y no me pagan las oras extras",
            "q numero llamo",
            "estoy en ontario",
        ),
        (
            "en",
            "hello",
            "boss tek mi passport an nuh pay mi overtime",
            "wat number mi fi call",
            "ontario",
        ),
    ],
)
def test_a_province_named_later_answers_the_problem_that_waited_for_it(
    make_bot, sqlite_url, language, greeting, message, which_number, province
):
    """Before, the waiting overtime question fell off the options after "which number do I call",
    and naming the province only got "noted": the worker's pay question was never answered."""
    bot, tr = _hours_waiting(make_bot(sqlite_url), language, greeting, message)
    next_step = ask(bot, which_number, WORKER)
    assert "1-866-602-9448" in next_step  # where to report, confidentially
    assert f"1. {tr.gettext('intent.ask_hours')}" in next_step  # the overtime still waits
    hours = ask(bot, province, WORKER)
    assert "1-800-531-5551" in hours  # the hours answer, with Ontario's office
    assert tr.gettext("next.ask") in hours  # nothing else waits: the usual next steps


def test_a_recruitment_debt_taken_from_pay_is_answered_as_a_fee_first(make_bot, sqlite_url):
    """Before, the pay question ranked first and the worker read the minimum wage, while the
    agency's fee (a debt taken from pay) waited behind it."""
    bot = make_bot(sqlite_url)
    tr = catalogs.translator("tl")
    ask(bot, "hi po", WORKER)
    ask(bot, "nasa manitoba po ako", WORKER)
    answer = ask(
        bot,
        "yung agency po naningil sakin ng 5000 para sa trabaho, tapos di ko pa nabayaran lahat"
        " kaya kinukuha nila sa sweldo ko",
        WORKER,
    )
    assert "Worker Recruitment and Protection Act" in answer  # Manitoba's law against the fee
    assert f"1. {tr.gettext('intent.ask_wages')}" in answer


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "es",
            "me lastime la espalda cargando cajas y el mayordomo dice q si voy al doctor me regresa a mexico",
        ),
        (
            "en",
            "hurt my back lifting boxes and boss says if i go to the doctor he will send me home",
        ),
        # Jamaican English: only the back was answered ("work or go home" read at 0.18).
        ("en", "mi back a kill mi from di lifting an boss seh work or go home"),
    ],
)
def test_a_threat_beside_an_injury_waits_as_the_next_option(
    make_bot, sqlite_url, language, message
):
    """Before, the threat of being sent home for seeing a doctor scored under the bar: only the
    injury was answered and the fear of retaliation was never offered."""
    bot = make_bot(sqlite_url)
    tr = catalogs.translator(language)
    ask(bot, {"es": "hola", "en": "hello"}[language], WORKER)
    ask(bot, {"es": "estoy en bc", "en": "im in bc"}[language], WORKER)
    answer = ask(bot, message, WORKER)
    assert "WorkSafeBC" in answer
    assert f"1. {tr.gettext('intent.ask_retaliation')}" in answer
    assert "1-866-602-9448" in ask(bot, "1", WORKER)  # no deportation for it: Service Canada


@pytest.mark.parametrize(
    ("language", "greeting", "message", "province"),
    [
        (
            "tl",
            "gud pm po",
            "sobrang haba ng shift namin 12 hrs walang break tapos pag nagreklamo kami sinasabihan"
            " kami na ipapauwi",
            "alberta po",
        ),
        (
            "es",
            "ola",
            "trabajamos 12 oras sin descanso y si nos quejamos nos dicen que nos regresan",
            "en alberta",
        ),
    ],
)
def test_a_province_named_at_an_answers_options_answers_the_waiting_problem(
    make_bot, sqlite_url, language, greeting, message, province
):
    """The retaliation answer (no province needed) came first; naming the province at its
    options only got "noted" before, and the long shifts were never answered."""
    bot, _ = _hours_waiting(make_bot(sqlite_url), language, greeting, message)
    assert "1-877-427-3731" in ask(bot, province, WORKER)  # hours, Alberta's office


def _hours_waiting(bot, language: str, greeting: str, message: str):
    """A worker who greeted and wrote of a problem answered with Service Canada's line (papers,
    retaliation) beside long or unpaid hours, which wait as option 1."""
    tr = catalogs.translator(language)
    ask(bot, greeting, WORKER)
    answer = ask(bot, message, WORKER)
    assert "1-866-602-9448" in answer  # answered first: Service Canada
    assert f"1. {tr.gettext('intent.ask_hours')}" in answer
    return bot, tr


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "tl",
            "natamaan po ako ng makina sa planta kahapon, namamaga po kamay ko pero sabi ng"
            " supervisor wag daw ako mag absent kundi tanggal ako",
        ),
        (
            "es",
            "me pego una maquina en la planta ayer, tengo la mano hinchada pero el supervisor dice q"
            " si falto me corren",
        ),
        (
            "en",
            "a machine hit my hand at the plant yesterday its all swollen but supervisor says if i"
            " miss work im fired",
        ),
    ],
)
def test_a_hand_hit_by_a_machine_is_answered_before_the_threat_beside_it(
    make_bot, sqlite_url, language, message
):
    """The tl message got only the retaliation answer, the injury neither answered nor offered
    ("natamaan ... ng makina" 0.19, "namamaga po kamay ko" 0.10 as an injury); es and en asked the
    province and then forgot the threat."""
    bot = make_bot(sqlite_url)
    tr = catalogs.translator(language)
    ask(bot, "hi", WORKER)
    ask(bot, message, WORKER)  # the injury needs the province (or gives first aid first, then asks)
    answer = ask(bot, "manitoba", WORKER)
    assert "1-855-954-4321" in answer  # WCB Manitoba
    assert f"1. {tr.gettext('intent.ask_retaliation')}" in answer
    assert "1-866-602-9448" in ask(bot, "1", WORKER)  # no deportation for it: Service Canada


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "es",
            "quiero reportar a la granja, el patron nos cobra 300 por semana por la casa y somos 10"
            " en un cuarto",
        ),
        ("en", "i want to report the farm, they charge us 300 a week for a crowded bunkhouse"),
        ("tl", "gusto ko po mag report, 300 kada linggo ang singil sa bahay at siksikan kami"),
    ],
)
def test_a_report_asked_for_in_so_many_words_leads_the_problems_beside_it(
    make_bot, sqlite_url, language, message
):
    """The whole message read as housing (0.47) and the report, found in its first clause, came
    last like a complaint read as one ("me grita"): the housing answer came instead."""
    bot = _in_ontario(make_bot(sqlite_url), language, "hola")
    answer = ask(bot, message, WORKER)
    assert sms_text(language, "report.intro")[:20] in answer
    assert "SAWP" not in answer


@pytest.mark.parametrize(
    ("language", "message", "province", "answer"),
    [
        (
            "tl",
            "pinagbabayad po kami ng agency ng 3000 dolyar bago makaalis tapos ngayon kinakaltas sa"
            " sahod namin, wala na po kaming makain",
            "sa bc po",
            "1-833-236-3700",  # BC's recruitment law: Employment Standards Branch
        ),
        (
            "en",
            "bossman sey if we nuh work sunday him a go cut we pay, an mi foot bruk from di ladder"
            " last week",
            "ontario",
            "1-800-387-0750",  # WSIB
        ),
    ],
)
def test_a_fee_paid_to_the_agency_and_a_broken_foot_are_read_without_their_usual_words(
    make_bot, sqlite_url, language, message, province, answer
):
    """Both got a "did you mean" of three topics, and naming the province only repeated it: the
    agency's fee scored 0.35 as a fee, "mi foot bruk from di ladder" 0.20 as an injury."""
    bot = make_bot(sqlite_url)
    ask(bot, "hi", WORKER)
    first = ask(bot, message, WORKER)
    assert sms_text(language, "clarify.ask")[:15] not in first
    assert answer in ask(bot, province, WORKER)


@pytest.mark.parametrize(
    ("language", "message", "place"),
    [
        (
            "es",
            "el patron nos quito los pasaportes y nos cobra 500 por semana por la casa",
            "estamos en leamington",
        ),
        ("tl", "kinuha ng amo ang passport ko at ang mahal ng bayad sa bahay", "sa ontario po"),
        ("en", "boss took my passport and charges us 500 a week for the house", "ontario"),
    ],
)
def test_a_place_named_after_the_passport_answer_answers_the_housing_charge_for_it(
    make_bot, sqlite_url, language, message, place
):
    """Before, naming the place only got "noted" and the options again: the housing answer waited
    though its office line depends on the province."""
    tr = catalogs.translator(language)
    bot = make_bot(sqlite_url)
    answer = ask(bot, message, WORKER)
    assert "1-866-602-9448" in answer  # the passport answer: Service Canada
    assert f"1. {tr.gettext('intent.ask_housing')}" in answer
    housing = ask(bot, place, WORKER)
    assert "1-800-531-5551" in housing  # the housing answer with Ontario's office


def test_a_debt_to_the_boss_beside_the_passports_is_offered_as_a_fee(make_bot, sqlite_url):
    """ "We owe him money" is the worker's debt (a fee the employer charges), not pay owed to
    them; before, only the passports were answered and the debt was never offered."""
    bot = _in_ontario(make_bot(sqlite_url), "en", "hello")
    tr = catalogs.translator("en")
    answer = ask(
        bot, "my boss says we owe him money for the flight and he has our passports", WORKER
    )
    assert "1-866-602-9448" in answer  # the passports: Service Canada
    assert f"1. {tr.gettext('intent.ask_fees')}" in answer
    assert "Employment Protection for Foreign Nationals Act" in ask(bot, "1", WORKER)


def test_money_the_agency_took_beside_a_wage_question_is_not_lost(make_bot, sqlite_url):
    """'kinuhaan ako ng 3000' (they took 3000 from me) read as fees at 0.38 in its clause, below
    the line: the wage was answered and the agency's fee never offered."""
    bot = make_bot(sqlite_url)
    ask(bot, "hi po", WORKER)
    answer = ask(
        bot,
        "magkano po ba dapat sahod ko kada oras? nasa saskatchewan po ako. tapos ung agency"
        " kinuhaan ako ng 3000 pesos",
        WORKER,
    )
    tr = catalogs.translator("tl")
    assert "1-800-667-1783" in answer  # Saskatchewan's office, for the fee
    assert f"1. {tr.gettext('intent.ask_wages')}" in answer  # and the wage, one number away
    assert "$15.35" in ask(bot, "1", WORKER)
