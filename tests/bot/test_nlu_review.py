"""Messages the NLU could not place wait, encrypted and without numbers, for an annotator; never
what a worker typed into a report, a relay or an answer, and not past their erasure or a week."""

from __future__ import annotations

from datetime import timedelta

import yaml
from click.testing import CliRunner
from sqlalchemy import func, select, update

from bot.cli import main
from bot.conversation.nlu_review import scrub
from bot.jobs import tasks
from bot.runtime import set_current
from bot.store.db import utcnow
from bot.store.models import NluReview
from tests.conftest import SECRET
from tests.reports.chat import file_report

WORKER = "+15195550188"


def review_rows(bot) -> int:
    with bot.runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(NluReview))


def test_an_unplaced_message_is_queued_and_exported_as_a_rasa_candidate(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    bot.send("hola", sender=WORKER)
    assert review_rows(bot) == 0  # understood: nothing to review
    bot.send("xyzzy plugh call me at +1 519 555 0188", sender=WORKER)
    bot.send("7", sender=WORKER)  # a bare number has no words to learn from
    assert review_rows(bot) == 1

    with bot.runtime.db.session() as session:
        stored = session.scalars(select(NluReview.text_enc)).one()
    assert "xyzzy" not in stored  # encrypted at rest

    result = CliRunner().invoke(
        main,
        ["nlu", "review", "--database"],
        env={"DATABASE_URL": database_url, "PUENTE_SECRET_KEY": SECRET},
    )
    assert result.exit_code == 0, result.output
    exported = yaml.safe_load(result.output)
    assert exported["version"].startswith("3.")
    text = str(exported["nlu"])
    assert "xyzzy plugh" in text
    assert "0188" not in text  # the number typed in the message is masked


def test_the_queue_can_be_switched_off(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url, **{"nlu.review_queue": False})
    bot.send("xyzzy plugh", sender=WORKER)
    assert review_rows(bot) == 0


def _export(database_url: str) -> str:
    result = CliRunner().invoke(
        main,
        ["nlu", "review", "--database"],
        env={"DATABASE_URL": database_url, "PUENTE_SECRET_KEY": SECRET},
    )
    assert result.exit_code == 0, result.output
    return str(yaml.safe_load(result.output)["nlu"])


def test_nothing_typed_in_a_report_or_with_a_case_code_is_kept(make_bot, database_url, twilio):
    """The queue outlived consent and erasure: an employer's name typed into a report ended up in it."""
    bot = make_bot(database_url, messages__flood_limit_per_minute=100)
    gibberish = {
        "employer": "xyzzy plugh Granja Qwerty",
        "where": "zorblax quux",
        "how_many": "frobnicate",
    }
    file_report(bot, WORKER, "es", answers=gibberish)
    bot.send("ABCD-2345 xyzzy mi patron no paga", sender=WORKER)  # a message for a case
    assert review_rows(bot) == 0


def test_what_was_kept_goes_with_the_conversation(make_bot, database_url, twilio):
    bot = make_bot(database_url)
    bot.send("xyzzy plugh", sender=WORKER)
    bot.send("xyzzy plugh", sender="+15195550177")
    assert review_rows(bot) == 2
    for message in ("BORRAR", "si", "no"):
        bot.send(message, sender=WORKER)
    assert review_rows(bot) == 1  # only the other worker's


def test_the_export_masks_names_codes_and_numbers_and_old_rows_go_after_a_week(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    bot.send("xyzzy Pedro Ramirez plugh 44170 ana@example.org de Ontario", sender=WORKER)
    exported = _export(database_url)
    assert "xyzzy" in exported and "Ontario" in exported
    for leaked in ("Pedro", "Ramirez", "44170", "ana@example.org"):
        assert leaked not in exported
    with bot.runtime.db.session() as session:
        session.execute(update(NluReview).values(created_at=utcnow() - timedelta(days=8)))
    set_current(bot.runtime)
    assert tasks.purge()["review"] == 1 and review_rows(bot) == 0


def test_case_codes_are_masked_even_if_one_reached_the_queue():
    assert (
        scrub("Hola. Mi codigo AB3D-7FGH o ab3d7fgh, Pedro")
        == "Hola. Mi codigo [code] o [code], [name]"
    )
