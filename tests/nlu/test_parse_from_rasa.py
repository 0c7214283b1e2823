"""A Rasa server's /model/parse reply becomes the same typed Parse the dialogue reads from the
embedded interpreter (vocab.parse), with no server running: the replies are copied from Rasa 3."""

from __future__ import annotations

import pytest

from flows.parse import Parse as FlowsParse
from vocab.parse import Entity, Parse

TEXT = "trabajo en Leamington y mi codigo es 7kq4 m9xr"
#: A Rasa 3.6 /model/parse reply (DIET, RegexEntityExtractor, EntitySynonymMapper, FallbackClassifier).
REPLY = {
    "text": TEXT,
    "intent": {"name": "case_status", "confidence": 0.8731},
    "entities": [
        {"entity": "case_code", "start": 37, "end": 46, "value": "7kq4 m9xr",
         "extractor": "RegexEntityExtractor"},
        {"entity": "province", "start": 11, "end": 21, "value": "ON",
         "extractor": "DIETClassifier", "confidence_entity": 0.97,
         "processors": ["EntitySynonymMapper"]},
        {"entity": "province", "start": 11, "end": 21, "value": "ON",
         "extractor": "RegexEntityExtractor", "processors": ["EntitySynonymMapper"]},
    ],
    "text_tokens": [[0, 7], [8, 10], [11, 21], [22, 23], [24, 26], [27, 33], [34, 36], [37, 41],
                    [42, 46]],
    "intent_ranking": [
        {"name": "case_status", "confidence": 0.8731},
        {"name": "inform", "confidence": 0.0912},
        {"name": "ask_wages", "confidence": 0.0211},
    ],
    "response_selector": {"all_retrieval_intents": [], "default": {"response": {}, "ranking": []}},
}  # fmt: skip


def test_a_rasa_reply_reads_as_a_typed_parse():
    parse = Parse.from_rasa(REPLY, TEXT, "es", threshold=0.3)

    assert parse.intent == "case_status" and parse.confidence == pytest.approx(0.8731)
    assert parse.ranking[:2] == (("case_status", 0.8731), ("inform", 0.0912))
    assert parse.entity("case_code") == "7KQ4-M9XR"
    assert parse.entities["province"] == ("ON",)  # DIET and the regex found the same span once
    assert parse.places == ("Leamington",)
    assert parse.language == "es"
    assert parse.spans == (
        Entity("province", "ON", 11, 21, "DIETClassifier"),
        Entity("case_code", "7KQ4-M9XR", 37, 46, "RegexEntityExtractor"),
    )
    assert FlowsParse is Parse  # the flows read the type the NLU's backends produce


def test_below_the_threshold_rasa_says_it_did_not_understand():
    ranking = [{"name": "case_status", "confidence": 0.25}, {"name": "inform", "confidence": 0.2}]
    reply = {**REPLY, "intent": ranking[0], "intent_ranking": ranking}

    parse = Parse.from_rasa(reply, TEXT, "es", threshold=0.3)

    assert (parse.intent, parse.confidence) == ("nlu_fallback", 0.3)
    assert parse.ranking == (("nlu_fallback", 0.3), ("case_status", 0.25), ("inform", 0.2))
    assert Parse.from_rasa(reply, TEXT, "es", threshold=None).intent == "case_status"


def test_what_rasa_alone_would_accept_is_held_to_puentes_values():
    reply = {
        "intent": {"name": "inform", "confidence": 0.9},
        "entities": [
            {"entity": "province", "start": 0, "end": 4, "value": "Ontaryo", "extractor": "DIETClassifier"},
            {"entity": "case_code", "start": 5, "end": 14, "value": "word word", "extractor": "RegexEntityExtractor"},
        ],
    }  # fmt: skip

    parse = Parse.from_rasa(reply, "ontaryo word word", "en", threshold=None)

    assert parse.entities == {} and parse.spans == () and parse.places == ()


def test_the_stored_parse_keeps_its_format_and_reads_back_the_same():
    parse = Parse.from_rasa(REPLY, TEXT, "es", threshold=0.3)
    stored = parse.to_dict()

    assert set(stored) == {"text", "intent", "intent_ranking", "entities", "language"}
    assert stored["entities"][0] == {
        "entity": "province", "value": "ON", "start": 11, "end": 21, "extractor": "DIETClassifier",
    }  # fmt: skip
    assert Parse.of(stored, TEXT) == parse


def test_the_embedded_interpreter_and_a_rasa_reply_find_the_same_code_and_places(interpreter):
    embedded = interpreter.parse(TEXT)
    rasa = Parse.from_rasa(REPLY, TEXT, "es", threshold=0.3)

    assert (embedded.entity("case_code"), embedded.places) == (
        rasa.entity("case_code"),
        rasa.places,
    )
    assert [span.value for span in embedded.spans] == [span.value for span in rasa.spans]


@pytest.mark.parametrize("reply", [[], {"intent": "greet"}, {"intents": {}}, None])
def test_what_is_not_a_parse_reply_is_refused(reply):
    with pytest.raises(ValueError):
        Parse.from_rasa(reply, "hola", "es", threshold=None)
