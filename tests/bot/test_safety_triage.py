"""Safety first, through the signed webhook with the real NLU and safety triage: a worker in danger
gets the reply of their kind of danger before anything else, in any state; an ordinary message (a
province, "help") never gets an emergency; erase and opt-out never follow an unsure message."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from tests.support.sms import sms_text

WORKER = "+15195550101"


def opening(msgid: str, language: str, **params: str) -> str:
    """The first words of a message in a language, as the first SMS page must start with them."""
    return sms_text(language, msgid, **params)[:60]


def said(twilio, count: int) -> list[str]:
    return [m.body for m in twilio.wait_for_messages(count)]


# The examples of issue 20, and more written the way workers text.
DANGER = [
    ("el mayordomo me dio una cachetada", "es", "triage.danger"),
    ("el supervisor me golpio en la cara", "es", "triage.danger"),
    ("sinampal ako ng amo ko", "tl", "triage.danger"),
    ("the supervisor punched me in the face", "en", "triage.danger"),
    ("nos tienen encerrados en la granja", "es", "triage.confinement"),
    ("they locked us in the bunkhouse", "en", "triage.confinement"),
    ("hinahipuan ako ng amo ko", "tl", "triage.sexual"),
    ("el encargado me manosea", "es", "triage.sexual"),
    ("me quiero morir ya no aguanto", "es", "triage.suicide"),
    ("ayoko na mabuhay", "tl", "triage.suicide"),
    ("i want to kill myself", "en", "triage.suicide"),
    ("me corte la mano con la maquina y sangra mucho", "es", "triage.injury"),
    ("nahulog ako sa hagdan dumudugo ulo ko", "tl", "triage.injury"),
]


@pytest.mark.parametrize("text, language, msgid", DANGER)
def test_the_first_message_in_danger_gets_its_own_safety_reply_first(
    make_bot, sqlite_url, twilio, text, language, msgid
):
    bot = make_bot(sqlite_url)
    bot.send(text, sender=WORKER)
    first = said(twilio, 1)[0]
    assert first.startswith(opening(msgid, language))


@pytest.mark.parametrize(
    "text, language",
    [("me quiero morir ya no aguanto", "es"), ("ayoko na mabuhay", "tl"), ("i want to die", "en")],
)
def test_thoughts_of_suicide_get_the_crisis_line_and_no_menu_stop_or_erase_offer(
    make_bot, sqlite_url, twilio, text, language
):
    bot = make_bot(sqlite_url)
    bot.send(
        "hola" if language == "es" else "kumusta po" if language == "tl" else "hello", sender=WORKER
    )
    said(twilio, 1)
    bot.send(text, sender=WORKER)
    reply = said(twilio, 2)[1]
    assert "988" in reply.split(".")[0]
    tr = catalogs.translator(language)
    for msgid in ("menu.main", "optout.ask.confirm", "erase.ask.confirm", "clarify.ask"):
        assert tr.gettext(msgid)[:30] not in reply


def test_danger_mid_report_comes_first_and_the_report_goes_on(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    for text in ("hola", "2", "1"):
        bot.send(text, sender=WORKER)
    said(twilio, 3)
    bot.send("el patron me pego ayer en la cara", sender=WORKER)
    reply = said(twilio, 4)[3]
    assert reply.startswith(opening("triage.danger", "es"))


def test_an_injury_names_the_province_board_and_its_line(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    bot.send("hola estoy en ontario", sender=WORKER)
    said(twilio, 1)
    bot.send("me cai del techo y sangro mucho", sender=WORKER)
    reply = said(twilio, 2)[1]
    assert reply.startswith(
        opening("triage.injury.board", "es", board="WSIB", phone="1-800-387-0750")
    )
    bot.send("MAS", sender=WORKER)
    assert "1-800-387-0750" in reply + said(twilio, 3)[2]


def test_after_stop_the_bot_stays_silent_even_in_danger_until_the_worker_opts_in(
    make_bot, sqlite_url, twilio
):
    bot = make_bot(sqlite_url)
    bot.send("hola", sender=WORKER, to=None)
    said(twilio, 1)
    bot.send("BAJA", sender=WORKER)
    said(twilio, 2)
    bot.send("me quiero morir", sender=WORKER)
    bot.send("me estan golpeando", sender=WORKER)
    bot.send("INICIO", sender=WORKER)
    replies = said(twilio, 3)
    assert len(twilio.messages) == 3 and not any("911" in r or "988" in r for r in replies[2:])


@pytest.mark.parametrize(
    "text",
    [
        "estoy en ontario",
        "im in ontario",
        "nasa ontario ako",
        "ayuda",
        "help",
        "tulong po",
        "estoy en nueva escocia",
        "trabajo en invernadero",
    ],
)
def test_a_province_a_sector_or_help_is_never_an_emergency(make_bot, sqlite_url, twilio, text):
    bot = make_bot(sqlite_url)
    bot.send(text, sender=WORKER)
    bot.send("cuanto es el salario minimo" if "o" in text else "magkano ang sahod", sender=WORKER)
    assert not any("911" in body or "1-833-900-1010" in body for body in said(twilio, 2))


@pytest.mark.parametrize(
    "text, language",
    [
        ("whats the number for labour standards in pei", "en"),
        ("kelan ang sweldo namin sa pei", "tl"),
    ],
)
def test_an_unsure_message_never_reaches_the_erase_or_stop_confirmation(
    make_bot, sqlite_url, twilio, text, language
):
    bot = make_bot(sqlite_url)
    bot.send(text, sender=WORKER)
    reply = said(twilio, 1)[0]
    tr = catalogs.translator(language)
    for msgid in ("erase.ask.confirm", "optout.ask.confirm"):
        assert tr.gettext(msgid)[:30] not in reply
