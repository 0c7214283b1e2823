"""After a whole journey (questions, a report, a staff reply and the worker's answer) neither a copy
of the database nor the logs hold a worker's number, in any spelling, or anything anyone wrote.

tests/reports/test_reports_db.py::test_the_database_holds_no_number_report_text_or_media_in_clear
scans the tables after a report; this adds questions, the relay in both directions, WhatsApp,
``pg_dump`` of the PostgreSQL schema, other spellings of the number, and the logs at DEBUG.
"""

from __future__ import annotations

import io
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.cases.models import Referral
from tests.conftest import PG_URL
from tests.portal.conftest import csrf_from, text
from tests.reports.chat import file_report
from tests.reports.test_reports_db import _dump
from tests.security.probes import bodies_to, phone_pattern

SMS_WORKER, WHATSAPP_WORKER = "+15195550100", "whatsapp:+15195550102"
ANA = "ana@ngo-on.example.org"
QUESTION = "cuánto me deben pagar por hora en Ontario"
WHATSAPP_QUESTION = "donde puedo ver a un doctor sin tarjeta de salud"
EMPLOYER, TOWN = "Invernaderos Tres Hermanos", "Kingsville"
STAFF_REPLY = (
    "Hola, soy Ana. ¿Te pagaron las horas extra del sabado?"  # GSM-7: SMS carries it as is
)
WORKER_ANSWER = "No, y el patrón se quedó con mi pasaporte"
WRITTEN = [
    QUESTION,
    WHATSAPP_QUESTION,
    EMPLOYER,
    TOWN,
    STAFF_REPLY,
    WORKER_ANSWER,
    "horas extra del sábado",
    "se quedó con mi pasaporte",
    "sin tarjeta de salud",
]


def _journey(portal) -> None:
    bot, twilio = portal.bot, portal.bot.twilio
    bot.send(QUESTION, sender=SMS_WORKER)
    bot.send(WHATSAPP_QUESTION, sender=WHATSAPP_WORKER)
    file_report(bot, SMS_WORKER, "es", answers={"employer": EMPLOYER, "where": TOWN})
    with portal.runtime.db.session() as session:
        referral_id = session.scalar(select(Referral.id))
    ana = portal.logged_in(ANA)
    for action, data in (("acknowledge", {}), ("reply", {"body": STAFF_REPLY})):
        token = csrf_from(text(ana.get(f"/portal/cases/{referral_id}")))
        assert (
            ana.post(
                f"/portal/cases/{referral_id}/{action}", data={**data, "csrf_token": token}
            ).status_code
            == 302
        )
    assert any(STAFF_REPLY in body for body in bodies_to(twilio, SMS_WORKER))
    bot.send(WORKER_ANSWER, sender=SMS_WORKER)
    assert WORKER_ANSWER in text(ana.get(f"/portal/cases/{referral_id}"))  # it went where it should


def _database_copy(database_url: str) -> str:
    """What leaves with a copy of the database: the raw SQLite files, or pg_dump of the schema."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")).decode(
            "utf-8", "replace"
        )
    url = make_url(PG_URL)
    schema = database_url.rsplit("%3D", 1)[1]
    dump = subprocess.run(
        [
            "pg_dump",
            "-h",
            url.host,
            "-p",
            str(url.port or 5432),
            "-U",
            url.username,
            "-n",
            schema,
            url.database,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "COPY " in dump.stdout and "inbound_messages" in dump.stdout
    return dump.stdout


def _assert_no_trace(where: str, haystack: str) -> None:
    for number in (SMS_WORKER, WHATSAPP_WORKER):
        found = phone_pattern(number).search(haystack)
        assert found is None, (
            f"{number} in the {where}: ...{haystack[max(found.start() - 80, 0) : found.end() + 20]}"
        )
    folded = haystack.casefold()
    for written in WRITTEN:
        assert written.casefold() not in folded, f"{written!r} in the {where}"


@pytest.fixture
def app_log() -> Iterator[io.StringIO]:
    """What the app's own log handler (bot.logs.configure: redacting, to stderr) writes."""
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_puente", False)]
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


def test_no_number_or_message_text_in_a_database_copy_or_the_logs(
    portal, database_url, caplog, app_log
):
    caplog.set_level(logging.DEBUG)
    # The test's SMTP server (aiosmtpd) logs each line of the NGO's referral e-mail at DEBUG; it is
    # the NGO's inbox, not Puente.
    caplog.set_level(logging.INFO, logger="mail.log")
    _journey(portal)
    copy = _database_copy(database_url)
    assert len(copy) > 10_000
    _assert_no_trace("database copy", copy)
    _assert_no_trace("table dump", _dump(database_url))
    logged = caplog.text
    assert "bot." in logged  # the app did log, at DEBUG
    _assert_no_trace("captured log records", logged)
    assert "bot." in app_log.getvalue()
    _assert_no_trace("app's log output", app_log.getvalue())
