"""Filing anonymous reports through the signed webhook: case codes, status, throttling, evidence,
and what the database holds afterwards (no number, report text or media in clear)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from bot.cases.models import AdminAlert, EmployerMention, Referral, Report, ReportMedia
from bot.store.models import Conversation
from bot.text import catalogs
from tests.reports.chat import case_code, file_report, pending_step
from tests.support.images import MODEL, phone_photo
from tests.support.sms import as_sms as sent
from tests.support.sms import first_contact

WORKER = "+15195550101"
EVIDENCE = phone_photo()


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_a_report_in_each_language_ends_with_a_case_code_in_that_language(
    make_bot, database_url, language
):
    bot = make_bot(database_url)
    bodies = file_report(bot, WORKER, language)
    code = case_code(bodies)
    translator = catalogs.translator(language)
    sent_last = "\n\n".join(
        bodies[-2:]
    )  # the code, then the discretion tip (one SMS when they fit)
    assert sent(translator.gettext("report.filed", code=code)) in sent_last
    assert sent_last.endswith(sent(translator.gettext("tip.delete_chat")))
    assert pending_step(bot, WORKER) == (None, None)
    with bot.runtime.db.session() as session:
        report = session.scalar(select(Report))
        assert (report.language, report.province, report.abuse_types) == (
            language,
            "ON",
            ["wages", "housing"],
        )
        assert report.status == "assigned" and report.consent_ngo is True


def test_texting_the_case_code_returns_the_status_without_the_details(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    code = case_code(file_report(bot, WORKER, "es"))
    for typed in (code.lower().replace("-", ""), code.replace("-", " ")):
        bot.send(typed, sender=WORKER)
        reply = twilio.messages[-1].body
        assert reply == sent(catalogs.translator("es").gettext("case.status.assigned", code=code))
        assert "Granja" not in reply and "Leamington" not in reply


def test_the_status_comes_in_the_language_the_worker_uses_now(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    code = case_code(file_report(bot, WORKER, "es"))
    other_phone = "+14165550142"  # the code is all it takes, from any phone
    bot.send("hello, I need help with my job", sender=other_phone)
    bot.send(code, sender=other_phone)
    # The status first; the question that message led to (the province, to find organizations)
    # may follow it again.
    assert twilio.messages[-1].body.startswith(
        sent(catalogs.translator("en").gettext("case.status.assigned", code=code))
    )


def test_guessing_codes_is_throttled_per_conversation_even_for_the_right_code(
    make_bot, sqlite_url, twilio
):
    bot = make_bot(sqlite_url)
    code = case_code(file_report(bot, WORKER, "es"))
    es = catalogs.translator("es")
    guesses = ["ABCD-2345", "WXYZ-6789", "HJKM-2345", "PQRS-2345", "TUVW-2345"]
    for guess in guesses:
        bot.send(guess, sender=WORKER)
        assert twilio.messages[-1].body == sent(es.gettext("case.status.unknown"))
    bot.send(code, sender=WORKER)
    assert twilio.messages[-1].body == sent(es.gettext("case.status.wait"))
    bot.send(code, sender="+14165550199")  # another phone is not held back by this one
    assert twilio.messages[-1].body == first_contact(
        "es", sent(es.gettext("case.status.assigned", code=code))
    )


def test_guessing_from_many_phones_alerts_administrators_but_blocks_no_worker(
    make_bot, database_url, twilio
):
    """A global lockout would let one attacker with many numbers stop every worker checking a case."""
    bot = make_bot(database_url, reports__code_attempts_per_hour_global=4)
    code = case_code(file_report(bot, WORKER, "es"))
    es = catalogs.translator("es")
    for n, guess in enumerate(
        ["ABCD-2345", "WXYZ-6789", "HJKM-2345", "PQRS-2345", "TUVW-2345", "CDEF-2345"]
    ):
        bot.send(guess, sender=f"+1416555{n:04d}")
        assert twilio.messages[-1].body == first_contact(
            "es", sent(es.gettext("case.status.unknown"))
        )
    bot.send(code, sender="+14165550199")  # a worker checking their case is not held back by them
    assert twilio.messages[-1].body == first_contact(
        "es", sent(es.gettext("case.status.assigned", code=code))
    )
    with bot.runtime.db.session() as session:
        [alert] = session.scalars(
            select(AdminAlert).where(AdminAlert.kind == "case_code_guessing")
        ).all()
        assert alert.status == "open" and alert.detail["wrong_codes_last_hour"] >= 6


def test_photos_are_fetched_with_the_twilio_credentials_and_kept_encrypted(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    url = twilio.add_media("ME0001", EVIDENCE, "image/jpeg")
    file_report(bot, WORKER, "es", media=[(url, "image/jpeg")])
    with bot.runtime.db.session() as session:
        [media] = session.scalars(select(ReportMedia)).all()
        assert (media.status, media.content_type) == ("stored", "image/jpeg")
        assert media.url_enc is None and EVIDENCE not in media.data_enc.encode()
        kept = bot.runtime.envelope.get_bytes(session, media, "data_enc")
        assert kept.startswith(b"\xff\xd8") and media.size == len(kept)  # the photo, re-encoded


def test_with_media_storage_off_nothing_of_the_photos_is_kept(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url, reports__store_media=False)
    url = twilio.add_media("ME0002", EVIDENCE, "image/jpeg")
    file_report(bot, WORKER, "es", media=[(url, "image/jpeg")])
    with bot.runtime.db.session() as session:
        assert session.scalars(select(ReportMedia)).all() == []


def _dump(url: str) -> str:
    """Every value of every table, as text: what someone holding a copy of the database would read."""
    engine = create_engine(url)
    chunks = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(" ".join(str(value) for value in row))
    engine.dispose()
    return "\n".join(chunks)


def test_the_database_holds_no_number_report_text_or_media_in_clear(make_bot, database_url, twilio):
    bot = make_bot(database_url)
    url = twilio.add_media("ME0003", EVIDENCE, "image/jpeg")
    code = case_code(
        file_report(
            bot,
            WORKER,
            "es",
            answers={"contact": "2"},  # shares the number
            media=[(url, "image/jpeg")],
        )
    )
    bot.send(code, sender=WORKER)
    with bot.runtime.db.session() as session:
        report = session.scalar(select(Report))
        assert (
            report.contact_enc
            and bot.runtime.envelope.get(session, report, "contact_enc") == WORKER
        )
        assert session.scalar(select(ReportMedia.status)) == "stored"
    dump = _dump(database_url)
    assert "Fernet" not in dump and len(dump) > 1000
    for needle in (
        "5195550101",
        "Granja",
        "Pinos",
        "Leamington",
        code,
        code.replace("-", ""),
        MODEL,
    ):
        assert needle not in dump, needle
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for needle in (b"5195550101", b"Granja Los Pinos", b"Leamington", EVIDENCE, code.encode()):
            assert needle not in raw, needle


def test_erasing_with_unlink_keeps_the_report_but_nothing_ties_it_to_the_worker(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    code = case_code(file_report(bot, WORKER, "es", answers={"contact": "2"}))
    with bot.runtime.db.session() as session:
        before = session.scalar(select(Report))
    for message in ("BORRAR", "si", "si"):
        bot.send(message, sender=WORKER)
    with bot.runtime.db.session() as session:
        assert session.scalars(select(Conversation)).all() == []
        report = session.scalar(select(Report))
        assert report.conversation_key is None and report.conversation_ref_enc is None
        assert report.contact_enc is None and report.reporter_key != before.reporter_key
        assert session.scalar(select(EmployerMention.reporter_key)) == report.reporter_key
        assert session.scalar(select(Referral.status)) in ("pending", "delivered")
    # The worker said their codes stop working: one found written down tells nothing, from any phone
    # (each a first contact now: the erased number too).
    for phone in (WORKER, "+14165550142"):
        bot.send(code, sender=phone)
        assert twilio.messages[-1].body == first_contact(
            "es", sent(catalogs.translator("es").gettext("case.status.unknown"))
        )


def test_erasing_without_unlink_keeps_the_link_for_updates(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    file_report(bot, WORKER, "es")
    for message in ("BORRAR", "si", "no"):
        bot.send(message, sender=WORKER)
    with bot.runtime.db.session() as session:
        assert session.scalars(select(Conversation)).all() == []
        assert session.scalar(select(Report.conversation_key)) is not None
