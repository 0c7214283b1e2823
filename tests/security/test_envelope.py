"""Envelope encryption (issue 22, item 11): data keys per report, bound tokens, rotation, shredding.

Against someone holding a copy of the database (and the master key): a token moved to another row or
column does not open, an erased report's data key is gone so its leftover tokens stay closed, and
rotating the master key leaves every report readable.
"""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

from bot.cases.models import EmployerMention, Note, Report, ReportMedia
from bot.cli import main
from bot.errors import ConfigError
from bot.jobs import tasks
from bot.runtime import Runtime, set_current
from bot.store import migrate
from bot.store.db import utcnow
from bot.store.envelope import KeyDestroyed
from bot.store.keys_cli import rotate
from bot.store.models import DataKey
from tests.conftest import SECRET
from tests.reports.chat import file_report
from tests.support.images import phone_photo

WORKER, OTHER = "+15195550161", "+15195550162"
#: The report's encrypted columns that chat.file_report fills (employer, town; the number shared).
FILLED = ("town_enc", "employer_enc", "details_enc", "contact_enc", "conversation_ref_enc")


def _readable(runtime: Runtime) -> dict[str, object]:
    """Everything encrypted about the first report, opened by this runtime's keys."""
    read = runtime.envelope
    with runtime.db.session() as session:
        report = session.scalar(select(Report).order_by(Report.id))
        media = session.scalar(select(ReportMedia).where(ReportMedia.report_id == report.id))
        mention = session.scalar(
            select(EmployerMention).where(EmployerMention.report_id == report.id)
        )
        return {
            **{column: read.get(session, report, column) for column in FILLED},
            "photo": read.get_bytes(session, media, "data_enc")[:2],
            "mention": read.get(session, mention, "name_enc"),
        }


def _file(bot, twilio, sender: str = WORKER) -> None:
    url = twilio.add_media(f"ME{sender[-4:]}", phone_photo(), "image/jpeg")
    file_report(bot, sender, "es", answers={"contact": "2"}, media=[(url, "image/jpeg")])


def test_every_report_reads_the_same_after_the_master_key_is_rotated(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    _file(bot, twilio)
    before = _readable(bot.runtime)
    assert (
        before["town_enc"] == "Leamington"
        and before["contact_enc"] == WORKER
        and before["photo"] == b"\xff\xd8"
    )
    first = bot.runtime.envelope.keyring.current

    rewrapped, retired, current = rotate(bot.runtime)

    key_file = bot.runtime.envelope.keyring.path
    assert (rewrapped, retired) == (
        2,
        [first],
    ) and current != first  # the report's and the worker's conversation's
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(json.loads(key_file.read_text())["keys"]) == 1  # the old master key is forgotten
    with bot.runtime.db.session() as session:
        assert set(session.scalars(select(DataKey.master_key_id))) == {current}
    fresh = Runtime.build(bot.runtime.settings)  # another process, which reads the key file
    try:
        assert _readable(fresh) == before
    finally:
        fresh.close()
    _file(bot, twilio, OTHER)  # reports filed after the rotation are wrapped under the new key
    with bot.runtime.db.session() as session:
        assert set(session.scalars(select(DataKey.master_key_id))) == {current}


def test_an_interrupted_rotation_keeps_the_old_key_readable_and_resumes(
    make_bot, sqlite_url, twilio
):
    bot = make_bot(sqlite_url)
    _file(bot, twilio)
    before = _readable(bot.runtime)
    keyring = bot.runtime.envelope.keyring
    old = keyring.current
    new = keyring.add_new_current()  # the rotation stopped here: no data key rewrapped yet
    fresh = Runtime.build(bot.runtime.settings)
    try:
        assert set(fresh.envelope.keyring.known()) == {old, new}
        assert _readable(fresh) == before
        assert rotate(fresh) == (2, [old], new)  # run again, it finishes instead of starting over
    finally:
        fresh.close()
    assert _readable(bot.runtime) == before


def test_a_token_copied_to_another_column_or_report_does_not_decrypt(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    _file(bot, twilio)
    _file(bot, twilio, OTHER)
    envelope = bot.runtime.envelope
    with bot.runtime.db.session() as session:
        first, second = session.scalars(select(Report).order_by(Report.id)).all()
        town = first.town_enc
        assert envelope.get(session, first, "town_enc") == "Leamington"
        first.employer_enc = town  # another column of the same row
        second.town_enc = town  # the same column of another report (another data key)
        session.flush()
        with pytest.raises(ValueError, match="reports.employer_enc of row"):
            envelope.get(session, first, "employer_enc")
        with pytest.raises(ValueError, match="reports.town_enc of row"):
            envelope.get(session, second, "town_enc")
        note = Note(report_id=second.id, body_enc=town)  # a staff note of the other case
        session.add(note)
        session.flush()
        with pytest.raises(ValueError, match="sealed for another place"):
            envelope.get(session, note, "body_enc")


def test_erasing_a_report_destroys_its_data_key(make_bot, database_url, twilio):
    bot = make_bot(database_url, reports__erase_after_days=30)
    _file(bot, twilio)
    with bot.runtime.db.session() as session:
        report = session.scalar(select(Report))
        key_id, report_id, town = report.data_key_id, report.id, report.town_enc
        media = session.scalar(select(ReportMedia))
        photo, media_id = media.data_enc, media.id
        session.execute(update(Report).values(created_at=utcnow() - timedelta(days=31)))
    set_current(bot.runtime)
    tasks.purge()
    fresh = Runtime.build(bot.runtime.settings)  # the master key, and no cached data key
    try:
        with fresh.db.session() as session:
            assert session.get(DataKey, key_id) is None
            assert session.get(Report, report_id).data_key_id is None
            # A copy of the tokens (a backup of the rows, a page not yet overwritten) stays closed.
            with pytest.raises(KeyDestroyed):
                fresh.envelope.open(session, "reports.town_enc", report_id, town)
            with pytest.raises(KeyDestroyed):
                fresh.envelope.open_bytes(session, "report_media.data_enc", media_id, photo)
    finally:
        fresh.close()


def test_the_migration_converts_stored_reports_both_ways(
    make_bot, database_url, twilio, monkeypatch
):
    bot = make_bot(database_url)
    _file(bot, twilio)
    before = _readable(bot.runtime)
    settings, vault = bot.runtime.settings, bot.runtime.vault
    monkeypatch.delenv("PUENTE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="PUENTE_SECRET_KEY"):  # reports exist: the key is needed
        migrate.downgrade(database_url, "0012")
    migrate.downgrade(database_url, "0012", settings)  # back to tokens under the one secret key
    with bot.runtime.db.session() as session:
        town = session.execute(text("SELECT town_enc FROM reports")).scalar_one()
        photo = session.execute(text("SELECT data_enc FROM report_media")).scalar_one()
    assert vault.decrypt(town) == "Leamington" and vault.decrypt_bytes(photo)[:2] == b"\xff\xd8"
    migrate.upgrade(
        database_url, settings=settings
    )  # and up: each report under its own data key again
    assert _readable(bot.runtime) == before
    with bot.runtime.db.session() as session:
        assert (
            session.scalar(
                select(DataKey.scope).where(
                    DataKey.id == session.scalar(select(Report.data_key_id))
                )
            )
            == "report"
        )


def test_puente_keys_rotate_and_status_from_the_command_line(
    make_bot, sqlite_url, twilio, tmp_path
):
    bot = make_bot(sqlite_url)
    _file(bot, twilio)
    before = _readable(bot.runtime)
    env = {
        "DATABASE_URL": sqlite_url,
        "PUENTE_SECRET_KEY": SECRET,
        "PUENTE_CONFIG": None,
        "PUENTE__INSTANCE_PATH": str(tmp_path / "instance"),
    }
    runner = CliRunner()
    first = bot.runtime.envelope.keyring.current
    status = runner.invoke(main, ["keys", "status"], env=env)
    assert status.exit_code == 0 and f"{first}: 1 report data keys" in status.output
    assert f"{first}: 1 conversation data keys" in status.output
    rotated = runner.invoke(main, ["keys", "rotate"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "2 data keys rewrapped" in rotated.output and f"retired {first}" in rotated.output
    status = runner.invoke(main, ["keys", "status"], env=env)
    assert first not in status.output and "(to rewrap)" not in status.output
    assert _readable(bot.runtime) == before  # the running process picks the new key file up
