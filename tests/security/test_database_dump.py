"""Someone with a copy of the database tries to link an anonymous report to a worker's conversation
(issue 22, item 6): the conversation's state no longer says that reports exist or which case it is
relayed to, and a report's time is only its day."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, select, text

from bot.cases.models import CaseEvent, EmployerMention, Report
from bot.conversation import sealed_state
from bot.store.models import Conversation
from tests.reports.chat import file_report
from tests.security.probes import conversation_state, opened_state

WORKER = "+15195550161"


def _stored_states(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        states = [str(row[0]) for row in conn.execute(text("SELECT state FROM conversations"))]
    engine.dispose()
    return states


def test_the_stored_state_does_not_say_that_the_number_reported_or_is_talking_to_a_case(
    make_bot, database_url
):
    bot = make_bot(database_url)
    file_report(bot, WORKER, "es")
    bot.send("AGENTE", sender=WORKER)  # handed off to an organization
    opened = conversation_state(bot.runtime, WORKER)
    assert "handoff" not in opened and "has_reports" not in opened  # as stored
    [stored] = _stored_states(database_url)
    for revealing in ("handoff", "has_reports", "report_id", "since"):
        assert revealing not in stored
    # ... while the bot itself still knows (the next message goes to the organization).
    with bot.runtime.db.session() as session:
        unsealed = sealed_state.unseal(
            bot.runtime.envelope, session, session.scalar(select(Conversation))
        )
    assert unsealed["has_reports"] is True and unsealed["handoff"]


def test_a_report_is_dated_to_the_day_only(make_bot, database_url):
    bot = make_bot(database_url)
    file_report(bot, WORKER, "es")
    with bot.runtime.db.session() as session:
        report = session.scalar(select(Report))
        filed = session.scalar(select(CaseEvent).where(CaseEvent.kind == "filed"))
        mention = session.scalar(select(EmployerMention))
        for moment in (report.created_at, filed.created_at, mention.created_at):
            assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def test_a_referral_and_relay_messages_are_dated_to_the_hour_only(make_bot, database_url):
    """Made when the report is filed, a referral to the second would date the report (and so its
    worker's messages); a relay message would match the worker's inbound or outbox row."""
    from bot.cases import relay
    from bot.cases.models import Referral, RelayMessage

    bot = make_bot(database_url)
    file_report(bot, WORKER, "es")  # consents to an NGO: referred at once
    with bot.runtime.db.session() as session:
        referral = session.scalar(select(Referral))
        referral.status = "acknowledged"
        referral_id = referral.id
    with bot.runtime.db.session() as session:
        relay.send_to_worker(
            session, bot.runtime, referral_id, None, "Hola, soy de la organización"
        )
    with bot.runtime.db.session() as session:
        referral = session.get(Referral, referral_id)
        message = session.scalar(select(RelayMessage))
        events = session.scalars(
            select(CaseEvent).where(
                CaseEvent.kind.in_(("assigned", "delivered", "relay_to_worker"))
            )
        ).all()
        assert len(events) == 3 and message.sent_at is not None
        for moment in (
            referral.created_at,
            referral.delivered_at,
            message.created_at,
            message.sent_at,
            *(event.created_at for event in events),
        ):
            assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)


def test_the_stored_state_of_a_report_in_progress_tells_only_language_and_province(
    make_bot, database_url
):
    """Which flow runs (a report), the last topic, the problems told, a crisis check-in and the
    pages waiting for MORE would each tell a copy of the database about the worker."""
    bot = make_bot(database_url)
    for message in ("hola", "estoy en ontario", "quiero reportar a mi patron"):
        bot.send(message, sender=WORKER)
    assert opened_state(bot.runtime, WORKER)["flow"] == "report"
    _only_language_and_province(conversation_state(bot.runtime, WORKER))
    bot.send("a veces pienso en matarme", sender=WORKER)
    assert opened_state(bot.runtime, WORKER)["crisis"] is True
    _only_language_and_province(conversation_state(bot.runtime, WORKER))


def _only_language_and_province(stored: dict) -> None:
    assert set(stored) == {"v", "language", "province", "_private"}
    assert (stored["language"], stored["province"]) == ("es", "ON")
    for revealing in ("report", "crisis", "topic", "pages", "matarme"):
        assert revealing not in json.dumps(stored)
