"""Repeat-employer alerts from reports filed through the webhook: one alert per employer, however
it is spelled, once enough different workers name it; counts, types and province, never who."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cases import repeat
from bot.cases.alerts import subject_of
from bot.cases.models import AdminAlert, EmployerMention
from bot.store.db import utcnow
from tests.reports.chat import file_report
from tests.support.ngo_receivers import MailReceiver
from tests.support.services import wait_until

SPELLINGS = ["Granja Los Pinos Ltd", "granja los pinos", "Los Pinos farm"]
WORKERS = ["+15195550101", "+15195550102", "+15195550103"]


@pytest.fixture
def mail():
    with MailReceiver() as receiver:
        yield receiver


def alerts_of(bot) -> list[AdminAlert]:
    with bot.runtime.db.session() as session:
        return list(session.scalars(select(AdminAlert).where(AdminAlert.kind == repeat.KIND)))


def test_one_employer_spelled_three_ways_by_three_workers_raises_one_alert(
    make_bot, database_url, mail
):
    bot = make_bot(
        database_url,
        smtp__host="127.0.0.1",
        smtp__port=mail.port,
        smtp__starttls=False,
        routing__admin_alert_emails=["admins@puente.example"],
    )
    for worker, spelling in zip(WORKERS[:2], SPELLINGS[:2], strict=True):
        file_report(bot, worker, "es", answers={"employer": spelling})
    assert alerts_of(bot) == []

    file_report(bot, WORKERS[2], "es", answers={"employer": SPELLINGS[2]})

    [alert] = alerts_of(bot)
    assert (
        alert.province == "ON" and alert.detail["reporters"] == 3 and alert.detail["reports"] == 3
    )
    assert alert.detail["types"] == {"housing": 3, "wages": 3}
    assert subject_of(bot.runtime, alert)["name"] in SPELLINGS
    assert "Pinos" not in str(alert.detail) and "Pinos" not in (alert.subject_enc or "")
    [message] = wait_until(
        lambda: [m for m in mail.messages if "repeat employer" in m["Subject"]], 5, "the alert"
    )
    body = message.get_body(("plain",)).get_content()
    assert "Reporters: 3" in body and "ON" in body
    assert not any(worker[2:] in body for worker in WORKERS)

    file_report(bot, "+15195550104", "es", answers={"employer": "GRANJA LOS PINOS"})
    [grown] = alerts_of(bot)
    assert grown.id == alert.id and grown.detail["reporters"] == 4


def test_one_worker_reporting_three_times_raises_no_alert(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, messages__flood_limit_per_minute=200)  # three reports in a minute
    for spelling in SPELLINGS:
        file_report(bot, WORKERS[0], "es", answers={"employer": spelling})
    assert alerts_of(bot) == []


def test_different_employers_raise_no_alert(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    for worker, employer in zip(
        WORKERS, ["Granja Los Pinos", "Rancho El Roble", "Mucci Farms"], strict=True
    ):
        file_report(bot, worker, "es", answers={"employer": employer})
    assert alerts_of(bot) == []


def test_mentions_older_than_the_window_do_not_count(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, reports__alert_window_days=90)
    for worker, spelling in zip(WORKERS, SPELLINGS, strict=True):
        file_report(bot, worker, "es", answers={"employer": spelling})
    with bot.runtime.db.session() as session:
        session.query(AdminAlert).delete()
        oldest = session.scalars(select(EmployerMention).order_by(EmployerMention.id)).first()
        oldest.created_at = utcnow() - timedelta(days=120)
    assert repeat.check(bot.runtime) == []
