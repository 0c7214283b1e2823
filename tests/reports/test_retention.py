"""Retention (issue 22, item 7): every report is erased by age, closed or not, with its relay thread
and staff notes, unless its NGO set a legal hold."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.cases.models import Note, RelayMessage, Report
from bot.jobs import tasks
from bot.runtime import set_current
from bot.store.db import utcnow
from tests.reports.chat import file_report


def test_old_reports_are_erased_with_their_thread_and_notes_unless_on_legal_hold(
    make_bot, database_url
):
    bot = make_bot(database_url, messages__flood_limit_per_minute=100, reports__erase_after_days=30)
    file_report(bot, "+15195550151", "es")
    file_report(bot, "+15195550152", "es")
    vault = bot.runtime.vault
    with bot.runtime.db.session() as session:
        old, held = session.scalars(select(Report).order_by(Report.id)).all()
        assert old.status != "closed"  # open cases too: nothing is kept forever
        for report in (old, held):
            session.add(
                RelayMessage(
                    report_id=report.id,
                    direction="to_worker",
                    body_enc=vault.encrypt("hola"),
                    status="queued",
                )
            )
            session.add(Note(report_id=report.id, body_enc=vault.encrypt("llamar el lunes")))
        held.legal_hold = True
        session.execute(update(Report).values(created_at=utcnow() - timedelta(days=31)))
    set_current(bot.runtime)
    tasks.purge()
    with bot.runtime.db.session() as session:
        old, held = session.scalars(select(Report).order_by(Report.id)).all()
        assert (old.employer_enc, old.town_enc, old.conversation_key, old.conversation_ref_enc) == (
            None,
        ) * 4
        assert old.abuse_types and old.province == "ON"  # the counts stay
        assert held.employer_enc and held.conversation_key
        for table in (RelayMessage, Note):
            assert session.scalars(select(table.report_id)).all() == [held.id]
        assert session.scalar(select(func.count()).select_from(Report)) == 2
