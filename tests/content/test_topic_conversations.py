"""Rights answers as conversations: a worker asks, the bot answers with the right facts, in the
worker's language, on SMS and WhatsApp, and every answer leads to a next step.

Runs the real engine over the real flows (topics included) and renders each turn as the bot does
(bot.conversation.dialogue.compose, then bot.text.render's prepare, pack and take), with the
translator in strict mode so a missing translation or an empty fact fails the test.
"""

from __future__ import annotations

import re

import pytest

import flows
from bot.conversation import dialogue
from bot.settings import SmsSettings
from bot.text import catalogs
from bot.text.render import fitter, pack, prepare, sms_text, take
from bot.text.segments import count_segments, is_gsm7
from flows.facts import PROVINCES
from tests.flows.chat import Chat, says

LANGUAGES = ("es", "tl", "en")
CHANNELS = ("sms", "whatsapp")
TOPICS = (
    "wages",
    "hours",
    "housing",
    "health",
    "permit",
    "fees",
    "documents",
    "safety",
    "retaliation",
)
TIP_LINE = "1-866-602-9448"

#: Words that would alarm someone glancing at the worker's phone: never in an answer's first words.
ALARMING = re.compile(
    r"abus|maltrat|trafic|trata|deport|polic|denunc|represal|explot|peligr|danger|panganib|reklamo|"
    r"complain|report|ilegal|illegal",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def engine() -> flows.Engine:
    return flows.load_engine()


@pytest.fixture(autouse=True)
def strict_words(monkeypatch: pytest.MonkeyPatch):
    strict = catalogs.translator
    monkeypatch.setattr(
        catalogs, "translator", lambda lang, **kw: strict(lang, **{**kw, "strict": True})
    )


def started(engine, language: str, channel: str = "sms") -> Chat:
    chat = Chat(engine, channel=channel, language=language)
    chat.send(says("hola", "greet", language=language))
    return chat


def ask(
    engine, topic: str, language: str, province: str | None = "ON", channel: str = "sms"
) -> tuple[Chat, list[str]]:
    chat = started(engine, language, channel)
    entities = {"province": province} if province else {}
    result = chat.send(says("pregunta", f"ask_{topic}", language=language, entities=entities))
    if result.msgids == ["province.ask"]:
        result = chat.send(says("SALTAR", language=language))
    return chat, [dialogue.compose(reply, language) for reply in result.replies]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wage_question_gets_the_province_rate_its_date_and_the_office_line(
    engine, language, channel
):
    _, texts = ask(engine, "wages", language, "ON", channel)
    answer = texts[0]
    assert "$17.95" in answer and catalogs.format_date("2026-10-01", language) in answer
    assert "Employment Standards Information Centre, 1-800-531-5551" in answer
    options = ("topic.opt.pay", "next.option.report", "next.option.ngo")
    assert texts[1].splitlines()[1:] == [
        f"{n}. {catalogs.translator(language).gettext(m)}" for n, m in enumerate(options, start=1)
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_topic_is_answered_in_the_workers_language_in_every_province(engine, language):
    other = {"es": "Here is", "en": "Te paso", "tl": "Te paso"}[language]
    for topic in TOPICS:
        for province in (*PROVINCES, None):
            _, texts = ask(engine, topic, language, province)
            assert texts and all(other not in t for t in texts), (topic, province)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_answer_starts_with_words_that_would_alarm_someone_reading_over_the_shoulder(
    engine, language
):
    for topic in TOPICS:
        _, texts = ask(engine, topic, language, "BC")
        first_words = texts[0][:45]
        assert not ALARMING.search(first_words), (topic, first_words)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_passport_question_gets_the_federal_tip_line(engine, language):
    _, texts = ask(engine, "documents", language, None)
    assert TIP_LINE in texts[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_answer_ends_with_a_next_step(engine, language):
    for topic in TOPICS:
        chat, texts = ask(engine, topic, language, "MB")
        assert chat.last.replies[-1].options, topic  # numbered: report, organization, ...
        labels = {o.msgid for o in chat.last.replies[-1].options}
        assert {"next.option.report", "next.option.ngo"} <= labels, topic


@pytest.mark.parametrize("language", LANGUAGES)
def test_recruitment_fees_in_quebec_point_to_cnesst(engine, language):
    _, texts = ask(engine, "fees", language, "QC")
    assert "CNESST" in texts[0] and "1-844-838-0808" in texts[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_where_a_fact_is_unverified_the_answer_says_where_to_ask_instead(engine, language):
    _, wages_nt = ask(engine, "wages", language, "NT")
    assert (
        "$16.95" in wages_nt[0]
        and "NWT Employment Standards Office" in wages_nt[0]
        and TIP_LINE in wages_nt[0]
    )
    assert "1-888-700-5707" not in wages_nt[0]
    chat, _ = ask(engine, "health", language, "YT")
    injury = chat.send(says("1", language=language))
    assert injury.msgids[0] == "topic.health.injury_general"
    chat, _ = ask(engine, "health", language, "ON")
    injury = chat.send(says("1", language=language))
    assert "WSIB" in dialogue.compose(injury.replies[0], language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_projected_rate_is_stated_as_of_its_date(engine, language):
    _, texts = ask(engine, "wages", language, "SK")
    as_of = {
        "es": "Al 1 de octubre de 2025",
        "tl": "As of Oktubre 1, 2025",
        "en": "As of October 1, 2025",
    }[language]
    assert texts[0].startswith(as_of) and "$15.35" in texts[0] and "1-800-667-1783" in texts[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_worker_who_skips_the_province_gets_a_general_answer_with_an_official_line(
    engine, language
):
    _, texts = ask(engine, "wages", language, None)
    assert TIP_LINE in texts[0] and "$" not in texts[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_worker_who_only_sends_numbers_reaches_the_detail_of_an_answer(engine, language):
    chat = started(engine, language)
    chat.script(
        [
            ("1", ["topics.ask"]),
            ("1", ["province.ask"]),
            ("ont", ["topic.wages.answer", "next.ask"]),  # on SMS the province is typed, not listed
            ("1", ["topic.wages.pay", "next.ask"]),
            ("3", ["topics.ask"]),
        ]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_emergency_path_puts_911_and_the_trafficking_hotline_first(engine, language):
    chat = started(engine, language)
    result = chat.send(says("me tienen encerrado", "emergency", language=language))
    first = dialogue.compose(result.replies[0], language)
    assert result.msgids[0] == "emergency.message"
    assert "911" in first and "1-833-900-1010" in first


def sms_turn(texts: list[str], language: str) -> tuple[list[str], list[str]]:
    """(messages sent, messages held for MORE) for a turn's replies on SMS with the default
    settings but no transliteration, as bot.conversation.dialogue's render_replies and hold."""
    sms = SmsSettings()
    fits = fitter("sms", sms.segment_budget)
    hint = prepare(catalogs.translator(language).gettext("paging.more"), "sms")
    messages = pack([prepare(text, "sms") for text in texts], fits)
    return take(messages, fits, hint, sms.messages_per_turn)


@pytest.mark.parametrize("language", ["tl", "en"])
def test_an_answer_and_its_next_steps_fit_one_sms_of_three_segments(engine, language):
    for topic in TOPICS:
        for province in (*PROVINCES, None):
            _, texts = ask(engine, topic, language, province)
            assert count_segments(sms_text("\n\n".join(texts))) <= 3, (topic, province)


def test_spanish_answers_fit_one_sms_unless_a_province_name_needs_an_accent(engine):
    """Spanish answers avoid accented words where a plain one exists (GSM-7: 153 characters a
    segment instead of 67); only a province name with an accent (Columbia Británica, Isla del
    Príncipe Eduardo, Yukón) may push an answer into UCS-2 and a second page."""
    es = catalogs.translator("es")
    for topic in TOPICS:
        for province in (*PROVINCES, None):
            _, texts = ask(engine, topic, "es", province)
            text = sms_text("\n\n".join(texts))
            if count_segments(text) > 3:
                name = es.gettext(f"province.{province}")
                assert is_gsm7(text.replace(name, "")), (topic, province)
                sent, held = sms_turn(texts, "es")
                assert len(sent) == 2 and held == [], (topic, province)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_menus_fit_one_sms_in_every_language(engine, language):
    chat = started(engine, language)
    assert chat.last.msgids[-1] == "menu.main"
    menus = {"menu": chat.last}
    menus["topics"] = chat.send(says("1", language=language))
    chat.send(says("2", language=language))
    menus["next"] = chat.send(says("SALTAR", language=language))  # hours, province skipped
    for name, result in menus.items():
        text = "\n\n".join(dialogue.compose(r, language) for r in result.replies)
        assert count_segments(sms_text(text)) <= 3, (name, text)
        assert is_gsm7(sms_text(text)), (name, text)
