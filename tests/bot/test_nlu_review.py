"""Messages the NLU could not place wait, encrypted and without numbers, for an annotator."""

from __future__ import annotations

import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.models import NluReview
from tests.conftest import SECRET

WORKER = "+15195550188"


def review_rows(bot) -> int:
    with bot.runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(NluReview))


def test_an_unplaced_message_is_queued_and_exported_as_a_rasa_candidate(make_bot, database_url, twilio):
    bot = make_bot(database_url)
    bot.send("hola", sender=WORKER)
    assert review_rows(bot) == 0  # understood: nothing to review
    bot.send("xyzzy plugh call me at +1 519 555 0188", sender=WORKER)
    bot.send("7", sender=WORKER)  # a bare number has no words to learn from
    assert review_rows(bot) == 1

    with bot.runtime.db.session() as session:
        stored = session.scalars(select(NluReview.text_enc)).one()
    assert "xyzzy" not in stored  # encrypted at rest

    result = CliRunner().invoke(main, ["nlu", "review", "--database"],
                                env={"DATABASE_URL": database_url, "PUENTE_SECRET_KEY": SECRET})
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
