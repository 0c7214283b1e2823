"""The NLU reads a message in the conversation's context (the last topic and its slots)."""

from __future__ import annotations

import pytest

from nlu.context import apply

AFTER_WAGES = {"topic": "ask_wages", "slots": {"province": "ON"}}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("y en bc?", "BC"),
        ("and manitoba?", "MB"),
        ("eh sa alberta po?", "AB"),
        ("sa manitoba po?", "MB"),
        ("what about caregivers?", "caregiving"),
        ("y para los del campo?", "agriculture"),
    ],
)
def test_a_message_that_only_names_a_place_or_sector_is_a_follow_up(interpreter, text, value):
    parse = interpreter.parse(text, context=AFTER_WAGES)
    assert parse.intent == "inform"
    assert value in [e.value for e in parse.spans]


@pytest.mark.parametrize("text", ["q hago", "what do i do", "ano gagawin ko", "is that legal?"])
def test_what_do_i_do_asks_for_the_next_step(interpreter, text):
    assert interpreter.parse(text, context=AFTER_WAGES).intent == "ask_next_step"


def test_a_new_question_with_a_place_is_still_that_question(interpreter):
    parse = interpreter.parse("cuanto pagan las horas extras en manitoba", context=AFTER_WAGES)
    assert parse.intent == "ask_hours"


def parse_of(ranking: list[tuple[str, float]], entities: list[dict], text: str = "and bc") -> dict:
    ranked = [{"name": n, "confidence": c} for n, c in ranking]
    return {
        "text": text,
        "intent": dict(ranked[0]),
        "intent_ranking": ranked,
        "entities": entities,
        "language": "en",
    }


BC = [{"entity": "province", "value": "BC", "start": 4, "end": 6, "extractor": "test"}]


def test_safety_and_command_intents_are_never_read_as_a_follow_up():
    for intent in ("emergency", "opt_out", "delete_data", "report_abuse"):
        parse = parse_of([(intent, 0.3), ("inform", 0.2)], BC)
        assert apply(parse, AFTER_WAGES)["intent"]["name"] == intent


def test_without_a_topic_the_parse_is_unchanged():
    parse = parse_of([("nlu_fallback", 0.3), ("inform", 0.2)], BC)
    assert apply(parse, None) == parse and apply(parse, {"topic": None}) == parse


def test_the_active_topic_wins_a_near_tie_between_topics():
    parse = parse_of([("ask_hours", 0.40), ("ask_wages", 0.30)], [], "cuanto es")
    assert apply(parse, AFTER_WAGES)["intent"]["name"] == "ask_wages"
    clear = parse_of([("ask_hours", 0.80), ("ask_wages", 0.10)], [], "overtime")
    assert apply(clear, AFTER_WAGES)["intent"]["name"] == "ask_hours"


def test_the_topic_just_answered_asked_again_with_a_what_to_do_is_the_next_step():
    """ "a donde llamo si no me lo pagan" after the wage answer: wages 0.33, next step 0.24."""
    parse = parse_of([("ask_wages", 0.33), ("ask_next_step", 0.24)], [], "a donde llamo")
    assert apply(parse, AFTER_WAGES)["intent"]["name"] == "ask_next_step"
    assert apply(parse, None)["intent"]["name"] == "ask_wages"  # no answer before it
    again = parse_of([("ask_wages", 0.70), ("ask_next_step", 0.10)], [], "and overtime pay")
    assert apply(again, AFTER_WAGES)["intent"]["name"] == "ask_wages"


@pytest.mark.parametrize(
    ("text", "intent", "province"),
    [
        ("about the pay, im in quebec", "ask_wages", "QC"),
        (
            "im in new brunswick, hurt my back lifting crates last week, who pays",
            "ask_injury",
            "NB",
        ),
        ("ando malo del estomago puedo faltar? trabajo en leamington", "ask_sick", "ON"),
        ("i have a fever and my boss says i must work im in manitoba", "ask_sick", "MB"),
        (
            "tengo fiebre y el patron dice que tengo que ir a trabajar, estoy en manitoba",
            "ask_sick",
            "MB",
        ),
    ],
)
def test_a_question_that_names_a_province_is_the_question_with_the_province(
    interpreter, text, intent, province
):
    parse = interpreter.parse(text)
    assert parse.intent == intent
    assert province in [e.value for e in parse.spans]
    assert parse.margin >= 0.1  # acted on, not a did-you-mean


@pytest.mark.parametrize(
    "text",
    [
        "im in ontario",
        "estoy en leamington",
        "nasa ontario ako",
        "trabajo en bc en un invernadero",
        "i am a farm worker in ontario",
    ],
)
def test_a_message_that_only_gives_a_place_stays_inform(interpreter, text):
    assert interpreter.parse(text).intent == "inform"
