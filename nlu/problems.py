"""Several problems in one message: "no me pagan las horas extra y el patron tiene mi pasaporte".

The message is cut into clauses (sentence marks, commas and the words that join two complaints:
y, and, at, tapos, pero, also ...), each clause of a few words is classified alone, and the
rights topics found with confidence come back in the order they were written. The flows answer
the most urgent and offer the others as numbered next steps (flows/problems.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nlu.inform import ranked_first
from nlu.normalize import tokens
from vocab import PROBLEM_INTENTS

#: Jamaican English and SMS "and": "an", "n", "&" ("dem nuh pay mi an di house cold"). "an" is
#: also the English article, which comes before a vowel sound ("an injury", "an hour", "an
#: overtime check"); as a joining word it comes before a pronoun, a determiner or another
#: complaint's first word, so it only breaks before one of those.
_INFORMAL_AND = (
    r"(?:\ban|\bn|&)(?=\s+(?:den|then|di|de|dem|the|mi|me|my|wi|we|our|dey|they|him|he|she|nuh"
    r"|no|nah|not|boss|also|plus|a|pay|dont|don't|cant|can't|i|im|when|wen|if|everytime)\b)"
)
#: Where one complaint ends and another may start (es, tl, en as workers text them).
CLAUSE_BREAKS = re.compile(
    r"[.!?;\n]+|,|" + _INFORMAL_AND + r"|\b(?:y|e|ni|and|at|tsaka|saka|tapos|pati|also|plus"
    r"|ademas|aparte|pero|but|tambien)\b",
    re.IGNORECASE,
)
#: Coarser: sentences and the words that start another matter, not "and" or "but" inside one
#: account ("i cut my hand and its swollen", "me grita pero no me pega" stay whole). The safety
#: triage reads these parts.
SENTENCE_BREAKS = re.compile(
    r"[.!?;\n]+|,|\b(?:tsaka|saka|tapos|also|plus|ademas|aparte|tambien)\b",
    re.IGNORECASE,
)
#: A plea or greeting that opens a clause ("porfavor ayuda el patron no me paga...", "please
#: help ...", "tulong po ...") says nothing of its topic and weighs a short clause toward
#: find_ngo or menu: it is left out before the clause is classified.
_PLEA = re.compile(
    r"^(?:\s*(?:por\s*favor|porfa|xfa|pls|plz|please|help(?:\s+me)?|ayud[ae](?:me|nme)?|auxilio"
    r"|tulong(?:an\s+(?:nyo|mo)\s+ako)?|po|hola|ola|hello|hi|hey|yow|wah\s*gwaan|wagwan"
    r"|buen[oa]s(?:\s+(?:dias|días|tardes|noches))?|disculpe?|perdon|perdón|good\s+(?:morning|"
    r"afternoon|evening|night|am|pm)|gud\s+(?:am|pm|eve)|magandang\s+(?:umaga|hapon|gabi)"
    r"|sorry)\b[\s,!.]*)+",
    re.IGNORECASE,
)
#: Inside one long clause, where a reason hangs another complaint on the first ("nos amenaza con
#: mandarnos a mexico si nos quejamos de que no nos pagan las horas extras"): its pieces count
#: when two of them name a problem. A condition ("si", "if", "kung") stays with its threat.
SUBORDINATE_BREAKS = re.compile(
    r"\b(?:porque|porq|xq|pq|because|cause|cuz|coz|kasi|kc|de\s+(?:que|q|ke))\b", re.IGNORECASE
)
LONG_WORDS = 8
MIN_WORDS = 3  # a shorter clause ("y eso") says too little alone
MIN_CONFIDENCE = 0.45  # short clauses score lower than whole questions
#: A complaint can be two words, a verb and its object ("me grita", "sinisigawan ako", "kulang
#: sweldo"); such a clause counts when the model is this sure of it, so "y eso" or "ok gracias" stay
#: out.
SHORT_WORDS = 2
SHORT_CONFIDENCE = 0.6
MAX_PROBLEMS = 4


def clauses(
    text: str, breaks: re.Pattern[str] = CLAUSE_BREAKS, min_words: int = MIN_WORDS
) -> list[str]:
    """The parts of ``text`` that may each hold a complaint (only those of min_words or more)."""
    return [part.strip() for part in breaks.split(text) if len(tokens(part)) >= min_words]


def find(text: str, classify: Callable[[str], tuple[str, float]]) -> list[str]:
    """The distinct problem intents of ``text``'s parts in writing order; [] for a message of one
    part (its intent says it). One part's problem counts beside chatter or danger ("boss lock us
    in the trailer and no pay for 3 weeks": the pay is offered once the worker is safe).

    ``classify(clause)`` gives the top intent and its confidence for one clause.
    """
    readings = [
        reading
        for part in clauses(text, min_words=SHORT_WORDS)
        for reading in _readings(part, classify)
    ]
    if len(readings) < 2:
        return []
    found: list[str] = []
    for intent, confidence, words in readings:
        if _names_problem(intent, confidence, words) and intent not in found:
            found.append(intent)
    return found[:MAX_PROBLEMS]


def _names_problem(intent: str, confidence: float, words: int) -> bool:
    needed = MIN_CONFIDENCE if words >= MIN_WORDS else SHORT_CONFIDENCE
    return intent in PROBLEM_INTENTS and confidence >= needed


def _readings(
    part: str, classify: Callable[[str], tuple[str, float]]
) -> list[tuple[str, float, int]]:
    """(intent, confidence, words) of one part, greeting and plea left out; of its subordinate
    pieces instead when the part is long and two of them name a problem."""
    clause = _PLEA.sub("", part) or part
    words = len(tokens(clause))
    if words < SHORT_WORDS:
        return []
    pieces = clauses(clause, SUBORDINATE_BREAKS) if words >= LONG_WORDS else []
    if len(pieces) >= 2:  # only then can two of them name a problem
        read = [(*classify(piece), len(tokens(piece))) for piece in pieces]
        if sum(_names_problem(*reading) for reading in read) >= 2:
            return read
    return [(*classify(clause), words)]


#: A clause that asks for a report in so many words ("quiero reportar a la granja", "i want to
#: report my boss", "gusto ko po mag report"), on its tokens: the report was asked for, not only a
#: complaint read as one ("me grita"), which the flows answer after the questions beside it.
REPORT_REQUEST = re.compile(
    r"^(?:(?:yo|pues|bueno|po|ako|i|me)\s+)*"
    r"(?:(?:quiero|kiero|qiero|quisiera|queremos|necesito|deseo|como\s+(?:puedo|hago\s+para))\s+"
    r"(?:hacer\s+(?:un|una)\s+|poner\s+(?:un|una)\s+|levantar\s+(?:un|una)\s+)?"
    r"(?:reportar|denunciar|reporte|denuncia|queja|quejarme|acusar)"
    r"|(?:want|wanna|need|would\s+like)\s+(?:to\s+)?(?:report|file\s+a|make\s+a)\b"
    r"|(?:how\s+(?:do|can)\s+i)\s+(?:report|file\s+a|make\s+a)\b"
    r"|(?:gusto|gusto\s+ko|paano)\s+(?:po\s+)?(?:ko\s+)?(?:po\s+)?(?:mag|mang|i)?\s*report)"
)


def report_asked_first(
    result: dict[str, Any], classify: Callable[[str], tuple[str, float]]
) -> dict[str, Any]:
    """``result`` (a parse with its ``problems``) led by `report_abuse` when one of its clauses asks
    for the report in so many words ("quiero reportar a la granja, el patron nos cobra 300 por la
    casa" reads as housing as a whole); unchanged otherwise."""
    if (
        "report_abuse" not in result.get("problems", ())
        or result["intent"]["name"] == "report_abuse"
    ):
        return result
    for part in clauses(result.get("text") or "", min_words=SHORT_WORDS):
        if REPORT_REQUEST.match(" ".join(tokens(part))):
            intent, confidence = classify(part)
            if intent == "report_abuse":
                top = {"name": intent, "confidence": confidence}
                return ranked_first(result, top, result["intent_ranking"])
    return result
