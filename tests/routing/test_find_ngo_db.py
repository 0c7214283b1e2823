"""find_ngo (who can help near me) and AGENT (talk to an organization through Puente), via the webhook."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cases.models import Referral, Report
from bot.directory import store
from bot.text import catalogs
from bot.text.segments import transliterate_gsm7
from tests.reports.chat import CODE, GREETING, pending_step
from tests.support.ngo_receivers import WebhookReceiver, directory_yaml, ngo_entry

WORKER = "+15195550101"
FIND_OPTION = "3"  # main menu: find an organization near me


def sent(text: str) -> str:
    """A catalog text as SMS carries it (sms.transliterate, on by default)."""
    return transliterate_gsm7(text)


def ask(bot, text: str, sender: str = WORKER) -> list[str]:
    start = len(bot.twilio.messages)
    bot.send(text, sender=sender)
    return [m.body for m in bot.twilio.messages[start:] if m.to == sender]


def answer_province(bot, province: str = "ON", sender: str = WORKER) -> list[str]:
    flow, step = pending_step(bot, sender)
    return ask(bot, province, sender) if step in ("province", "ask") or flow == "province" else []


def test_find_ngo_names_organizations_serving_the_workers_province(make_bot, database_url):
    bot = make_bot(database_url)  # the seed directory
    ask(bot, GREETING["es"])
    replies = ask(bot, FIND_OPTION) + answer_province(bot, "ON")
    text = "\n".join(replies)
    es = catalogs.translator("es")
    assert sent(es.gettext("ngo.found")) in text and sent(es.gettext("ngo.contact_offer")) in text
    assert "FCJ Refugee Centre" in text and "Migrant Workers Alliance for Change (MWAC)" in text
    assert "MOSAIC" not in text and "RATTMAQ" not in text  # BC and Quebec
    assert "@example.org" not in text  # referral channels are not for workers


def test_find_ngo_where_nobody_serves_falls_back_to_the_national_line(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, GREETING["en"])
    text = "\n".join(ask(bot, FIND_OPTION) + answer_province(bot, "NU"))
    assert "Puente program team" in text


@pytest.fixture
def webhook():
    with WebhookReceiver("agent-ngo-shared-secret-0123456789") as receiver:
        yield receiver


def test_agent_asks_the_matched_organization_to_write_to_the_worker(
    make_bot, sqlite_url, tmp_path, webhook
):
    bot = make_bot(sqlite_url, routing__seed_directory=None)
    path = tmp_path / "ngos.yaml"
    path.write_text(
        directory_yaml(
            ngo_entry(
                "first-centre",
                languages=("es",),
                webhook_url=webhook.url,
                webhook_secret=webhook.secret,
            )
        )
    )
    with bot.runtime.db.session() as session:
        store.import_file(session, bot.runtime.vault, path)
    ask(bot, GREETING["es"])
    replies = ask(bot, "AGENTE") + answer_province(bot, "ON")
    es = catalogs.translator("es")
    [code] = CODE.findall(replies[-1])
    assert replies[-1].endswith(
        sent(es.gettext("agent.requested", code=code, ngo="First Centre Workers Centre", hours=24))
    )
    [delivery] = webhook.wait_for(1)
    assert delivery.signed and delivery.json["contact_request"] is True
    assert (
        delivery.json["case"]["kind"] == "contact_request"
        and "5195550101" not in delivery.body.decode()
    )
    with bot.runtime.db.session() as session:
        report = session.scalar(select(Report))
        referral = session.scalar(select(Referral))
        assert report.kind == "contact_request" and report.contact_pref == "anonymous"
        assert referral.contact_request is True and referral.ngo_id == "first-centre"
    # While staff have not answered, every message is acknowledged, never met with silence.
    # (First in its message: an offer to switch to Tagalog may follow it.)
    for text in ("hola? hay alguien?", "may tao na po ba?"):
        assert ask(bot, text)[-1].startswith(sent(es.gettext("relay.passed_on")))
    ask(bot, "MENU")
    assert ask(bot, "AGENTE")[-1].endswith(sent(es.gettext("agent.already")))
    with bot.runtime.db.session() as session:
        assert len(session.scalars(select(Report)).all()) == 1
