"""WhatsApp's tappable answers through the signed webhook: where a Content template is configured
for a question, a WhatsApp worker gets it as ContentSid + ContentVariables in their language, and
a tap (ButtonPayload) is read as that option; without one, and always on SMS, numbered text."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from bot.text.content import title

WORKER = "whatsapp:+15195550177"
MENU_SID = "HX" + "a1" * 16
YESNO_SID = "HX" + "b2" * 16
TEMPLATES = {"menu.main": MENU_SID, "yesno": YESNO_SID}
GREETING = {"es": "hola", "tl": "kumusta po", "en": "hello"}
MENU = ("rights", "report", "ngo", "case", "agent", "language")


def turn(bot, text: str, sender: str = WORKER, **extra) -> list:
    """The messages Twilio was asked to send the worker for one message."""
    start = len(bot.twilio.messages)
    assert bot.send(text, sender=sender, **extra).status_code == 200
    return [m for m in bot.twilio.messages[start:] if m.to == sender]


def menu_of(messages: list) -> object:
    (menu,) = [m for m in messages if m.content_sid == MENU_SID]
    return menu


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_the_menu_is_a_list_in_the_workers_language_and_a_tap_picks_that_option(
    make_bot, sqlite_url, language
):
    bot = make_bot(sqlite_url, whatsapp__content_templates=TEMPLATES)
    tr = catalogs.translator(language)
    menu = menu_of(turn(bot, GREETING[language]))
    labels = [tr.gettext(f"menu.option.{name}") for name in MENU]
    # A list is tapped, so its question does not say to reply with a number as the SMS one does.
    assert menu.body == "" and menu.variables["1"] == tr.gettext("menu.main.tap") != tr.gettext(
        "menu.main"
    )
    assert menu.variables["2"] == tr.gettext("whatsapp.list_button")
    for n, (name, label) in enumerate(zip(MENU, labels, strict=True), start=1):
        assert [menu.variables[str(3 * n + k)] for k in range(3)] == [title(label), name, label]
    assert str(3 * len(MENU) + 3) not in menu.variables  # nothing beyond the six options

    # The worker taps "Know my rights": Twilio posts the button's title as Body, its id as ButtonPayload.
    (topics,) = turn(bot, title(labels[0]), ButtonPayload="rights", ButtonText=title(labels[0]))
    assert topics.content_sid is None and tr.gettext("topics.ask") in topics.body


def test_a_tap_on_a_cut_title_without_a_payload_and_a_typed_number_still_pick_the_option(
    make_bot, sqlite_url
):
    bot = make_bot(sqlite_url, whatsapp__content_templates=TEMPLATES)
    tr = catalogs.translator("es")
    menu_of(turn(bot, "hola"))
    ngo = tr.gettext("menu.option.ngo")
    assert title(ngo).endswith("\u2026")  # "Buscar un grupo de…": cut to fit a button
    asked = "\n".join(m.body for m in turn(bot, title(ngo)))  # a list reply: only the title as Body
    assert tr.gettext("province.ask.person")[:30] in asked

    menu_of(turn(bot, "menu"))
    (topics,) = turn(bot, "1")
    assert tr.gettext("topics.ask") in topics.body


def test_a_yes_no_question_gets_buttons_and_the_no_button_answers_it(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, whatsapp__content_templates=TEMPLATES)
    tr = catalogs.translator("en")
    turn(bot, "hello")
    (question,) = [m for m in turn(bot, "DELETE") if m.content_sid == YESNO_SID]
    assert question.variables["1"] == tr.gettext("erase.ask.confirm")
    no = tr.gettext("erase.option.no")
    assert [question.variables[k] for k in ("4", "7", "8")] == ["yes", "no", no]
    kept = "\n".join(m.body for m in turn(bot, title(no), ButtonPayload="no", ButtonText=title(no)))
    assert tr.gettext("erase.cancelled")[:20] in kept


def test_without_a_template_whatsapp_gets_numbered_text_as_before(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    messages = turn(bot, "hola")
    assert all(m.content_sid is None for m in messages)
    menu = "\n".join(m.body for m in messages)
    label = catalogs.translator("es").gettext("menu.option.rights")
    assert f"1. {label}" in menu


def test_sms_never_gets_a_template(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, whatsapp__content_templates=TEMPLATES)
    messages = turn(bot, "hello", sender="+15195550178")
    assert messages and all(m.content_sid is None and m.body for m in messages)
    assert "1. Know my rights" in "\n".join(m.body for m in messages)
