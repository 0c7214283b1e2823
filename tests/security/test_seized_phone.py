"""An employer grabs the worker's phone: what the chat shows, and what texting from it can reveal
or do (issue 22, item 1). Every test goes through the signed webhook, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from tests.reports.chat import ANSWERS, GREETING, case_code, file_report, pending_step
from tests.security.probes import bodies_to, opened_state
from tests.support.sms import sms_text

REPORTER, NEVER_REPORTED = "+15195550131", "+15195550132"


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_erase_asks_the_same_questions_whether_or_not_the_number_made_reports(
    make_bot, database_url, language
):
    bot = make_bot(database_url)
    file_report(bot, REPORTER, language)
    bot.send(GREETING[language], sender=NEVER_REPORTED)
    erase, yes = {"es": ("BORRAR", "si"), "tl": ("BURAHIN", "oo"), "en": ("DELETE", "yes")}[
        language
    ]
    seen = {}
    for sender in (REPORTER, NEVER_REPORTED):
        start = len(bot.twilio.messages)
        bot.send(erase, sender=sender)
        bot.send(yes, sender=sender)
        seen[sender] = bodies_to(bot.twilio, sender, start)
    assert seen[REPORTER] == seen[NEVER_REPORTED]
    assert sms_text(language, "erase.ask.reports") in seen[NEVER_REPORTED][-1]


def test_the_delete_chat_tip_follows_the_case_code(make_bot, database_url):
    bot = make_bot(database_url, messages__flood_limit_per_minute=100)
    bodies = file_report(bot, REPORTER, "es")
    es = catalogs.translator("es")
    tip = sms_text("es", "tip.delete_chat")
    assert "SALIR" in es.gettext("tip.delete_chat")
    # The last thing the worker reads: the tip, after the case code (in its message when they fit).
    assert case_code(bodies) and bodies[-1].endswith(tip)
    assert sum(body.count(tip) for body in bodies) == 1
    # Once a session: a second sensitive exchange does not repeat it.
    again = file_report(bot, REPORTER, "es")
    assert not any(sms_text("es", "tip.delete_chat") in body for body in again)


@pytest.mark.parametrize(
    ("language", "word"),
    [("es", "SALIR"), ("es", "salir."), ("tl", "ALIS"), ("tl", "labas"), ("en", "Exit")],
)
def test_the_quick_exit_word_ends_a_report_with_a_harmless_reply(
    make_bot, database_url, language, word
):
    bot = make_bot(database_url)
    bot.send(GREETING[language], sender=REPORTER)
    bot.send("0", sender=REPORTER)
    bot.send("2", sender=REPORTER)
    for step in ("danger", "story", "what"):
        bot.send(ANSWERS[language][step], sender=REPORTER)
    assert pending_step(bot, REPORTER) == ("report", "employer")
    bot.send(word, sender=REPORTER)
    tr = catalogs.translator(language)
    assert bot.twilio.messages[-1].body == sms_text(language, "exit.done")
    for revealing in ("Puente", "report", "reporte", "organiza"):
        assert revealing.lower() not in tr.gettext("exit.done").lower()
    state = opened_state(bot.runtime, REPORTER)
    assert (state["flow"], state["stack"], state["parked"]) == (None, [], None)
    # Whoever writes next is not offered the unfinished report back.
    start = len(bot.twilio.messages)
    bot.send(GREETING[language], sender=REPORTER)
    assert not any(
        tr.gettext("resume.ask", flow="")[:8] in body
        for body in bodies_to(bot.twilio, REPORTER, start)
    )
