"""Housing in context, through the signed webhook and the real NLU: the housing rule is the
seasonal farm program's, so a worker whose job is unknown is told so and where others ask (the
office of their province when it is known); a province named after the answer or the deductions
says them again for that province, unless another problem written about waits for it (the pay); the BC domestic workers' room-and-board line goes only to BC
(or an unknown province), never to a farm worker in Ontario."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from bot.text.segments import transliterate_gsm7
from tests.flows.test_followups_webhook import ask

WORKER = "+14165550177"
ONTARIO_OFFICE = "1-800-531-5551"  # flows/facts.yaml offices.ON.phone
ALBERTA_OFFICE = "1-877-427-3731"  # offices.AB.phone
BC_ROOM_BOARD = "$325.00"  # housing_deductions.bc_domestic_room_board
SAWP_UTILITY = "$2.75"  # housing_deductions.sawp_utility.per_day

HOUSING = {
    "es": "la casa que nos da el patron esta muy mal, que dice la ley",
    "tl": "sira sira ang bahay na binigay ng employer, ano ang karapatan ko",
    "en": "the bunkhouse the boss gives us is falling apart what are my rights",
}
DEDUCTIONS = {
    "es": "cuanto me pueden descontar por la casa",
    "tl": "magkano pwede ikaltas ng employer para sa bahay",
    "en": "how much can they deduct for housing",
}
ONTARIO = {"es": "y en ontario?", "tl": "sa ontario po", "en": "what about ontario"}


def noted(language: str, province: str = "ON") -> str:
    text = catalogs.translator(language).gettext(
        "followup.province_noted", province={"msgid": f"province.{province}"}
    )
    return transliterate_gsm7(text)


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_a_province_after_the_housing_answer_answers_again_with_its_office(
    make_bot, sqlite_url, language
):
    """Before, "ontario" after the housing answer was only noted ("Noted: you work in Ontario")."""
    bot = make_bot(sqlite_url)
    first = ask(bot, HOUSING[language])
    assert "SAWP" in first and ONTARIO_OFFICE not in first
    again = ask(bot, ONTARIO[language])
    assert noted(language) not in again
    assert "SAWP" in again and ONTARIO_OFFICE in again  # the office where other jobs ask


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_a_province_after_the_deductions_drops_the_bc_domestic_line(make_bot, sqlite_url, language):
    bot = make_bot(sqlite_url)
    first = ask(bot, DEDUCTIONS[language])
    assert SAWP_UTILITY in first and BC_ROOM_BOARD in first  # province unknown: both
    again = ask(bot, ONTARIO[language])
    assert noted(language) not in again
    assert SAWP_UTILITY in again and BC_ROOM_BOARD not in again


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "soy trabajador agricola en ontario, cuanto me descuentan por la casa"),
        ("tl", "farmworker po ako sa ontario, magkano ang kaltas sa bahay"),
        ("en", "im a farm worker in bc, how much can they deduct for the bunkhouse"),
    ],
)
def test_a_farm_worker_gets_the_farm_deductions_without_the_domestic_rule(
    make_bot, sqlite_url, language, message
):
    reply = ask(make_bot(sqlite_url), message)
    assert SAWP_UTILITY in reply and BC_ROOM_BOARD not in reply


def test_the_deductions_in_bc_keep_the_domestic_line_when_the_job_is_unknown(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "bc")
    reply = ask(bot, DEDUCTIONS["en"])
    assert SAWP_UTILITY in reply and BC_ROOM_BOARD in reply


def test_a_farm_workers_housing_answer_is_the_farm_rule_without_other_jobs(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "ontario")
    general = ask(bot, HOUSING["en"])
    assert ONTARIO_OFFICE in general  # job unknown: other jobs ask the province's office
    farm = ask(make_bot(sqlite_url), "im a farm worker in ontario, the housing is falling apart")
    assert "SAWP" in farm and ONTARIO_OFFICE not in farm


def test_a_province_after_a_farm_workers_housing_answer_is_noted_not_repeated(make_bot, sqlite_url):
    """The farm rule is the same in every province: naming one does not send it again."""
    bot = make_bot(sqlite_url)
    assert "SAWP" in ask(bot, "im a farm worker, the housing is falling apart")
    again = ask(bot, "and in bc?")
    assert noted("en", "BC") in again
    assert "SAWP" not in again


@pytest.mark.parametrize(
    ("language", "message", "province", "office"),
    [
        (
            "tl",
            "sira sira po ang bahay na binigay ng employer tapos kulang po ang bayad namin",
            ONTARIO["tl"],
            ONTARIO_OFFICE,
        ),
        (
            "en",
            "the bunkhouse is falling apart and they pay us less than minimum wage",
            ONTARIO["en"],
            ONTARIO_OFFICE,
        ),
        (
            "tl",
            "ang amo ko po hindi nagbabayad ng sahod 2 buwan na, tapos pinapatulog ako sa basement"
            " na walang heater",
            "sa calgary po",
            ALBERTA_OFFICE,
        ),
        (
            "en",
            "my employer hasnt paid me in 2 months and i sleep in a basement with no heat",
            "calgary",
            ALBERTA_OFFICE,
        ),
    ],
)
def test_a_province_after_the_housing_answer_answers_the_pay_that_waited(
    make_bot, sqlite_url, language, message, province, office
):
    """The housing answer comes first and the pay waits as option 1. Naming the province then gave
    the housing answer again, for its office line alone, and two months of unpaid pay still
    waited: now the pay is answered for the province (with the same office)."""
    bot = make_bot(sqlite_url)
    label = transliterate_gsm7(catalogs.translator(language).gettext("intent.ask_wages"))
    first = ask(bot, message)
    assert "SAWP" in first and f"1. {label}" in first
    again = ask(bot, province)
    assert office in again and "SAWP" not in again
    assert f"1. {label}" not in again  # answered, no longer waiting
