"""Several problems in one message: answer the most urgent, offer the others as next steps.

The NLU lists the problems it found clause by clause (``parse["problems"]``, nlu/problems.py).
The most urgent one (``URGENCY``: danger and injuries before papers, housing and pay) is answered
at once; the rest wait in ``state["problems"]`` and, when that answer ends, the `problems` flow
offers them as numbered options before the usual next steps, until each is answered or the
session ends. Never a dead end: every waiting problem is one number away.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from vocab import PROBLEM_INTENTS

from .state import EngineState, when

if TYPE_CHECKING:
    from .turn import Handler

#: Most urgent first; a problem not listed comes after these, in the order it was written.
URGENCY = (
    "emergency",
    "ask_injury",
    "ask_safety",
    "report_abuse",
    "ask_sick",
    "ask_health",
    "ask_documents",
    "ask_retaliation",
    "ask_housing",
    "ask_fees",  # a recruitment debt taken from pay is a mark of forced labour: before the pay itself
    "ask_wages",
    "ask_hours",
    "ask_contract",
    "ask_permit",
    "distress",  # a person to talk to, once what weighs on the worker is answered
    "out_of_scope",  # only where to ask: after every answer
)
MAX_WAITING = 3


#: The problem a triage category puts first: an injury gets care and its board, danger the help.
TRIAGE_PROBLEMS = {
    "injury": "ask_injury",
    "danger": "emergency",
    "confinement": "emergency",
    "sexual": "emergency",
}
#: The safety and topic options already offer these: never listed twice.
SAFETY_OPTIONS = ("emergency", "report_abuse", "find_ngo")
#: Abuse that happens where the worker lives: the room or the bunkhouse in the message is where, not
#: what ("pumasok sa kwarto ko yung anak ng amo ko", "they lock us in the bunkhouse at night"), so
#: housing is not offered beside the help (the menu still has it).
WHERE_NOT_WHAT = {"sexual": "ask_housing", "confinement": "ask_housing"}


#: Problems that are one complaint when the whole message is surely about one of them: "60 hours a
#: week and no extra pay" is overtime (hours), though its clause "no extra pay" reads as wages.
ONE_COMPLAINT = frozenset({"ask_wages", "ask_hours"})
#: How sure of its intent the whole message must be for that.
ONE_COMPLAINT_CONFIDENCE = 0.7


def found(handler: Handler) -> list[str]:
    """This message's problems: the triage's, those of its clauses and its confident intent."""
    parse, engine = handler.parse, handler.engine
    intents = [TRIAGE_PROBLEMS[handler.triaged]] if handler.triaged in TRIAGE_PROBLEMS else []
    clauses = list(parse.problems)
    if parse.intent in ONE_COMPLAINT and parse.confidence >= ONE_COMPLAINT_CONFIDENCE:
        clauses = [i for i in clauses if i not in ONE_COMPLAINT or i == parse.intent]
    intents += clauses
    if parse.intent in PROBLEM_INTENTS and engine.decided(parse):
        intents.append(parse.intent)
    place = WHERE_NOT_WHAT.get(handler.triaged or "")
    routes: list[str] = []
    for intent in (i for i in intents if i != place):
        route = engine.route(intent)
        if route not in (None, "menu") and route not in [engine.route(i) for i in routes]:
            routes.append(intent)
    return routes


def answer_most_urgent(handler: Handler) -> bool:
    """Start the most urgent problem and keep the others; False unless the message was triaged,
    tells of two problems or more, or has one part that names a problem its whole leaves unsure
    ("my boss took my passport and says i owe him 3000 for the flight, i dont know what to do":
    the passport is answered, not "did you mean").
    """
    problems = found(handler)
    one_part_sure = (
        len(problems) == 1
        and problems[0] in handler.parse.problems
        and not handler.engine.decided(handler.parse)
    )
    if len(problems) < 2 and not (
        problems and (handler.triaged in TRIAGE_PROBLEMS or one_part_sure)
    ):
        return False
    # A report the worker asked for ("quiero reportar a mi patron, no me paga") starts before the
    # answers; one read in a complaint told beside a question ("me grita y no me pagan el overtime")
    # does not hold the answer behind a report's questions: it comes last, and is not listed as a
    # waiting problem since every answer offers the report.
    unasked = "report_abuse" if handler.parse.intent != "report_abuse" else None
    ordered = sorted(problems, key=lambda i: (i == unasked, _rank(i)))
    first = ordered[0]
    rest = [i for i in ordered[1:] if i != unasked][:MAX_WAITING]
    handler.state["problems"] = {"intents": rest, "at": handler.turn.now.isoformat()}
    # The others come first among the options that follow the answer (`options_from: candidates`
    # in the safety and topic flows; a topic without options offers them through `problems`).
    slots = {"candidates": [i for i in rest if i not in SAFETY_OPTIONS]}
    if first == "emergency" or (
        first == "ask_injury" and handler.triaged == "injury" and handler.state["province"]
    ):  # the triage reply named the board
        handler.interrupt("emergency", slots)
    else:
        handler.interrupt(handler.engine.route(first), slots)  # type: ignore[arg-type]
    return True


def _rank(intent: str) -> int:
    return URGENCY.index(intent) if intent in URGENCY else len(URGENCY)


def waiting(state: EngineState, now: datetime, session: timedelta) -> list[str]:
    """The problems still to offer (this session only)."""
    problems = state.get("problems")
    at = when(problems["at"]) if problems else None
    if problems is None or at is None or now - at > session:
        return []
    return list(problems["intents"])


def answered(state: EngineState, intents: tuple[str, ...]) -> None:
    """A topic was answered: it no longer waits."""
    problems = state.get("problems")
    if problems is not None:
        problems["intents"] = [i for i in problems["intents"] if i not in intents]
