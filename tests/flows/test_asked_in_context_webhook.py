"""Short questions that lean on the answer before them, and questions whose words belong to
another topic, through the signed webhook and the real NLU: laundry after the housing
deductions, getting a recruitment fee back, the cost of the open permit, a caregiver's overtime in
Quebec, no health card yet, a recruitment cost taken from pay, a compensation claim the boss
blocks, and "will my boss know it was me" (no emergency)."""

from __future__ import annotations

import pytest

from tests.flows.test_followups_webhook import ask
from tests.support.sms import sms_text

WORKER = "+14165550177"
TIP_LINE = "1-866-602-9448"  # Service Canada's confidential tip line (facts: esdc-tip-line)


def chat(make_bot, sqlite_url, *messages: str) -> str:
    """The reply to the last of ``messages``, each sent in turn by one worker."""
    bot = make_bot(sqlite_url)
    reply = ""
    for message in messages:
        reply = ask(bot, message, WORKER)
    return reply


def is_clarification(language: str, reply: str) -> bool:
    return sms_text(language, "clarify.ask")[:20] in reply


@pytest.mark.parametrize(
    ("language", "question", "follow_up"),
    [
        ("en", "how much can they deduct for housing on sawp", "and laundry?"),
        ("es", "cuanto me pueden descontar por la casa", "y la lavanderia?"),
    ],
)
def test_laundry_after_the_housing_deductions_gets_the_laundry_allowance(
    make_bot, sqlite_url, language, question, follow_up
):
    reply = chat(make_bot, sqlite_url, question, follow_up)
    assert "$16.50" in reply  # SAWP: what the employer must give a week for laundry
    assert not is_clarification(language, reply)


def test_getting_a_recruitment_fee_back_gets_the_time_limit_and_the_office(make_bot, sqlite_url):
    reply = chat(
        make_bot,
        sqlite_url,
        "i paid a recruiter back home 2500 to get this job in ontario",
        "can i get it back",
    )
    assert "1-800-531-5551" in reply  # Ontario's Employment Standards Information Centre
    assert not is_clarification("en", reply)


@pytest.mark.parametrize(
    ("language", "question", "follow_up", "free"),
    [
        (
            "es",
            "que es el permiso abierto para trabajadores vulnerables",
            "y cuanto cuesta",
            "gratis",
        ),
        (
            "en",
            "what is the open work permit for vulnerable workers",
            "how much does it cost",
            "free",
        ),
    ],
)
def test_the_cost_of_the_open_permit_after_its_answer_is_the_steps_to_apply(
    make_bot, sqlite_url, language, question, follow_up, free
):
    reply = chat(make_bot, sqlite_url, question, follow_up)
    assert free in reply.casefold()
    assert not is_clarification(language, reply)


def test_a_caregiver_in_quebec_is_told_overtime_is_at_the_normal_rate(make_bot, sqlite_url):
    reply = chat(
        make_bot,
        sqlite_url,
        "cuido niños en una casa en montreal",
        "me pagan las horas extra?",
    )
    expected = sms_text("es", "topic.hours.care_qc", office_name="x", office_phone="y")
    assert expected[:40] in reply
    assert "1.5" not in reply  # not the general overtime rate


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "todavia no tengo tarjeta de salud, quien paga el doctor"),
        ("en", "i dont have a health card yet who pays if i get sick"),
        ("es", "el patron me descuenta el seguro medico del cheque, se puede?"),
    ],
)
def test_no_health_card_yet_gets_the_private_insurance_answer(
    make_bot, sqlite_url, language, message
):
    reply = chat(make_bot, sqlite_url, "ontario", message)
    assert sms_text(language, "topic.health.answer")[:40] in reply


def test_a_recruitment_cost_taken_from_pay_then_a_province_gets_its_fee_law(make_bot, sqlite_url):
    reply = chat(
        make_bot, sqlite_url, "my employer takes the recruiter fee out of my pay", "im in bc"
    )
    assert "Temporary Foreign Worker Protection Act" in reply  # BC's law on recruitment fees


def test_a_compensation_claim_the_boss_blocks_then_a_province_gets_its_board(make_bot, sqlite_url):
    reply = chat(
        make_bot,
        sqlite_url,
        "boss says he will send me home if i file a wsib claim",
        "im in ontario",
    )
    assert "1-800-387-0750" in reply  # WSIB Ontario


def test_will_my_boss_know_is_answered_with_the_tip_line_not_an_emergency(make_bot, sqlite_url):
    reply = chat(
        make_bot,
        sqlite_url,
        "if i report them will they deport me",
        "will my boss know it was me",
    )
    assert TIP_LINE in reply
    assert "911" not in reply


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "im a caregiver in vancouver, how much can they deduct for room and board"),
        ("es", "soy cuidadora en bc cuanto me pueden cobrar por cuarto y comida"),
    ],
)
def test_a_caregiver_asking_about_deductions_gets_the_domestic_rule_not_the_farm_charge(
    make_bot, sqlite_url, language, message
):
    reply = chat(make_bot, sqlite_url, message)
    assert "$325.00" in reply  # BC domestic workers' room and board a month
    assert "$2.75" not in reply  # the farm program's utility charge a day
