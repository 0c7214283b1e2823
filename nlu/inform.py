"""A question that also names a place is the question, not `inform`.

"i have a fever and my boss says i must work im in manitoba" holds a province, and the words
"im in manitoba" pull the whole message toward `inform` (a message that only gives a province or
a sector). When `inform` wins but the message says more than the slot, the rest of it, without
the place or sector, is classified alone: a rights topic found there with confidence is the
intent (``inform`` leaves the ranking), and the province stays among the entities for the flows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nlu.normalize import tokens
from nlu.problems import PROBLEM_INTENTS

INFORM = "inform"
SLOT_ENTITIES = ("province", "sector")
#: The rest must have at least this many words to be a question of its own ("im in", "y en",
#: "trabajo en un" say nothing more than the place) ...
MIN_OTHER_WORDS = 5
#: How sure the classifier must be of the rest's topic (short texts score lower than whole ones).
MIN_CONFIDENCE = 0.3
#: ... or, shorter ("salario minimo manitoba", "sahod po sa manitoba"), name a topic this surely.
#: "im in", "nasa ako" score 0.40-0.43 as `emergency`: never taken from a short rest.
SHORT_MIN_WORDS = 2
SHORT_MIN_CONFIDENCE = 0.45
SHORT_NEVER = frozenset({"emergency", "report_abuse"})
#: A place with at most this many other words ("estoy en chatham", "nasa ... ako") is only the
#: place: `inform`, when the classifier's guess was one of MISREAD (its n-grams read "estoy en"
#: as `emergency` at 0.17-0.25; danger itself is the safety triage's, nlu/triage).
PLACE_ONLY_WORDS = 2
MISREAD = frozenset({"emergency", "nlu_fallback"})
#: ... and with a few more words ("mi deh a simcoe", "nandito ako sa simcoe po") when the classifier
#: has no real guess at all: whatever it ranked first, below this, is noise beside the place.
UNSURE_WORDS = 4
UNSURE_CONFIDENCE = 0.2
#: Topics a message can ask about alongside its place: the problems a clause can name.
TOPICS = PROBLEM_INTENTS


#: The words that only frame a place ("im in", "estoy en", "nasa ... ako", "trabajo en"): cut
#: from the rest before its topic is read, so "about the pay, im in quebec" is read as "about the
#: pay". Not before counting a place-only message's words: "help me im in ontario" stays itself.
_FRAMING = re.compile(
    r"\b(?:(?:i'?m|i am|we'?re|we are|i work|we work|i live|estoy|estamos|trabajo|trabajamos|vivo"
    r"|nasa|nandito|andito)\s+(?:ako\s+|kami\s+)?)?(?:in|en|sa|at|from|de)\s*$",
    re.IGNORECASE,
)


def without_slots(text: str, entities: list[dict[str, Any]], framing: bool = False) -> str:
    """``text`` with the province and sector mentions cut out (and, with ``framing``, the words
    that only introduce them)."""
    pieces, cursor = [], 0
    for entity in sorted(
        (e for e in entities if e.get("entity") in SLOT_ENTITIES), key=lambda e: e.get("start", 0)
    ):
        before = text[cursor : entity.get("start", cursor)]
        pieces.append(_FRAMING.sub("", before) if framing else before)
        cursor = max(cursor, entity.get("end", cursor))
    pieces.append(text[cursor:])
    return " ".join(pieces)


def read_past_slots(
    result: dict[str, Any], classify: Callable[[str], tuple[str, float]]
) -> dict[str, Any]:
    """``result`` with its intent replaced by the topic of the words around the slot, when
    `inform` won but those words ask something, or by `inform` when a place alone was misread
    (a new dict; the input is not changed)."""
    ranking = result.get("intent_ranking") or []
    entities = result.get("entities") or []
    rest = without_slots(result.get("text") or "", entities)
    n = len(tokens(rest))
    place_only = n <= PLACE_ONLY_WORDS and ranking and ranking[0]["name"] in MISREAD
    unsure = n <= UNSURE_WORDS and ranking and ranking[0]["confidence"] < UNSURE_CONFIDENCE
    if (place_only or unsure) and any(e.get("entity") in SLOT_ENTITIES for e in entities):
        place = {"name": INFORM, "confidence": max(r["confidence"] for r in ranking)}
        ranking = [place] + [dict(item) for item in ranking if item["name"] != INFORM]
        return {**result, "intent": dict(place), "intent_ranking": ranking}
    if not ranking or ranking[0]["name"] != INFORM:
        return result
    if n < SHORT_MIN_WORDS:
        return result
    intent, confidence = classify(without_slots(result.get("text") or "", entities, framing=True))
    short = n < MIN_OTHER_WORDS
    if (
        intent not in TOPICS
        or confidence < (SHORT_MIN_CONFIDENCE if short else MIN_CONFIDENCE)
        or (short and intent in SHORT_NEVER)
    ):
        return result
    # `inform` leaves the ranking: the message is not only a place, so it is no rival of the topic.
    top = {"name": intent, "confidence": max(confidence, ranking[0]["confidence"])}
    ranking = [top] + [dict(item) for item in ranking if item["name"] not in (intent, INFORM)]
    return {**result, "intent": dict(top), "intent_ranking": ranking}
