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
from vocab import PROBLEM_INTENTS

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


#: The words that only frame a place ("im in", "estoy en", "nasa ... ako", "trabajo en") or a
#: sector ("soy trabajador", "im a"): cut
#: from the rest before its topic is read, so "about the pay, im in quebec" is read as "about the
#: pay". Not before counting a place-only message's words: "help me im in ontario" stays itself.
_FRAMING = re.compile(
    r"\b(?:(?:i'?m|i am|we'?re|we are|i work|we work|i live|estoy|estamos|trabajo|trabajamos|vivo"
    r"|nasa|nandito|andito)\s+(?:ako\s+|kami\s+)?)?(?:in|en|sa|at|from|de)\s*$"
    r"|\b(?:nasa|nandito|andito|dito)\s*$"
    # ... or a sector ("soy trabajador agricola", "im a farm worker")
    r"|\b(?:soy|somos|i'?m|i am|we'?re|we are)\s+(?:an?\s+|un[oa]?\s+)?(?:trabajador(?:a|es)?\s+)?$",
    re.IGNORECASE,
)
#: ... and the words that may follow a place without saying more ("nasa brooks po kami").
_TRAILING = re.compile(
    r"^[\s,.!?]*(?:(?:po|ho|ako|kami|kame|lang|now|ahorita|ahora)\b[\s,.!?]*)*$", re.IGNORECASE
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
    rest = text[cursor:]
    pieces.append("" if framing and cursor and _TRAILING.match(rest) else rest)
    return " ".join(pieces)


def read_past_slots(
    result: dict[str, Any], classify: Callable[[str], tuple[str, float]]
) -> dict[str, Any]:
    """``result`` read past its place or sector (a new dict; the input is not changed): `inform`
    when a place alone was misread; the topic of the words around the slot when `inform` won
    but those words ask something; a topic that won beside a place with `inform` out of its
    ranking (the place is that topic's slot, not a rival reading)."""
    ranking = result.get("intent_ranking") or []
    entities = result.get("entities") or []
    if not ranking or not any(e.get("entity") in SLOT_ENTITIES for e in entities):
        return result
    text = result.get("text") or ""
    n = len(tokens(without_slots(text, entities)))
    first = ranking[0]
    around = without_slots(text, entities, framing=True)  # the words besides the place's
    framed_only = not tokens(around)  # "trabajo en <place>", "nasa brooks po kami"
    if (
        framed_only
        or (n <= PLACE_ONLY_WORDS and first["name"] in MISREAD)
        or (n <= UNSURE_WORDS and first["confidence"] < UNSURE_CONFIDENCE)
    ):
        place = {"name": INFORM, "confidence": max(r["confidence"] for r in ranking)}
        return ranked_first(result, place, ranking)
    if n < SHORT_MIN_WORDS or first["name"] not in (INFORM, *TOPICS):
        return result
    intent, confidence = classify(around)
    if first["name"] != INFORM:
        # "im in new brunswick, hurt my back ..., who pays": injury 0.18, inform 0.09 (a near
        # tie, so a did-you-mean); its words without the place say injury at 0.30.
        surer = confidence if intent == first["name"] else 0.0
        return ranked_first(
            result, {**first, "confidence": max(first["confidence"], surer)}, ranking
        )
    short = n < MIN_OTHER_WORDS
    if (
        intent not in TOPICS
        or confidence < (SHORT_MIN_CONFIDENCE if short else MIN_CONFIDENCE)
        or (short and intent in SHORT_NEVER)
    ):
        return result
    # `inform` leaves the ranking: the message is not only a place, so it is no rival of the topic.
    return ranked_first(
        result, {"name": intent, "confidence": max(confidence, first["confidence"])}, ranking
    )


def ranked_first(
    result: dict[str, Any], top: dict[str, Any], ranking: list[dict[str, Any]]
) -> dict[str, Any]:
    """``result`` with ``top`` first; ``top`` and `inform` (unless it is ``top``) leave the rest."""
    gone = {top["name"], INFORM}
    rest = [dict(item) for item in ranking if item["name"] not in gone]
    return {**result, "intent": dict(top), "intent_ranking": [dict(top), *rest]}
