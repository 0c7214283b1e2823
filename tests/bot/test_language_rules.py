"""Language through the signed webhook with the real NLU: a message with no language in it never
sets one, a Taglish paragraph is answered in Tagalog, "english please" is honoured at once, and an
English name typed inside a report asks nothing about language."""

from __future__ import annotations

from bot.text import catalogs

WORKER = "+15195550101"


def replies(twilio, count: int) -> list[str]:
    return [m.body for m in twilio.wait_for_messages(count)]


def language_of(bot, text: str) -> str:
    return bot.runtime.interpreter.parse(text).language


def test_emoji_first_then_a_taglish_paragraph_is_answered_in_tagalog(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    bot.send("🙏🙏🙏", sender=WORKER)
    replies(twilio, 1)
    bot.send(
        "hello po, yung employer namin hindi nagbabayad ng tamang sahod, ano po ang pwede "
        "naming gawin kasi natatakot kami",
        sender=WORKER,
    )
    answer = replies(twilio, 2)[1]
    assert language_of(bot, answer) == "tl"
    assert catalogs.translator("es").gettext("lang.offer")[:15] not in answer


def test_english_please_inside_a_spanish_conversation_switches_at_once(
    make_bot, sqlite_url, twilio
):
    bot = make_bot(sqlite_url)
    for text in ("hola buenas tardes", "2"):
        bot.send(text, sender=WORKER)
    replies(twilio, 2)
    bot.send("english please", sender=WORKER)
    answer = replies(twilio, 3)[2]
    assert answer.startswith(catalogs.translator("en").gettext("lang.changed"))


def test_an_english_employer_name_in_a_spanish_report_asks_nothing_about_language(
    make_bot, sqlite_url, twilio
):
    bot = make_bot(sqlite_url)
    for text in ("hola buenas tardes", "2", "1"):
        bot.send(text, sender=WORKER)
    replies(twilio, 3)
    bot.send("Sunny Valley Greenhouses Limited", sender=WORKER)
    answer = replies(twilio, 4)[3]
    for language in ("en", "es"):
        assert catalogs.translator(language).gettext("lang.offer")[:12] not in answer
    assert language_of(bot, answer) == "es"
