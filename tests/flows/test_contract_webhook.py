"""The work contract, through the signed webhook and the real NLU. Before, "my employer wants me to
sign a paper in english i dont understand" got the language picker ("i dont understand" is a
request for another language), and nothing answered a question about the contract itself."""

from __future__ import annotations

import pytest

from tests.flows.test_followups_webhook import GREETING, ask
from tests.support.sms import sms_text

WORKER = "+15195550179"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "el patron quiere que firme un papel en ingles y no le entiendo"),
        ("tl", "pinapapirma ako ng amo ng papel na english, di ko maintindihan"),
        ("en", "my employer wants me to sign a paper in english i dont understand"),
    ],
)
def test_a_paper_to_sign_that_the_worker_cannot_read_gets_the_contract_rights(
    make_bot, sqlite_url, language, message
):
    bot = make_bot(sqlite_url)
    ask(bot, GREETING[language], WORKER)
    reply = ask(bot, message, WORKER)
    assert reply.startswith(sms_text(language, "topic.contract.answer")[:60])
    assert sms_text(language, "lang.choose") not in reply


@pytest.mark.parametrize(
    ("language", "message"), [("es", "no entiendo"), ("en", "i dont understand")]
)
def test_not_understanding_the_bot_still_offers_the_languages(
    make_bot, sqlite_url, language, message
):
    bot = make_bot(sqlite_url)
    ask(bot, GREETING[language], WORKER)
    assert ask(bot, message, WORKER).startswith(sms_text(language, "lang.choose"))


def test_the_contract_is_a_rights_topic_one_number_away(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, GREETING["en"], WORKER)
    topics = ask(bot, "1", WORKER)
    line = next(x for x in topics.splitlines() if sms_text("en", "topics.option.contract") in x)
    number = line.split(".")[0]
    assert ask(bot, number, WORKER).startswith(sms_text("en", "topic.contract.answer")[:60])
