"""What the flows rely on: a well-formed parse for any text, entities, a sticky language."""

from __future__ import annotations

import pytest

import nlu
import vocab
from tests.support.models import MODEL_CACHE
from vocab.parse import Parse

BAD_INPUT = [
    "",
    "   \n\t ",
    "😀🙏🔥",
    "hola " * 1000,
    "a" * 5000,
    "\x00\x01\xff\ufffd\x7f" * 20,
    bytes(range(256)).decode("latin-1"),
    "привет 你好 مرحبا hola",
    "\ud800 lone surrogate",
    '[fake](annotation) {"entity": 1}',
]


def assert_parse_shape(parse: Parse, text: str) -> None:
    assert parse.text == text
    assert parse.intent in vocab.INTENTS
    assert 0.0 <= parse.confidence <= 1.0
    assert parse.ranking[0] == (parse.intent, parse.confidence)
    assert parse.language in ("es", "tl", "en")
    for entity in parse.spans:
        assert 0 <= entity.start < entity.end <= len(text)


@pytest.mark.parametrize("text", BAD_INPUT)
def test_bad_input_gets_a_valid_parse_never_an_exception(interpreter, text):
    assert_parse_shape(interpreter.parse(text), text)
    assert_parse_shape(interpreter.parse(text, language_hint="tl"), text)


@pytest.mark.parametrize("text", ["", "  ", "😀🙏", "\x00\x01\x02\x03"])
def test_nothing_to_understand_is_nlu_fallback_in_the_conversation_language(interpreter, text):
    parse = interpreter.parse(text, language_hint="tl")
    assert parse.intent == "nlu_fallback"
    assert parse.language == "tl"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("😢😢", "distress"),
        ("😭", "distress"),
        ("💔 😞", "distress"),
        ("🙁🏽", "distress"),
        ("🆘", "emergency"),
        ("🚨🆘", "emergency"),
        ("😢🆘", "nlu_fallback"),
        ("👍", "nlu_fallback"),
        ("😢 ok", None),
    ],
)
def test_emoji_alone_say_sadness_or_an_sos(interpreter, text, intent):
    """Before, "😢😢" got "sorry, I didn't understand" and the menu. Two meanings, an emoji not
    listed or a word beside them: the classifier decides as for any message."""
    parse = interpreter.parse(text, language_hint="tl")
    assert parse.language == "tl"
    if intent is None:
        assert parse.intent != "distress" or parse.confidence < 1.0
    else:
        assert parse.intent == intent


def test_unknown_hint_is_ignored(interpreter):
    assert interpreter.parse("hello", language_hint="fr").language == "en"


def test_leamington_is_ontario(interpreter):
    parse = interpreter.parse("trabajo en una granja en Leamington y no me pagan")
    provinces = [e for e in parse.spans if e.entity == "province"]
    assert [(e.value, parse.text[e.start : e.end]) for e in provinces] == [("ON", "Leamington")]
    assert parse.entity("sector") == "agriculture"


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("I work in Abbotsford", "BC"),
        ("estoy en Saint-Rémi", "QC"),
        ("nasa ontaryo ako", "ON"),
        ("nova scotia fish plant", "NS"),
        ("im in B.C.", "BC"),
        ("we are in PEI", "PE"),
        ("vivo en bc", "BC"),
        ("Calgary", "AB"),
        ("estoy en kebek", "QC"),  # as it sounds
        ("new brunswik", "NB"),  # a typo in the second word of the name
        ("i work in new brunswic", "NB"),
        ("estoy en la columbia", "BC"),  # as British Columbia is often said in Spanish
        ("soy de colombia y trabajo en ontario", "ON"),  # the country is no typo for it
    ],
)
def test_provinces_by_name_town_abbreviation_or_typo(interpreter, text, province):
    values = [e.value for e in interpreter.parse(text).spans if e.entity == "province"]
    assert values == [province]


@pytest.mark.parametrize(
    "text", ["hold on please", "no pe", "my friend Alberto", "nsa ba kayo", "soy de colombia"]
)
def test_ordinary_words_are_not_provinces(interpreter, text):
    assert not [e for e in interpreter.parse(text).spans if e.entity == "province"]


@pytest.mark.parametrize(
    "text", ["7KQ3-MX92", "mi codigo es 7kq3-mx92", "code 7kq3mx92 pls", "7KQ3 MX92 po"]
)
def test_case_code_with_or_without_hyphen_in_any_case(interpreter, text):
    parse = interpreter.parse(text)
    assert [e.value for e in parse.spans if e.entity == "case_code"] == ["7KQ3-MX92"]
    assert parse.intent == "case_status"


@pytest.mark.parametrize("text", ["ABCD-EFGH", "2345-6789", "I0L1-OOAA", "pague 2500 dolares"])
def test_strings_that_break_the_case_code_rules_are_not_codes(interpreter, text):
    assert not [e for e in interpreter.parse(text).spans if e.entity == "case_code"]


@pytest.mark.parametrize("text", ["thanks", "ok", "yes", "help", "hello po"])
def test_a_short_english_message_does_not_flip_a_tagalog_chat(interpreter, text):
    assert interpreter.parse(text, language_hint="tl").language == "tl"


def test_a_short_spanish_word_does_not_flip_an_english_chat(interpreter):
    assert interpreter.parse("gracias", language_hint="en").language == "en"


def test_a_whole_message_in_another_language_is_recognised_despite_the_hint(interpreter):
    assert (
        interpreter.parse(
            "el patron no me quiere pagar las horas extras", language_hint="en"
        ).language
        == "es"
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("pwede po ba ako mag change ng employer", "tl"),
        ("kinuha ng boss ko yung passport ko", "tl"),
        ("xq no me pagan el overtime", "es"),
        ("wah gwaan, mi boss nuh pay mi", "en"),
    ],
)
def test_code_switching_is_the_matrix_language(interpreter, text, language):
    assert interpreter.parse(text).language == language


def test_low_confidence_becomes_nlu_fallback_but_keeps_the_ranking():
    strict = nlu.get_interpreter(threshold=0.99, cache_dir=MODEL_CACHE)
    parse = strict.parse("me duele la espalda de tanto cargar")
    assert (parse.intent, parse.confidence) == ("nlu_fallback", 0.99)
    assert parse.ranking[1][0] == "ask_injury"  # back pain from work: workers' compensation


def test_out_of_scope_chatter_is_nlu_fallback(interpreter):
    assert interpreter.parse("quien gano el partido de futbol ayer").intent == "nlu_fallback"


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(nlu.NLUError, match="backend"):
        nlu.get_interpreter("spacy")
