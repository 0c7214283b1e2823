"""A report that listens (issue 21 §4), through the signed webhook, the real NLU and the real
Twilio client: danger first, the worker's own words, only what is missing, a summary to confirm,
and after sending who has the case, within how long, and what became of the government tip line."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.cases.models import Report
from bot.text import catalogs
from bot.text.segments import count_segments
from tests.reports.chat import case_code, pending_step
from tests.security.probes import bodies_to
from tests.support.sms import as_sms, sms_text

WORKER = "+15195550142"
ACCOUNT = (
    "No me pagan las horas extra y el patrón me quitó el pasaporte. "
    "Trabajo en la Granja Sol en Leamington."
)


def say(bot, text: str, sender: str = WORKER) -> str:
    """The worker sends ``text``; everything the bot answered, as one text."""
    before = len(bot.twilio.messages)
    assert bot.send(text, sender=sender).status_code == 200
    return "\n\n".join(bodies_to(bot.twilio, sender, before))


def the_report(bot) -> Report:
    with bot.runtime.db.session() as session:
        report = session.scalar(select(Report))
        session.expunge(report)
        return report


def opened(bot, column: str) -> str | None:
    """A report field as stored, decrypted with the report's own data key."""
    with bot.runtime.db.session() as session:
        return bot.runtime.envelope.get(session, session.scalar(select(Report)), column)


def test_an_account_typed_as_one_long_message_is_not_asked_again(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    first = say(bot, "quiero reportar a mi patron. " + ACCOUNT)
    assert as_sms(catalogs.translator("es").gettext("report.ask.danger")) in first
    asked = say(bot, "no")  # the account came with the first message: who receives it is next
    assert sms_text("es", "report.ask.share") in asked
    summary = say(bot, "1")
    for shown in (
        "Granja Sol",
        "Leamington",
        "Ontario",
        sms_text("es", "report.type.documents"),
        sms_text("es", "report.sector.agriculture"),
    ):
        assert shown in summary
    assert sms_text("es", "report.ask.confirm") in summary
    assert pending_step(bot, WORKER) == ("report", "confirm")
    assert "Opcional" in say(bot, "1")  # the PIN question of the first report
    filed = say(bot, "1")
    code = case_code([filed])
    assert sms_text("es", "report.filed", code=code) in filed
    hours = str(round(bot.runtime.settings.routing.ack_timeout_hours))
    assert f"{hours} horas" in filed  # who has it and within how long they answer
    assert sms_text("es", "report.tipline.declined", tip_line="1-866-602-9448") in filed
    report = the_report(bot)
    assert (report.province, report.sector, "documents" in report.abuse_types) == (
        "ON",
        "agriculture",
        True,
    )
    assert opened(bot, "employer_enc") == "Granja Sol" and opened(bot, "town_enc") == "Leamington"
    details = json.loads(opened(bot, "details_enc"))
    assert "Granja Sol en Leamington" in details["details"]  # the worker's own words, encrypted
    assert report.consent_ngo is True and report.consent_tip_line is False


def test_the_account_as_its_own_answer_fills_in_the_rest(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    say(bot, "quiero reportar a mi patron")
    assert sms_text("es", "report.ask.story") in say(bot, "2")
    assert sms_text("es", "report.ask.share") in say(bot, ACCOUNT)
    assert pending_step(bot, WORKER) == ("report", "share")


def test_a_report_answered_only_with_numbers(make_bot, sqlite_url, twilio):
    """On WhatsApp every question has numbers, the province list too: ten messages, none typed."""
    bot = make_bot(sqlite_url)
    sender = "whatsapp:" + WORKER
    say(bot, "quiero reportar a mi patron", sender)
    steps = []
    for number in ("2", "1", "1 5", "1", "1", "1", "2", "1", "1"):
        say(bot, number, sender)
        steps.append(pending_step(bot, sender)[1])
    assert steps == [
        "story",
        "what",
        "employer",
        "province",
        "sector",
        "share",
        "confirm",
        "pin",
        None,
    ]
    report = the_report(bot)
    assert report.abuse_types == ["wages", "documents"] and report.province == "ON"
    assert report.sector == "agriculture" and report.employer_enc is None
    assert report.consent_ngo is True and report.consent_tip_line is True


def test_sms_questions_fit_two_segments_and_the_province_is_typed(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    asked = [
        say(bot, text) for text in ("quiero reportar a mi patron", "2", "1", "1 5", "Los Pinos")
    ]
    question = asked[-1].split("\n\n")[-1]
    assert question == sms_text("es", "report.ask.province") and "\n1." not in question
    assert sms_text("es", "report.ask.sector") in say(bot, "estamos en leamington")
    for reply in asked:
        assert count_segments(reply.split("\n\n")[-1]) <= 2


def test_change_at_the_summary_then_send(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    for text in ("quiero reportar a mi patron. " + ACCOUNT, "no", "2"):
        say(bot, text)
    assert sms_text("es", "report.ask.change") in say(bot, "2")
    assert sms_text("es", "report.ask.employer") in say(bot, "2")
    summary = say(bot, "Granja Luna, Kingsville")
    assert "Granja Luna" in summary and "Kingsville" in summary and "Granja Sol" not in summary
    say(bot, "1")  # send
    code = case_code([say(bot, "1")])  # no PIN
    assert code
    assert sms_text("es", "report.tipline.asked", tip_line="1-866-602-9448") in "\n\n".join(
        bodies_to(twilio, WORKER)
    )
    report = the_report(bot)
    assert opened(bot, "employer_enc") == "Granja Luna" and opened(bot, "town_enc") == "Kingsville"
    assert report.consent_tip_line is True


def test_cancel_at_the_summary_files_nothing(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    for text in ("quiero reportar a mi patron. " + ACCOUNT, "no", "3"):
        say(bot, text)
    cancelled = say(bot, "3")
    assert sms_text("es", "report.cancelled") in cancelled
    assert pending_step(bot, WORKER) == ("menu", "main")
    with bot.runtime.db.session() as session:
        assert session.scalars(select(Report)).all() == []


def test_a_report_nobody_may_receive_says_so(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    for text in ("quiero reportar a mi patron. " + ACCOUNT, "no", "3", "1"):
        say(bot, text)
    filed = say(bot, "1")
    assert sms_text("es", "report.sent.kept") in filed
    assert sms_text("es", "report.tipline.declined", tip_line="1-866-602-9448") in filed
    assert the_report(bot).consent_ngo is False
