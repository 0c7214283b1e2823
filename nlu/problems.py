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
    pieces instead when the part is long and two of them name a problem. A part that tells of a
    harm it does not name has no topic ("algo malo me paso en la casa del patron": the house is
    where, not what)."""
    clause = _PLEA.sub("", part) or part
    read_words = tokens(clause)
    words = len(read_words)
    if words < SHORT_WORDS or UNNAMED_HARM.search(" ".join(read_words)):
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


#: A message that tells that something was done to the worker without naming it ("algo malo me paso
#: en la casa del patron", "may ginawa sya sakin", "something happened to me and i dont know who to
#: tell"), on its tokens: how an assault is often first told. Read alone its words weigh toward
#: housing or retaliation; the report (danger first, then the worker's own words) is what it asks for.
UNNAMED_HARM = re.compile(
    r"\b(?:"
    r"something\s+(?:\w+\s+){0,2}happen(?:ed|s)?\s+to\s+(?:me|us)"
    r"|did\s+(?:something|things|stuff)(?:\s+bad)?\s+to\s+(?:me|us)"
    r"|what\s+(?:he|she|they)\s+did\s+to\s+(?:me|us)"
    r"|(?:dont|do\s+not|didnt)\s+know\s+who\s+(?:to|i\s+can)\s+tell"
    r"|(?:me|nos)\s+(?:paso|pasaron)\s+(?:algo|cosas)"
    r"|algo\s+(?:\w+\s+){0,2}(?:me|nos)\s+(?:paso|pasaron)"
    r"|(?:me|nos)\s+(?:hizo|hicieron)\s+(?:algo|cosas)"
    r"|lo\s+que\s+(?:me|nos)\s+(?:hizo|hicieron)"
    r"|no\s+se\s+a\s+quien\s+(?:decirle|decir|contarle|contar|avisarle|avisar)"
    r"|may\s+(?:\w+\s+){0,2}nangyari\s+(?:sa\s+akin|sakin|saken|sa\s+amin|samin)"
    r"|may\s+ginawa\s+(?:\w+\s+){0,4}(?:sa\s+akin|sakin|saken|sa\s+amin|samin)"
    r"|ginawan\s+(?:\w+\s+){0,3}ng\s+(?:masama|hindi\s+maganda|kababuyan)"
    r"|(?:hindi|di)\s+ko\s+(?:po\s+)?alam\s+(?:kung\s+)?kanino\s+(?:sasabihin|magsasabi|lalapit)"
    r")\b"
)
#: From this the classifier reads a named topic ("me paso algo en la mano": an injury, 0.40),
#: which an unnamed harm does not override.
NAMED = 0.35
#: What a rule's reading is worth beside the classifier's (as Rasa's rule policies are sure).
RULE_CONFIDENCE = 0.9


#: A request to erase, in so many words ("como borro todo", "how do i delete everything", "pano
#: burahin lahat"), on a clause's tokens: beside a fear told with it ("im scared my boss will see
#: this") the classifier read the fear first. The erase flow asks before it erases anything.
ERASE_REQUEST = re.compile(
    r"\b(?:(?:como|cmo)\s+(?:(?:le\s+)?hago\s+para\s+|puedo\s+|se\s+)?|(?:quiero|necesito|puedo"
    r"|puedes|pueden|podrian|podrias)\s+)(?:borro|borrar|borra|borrarlo|borrarlos|borren|elimino"
    r"|eliminar|elimina|eliminen)\b"
    r"|\b(?:how\s+(?:do|can)\s+i|(?:want|need)\s+to|can\s+you|could\s+you|please)\s+(?:delete"
    r"|erase|wipe|clear)\b"
    r"|\b(?:pano|paano|gusto\s+ko(?:ng)?|pwede\s+(?:bang|ba|mo|nyo)?)\s+(?:po\s+)?(?:ko\s+)?(?:po\s+)?"
    r"(?:burahin|buburahin|bura|i\s*delete|mag\s*delete|idelete)\b"
)


def asked_first(
    result: dict[str, Any], classify: Callable[[str], tuple[str, float]]
) -> dict[str, Any]:
    """``result`` (a parse, with its ``problems`` if any) led by what one of its clauses asks for in
    so many words: the erasure (``ERASE_REQUEST``, when the classifier reads the request so), or
    the report ("quiero reportar a la granja, el patron nos cobra 300 por la casa" reads as housing
    as a whole); or led by the report when it tells of a harm it does not name (``UNNAMED_HARM``)
    and the classifier reads no topic in it; unchanged otherwise."""
    text = result.get("text") or ""
    read = " ".join(tokens(text))
    leading = result["intent"]
    erase = ERASE_REQUEST.search(read) is not None
    report = leading["name"] != "report_abuse" and "report_abuse" in result.get("problems", ())
    # Each clause's words, read once for both requests (the erasure is looked for first).
    parts = (
        [(part, " ".join(tokens(part))) for part in clauses(text, min_words=SHORT_WORDS)]
        if erase or report
        else []
    )
    if erase:
        for _, words in parts:  # the request's own words are read
            asked = ERASE_REQUEST.search(words)
            if asked and classify(words[asked.start() :])[0] == "delete_data":
                top = {"name": "delete_data", "confidence": RULE_CONFIDENCE}
                return ranked_first(result, top, result["intent_ranking"])
    if report:
        for part, words in parts:
            if REPORT_REQUEST.match(words):
                intent, confidence = classify(part)
                if intent == "report_abuse":
                    top = {"name": intent, "confidence": confidence}
                    return ranked_first(result, top, result["intent_ranking"])
    if leading["name"] == "report_abuse" and leading["confidence"] >= NAMED:
        return result
    named = any(
        item["name"] in PROBLEM_INTENTS - {"report_abuse"} and item["confidence"] >= NAMED
        for item in result["intent_ranking"]
    )
    if not named and UNNAMED_HARM.search(read):
        top = {"name": "report_abuse", "confidence": RULE_CONFIDENCE}
        return ranked_first(result, top, result["intent_ranking"])
    return result
