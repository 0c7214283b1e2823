"""Several problems in one message: answer the most urgent, offer the others as next steps.

The NLU lists the problems it found clause by clause (``parse["problems"]``, nlu/problems.py).
The most urgent one (``URGENCY``: danger and injuries before papers, housing and pay) is answered
at once; the rest wait in ``state["problems"]`` and, when that answer ends, the `problems` flow
offers them as numbered options before the usual next steps, until each is answered or the
session ends. Never a dead end: every waiting problem is one number away.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .state import when

if TYPE_CHECKING:
    from .turn import Handler

#: Most urgent first; a problem not listed comes after these, in the order it was written.
URGENCY = ("emergency", "ask_injury", "ask_safety", "report_abuse", "ask_sick", "ask_health",
           "ask_documents", "ask_retaliation", "ask_housing", "ask_wages", "ask_hours", "ask_fees",
           "ask_permit")
MAX_WAITING = 3


def answer_most_urgent(handler: Handler) -> bool:
    """Start the most urgent of several problems and keep the others; False if there are not two."""
    engine, routes = handler.engine, []
    for intent in handler.parse.problems:
        route = engine.route(intent)
        if route not in (None, "menu") and route not in [engine.route(i) for i in routes]:
            routes.append(intent)
    if len(routes) < 2:
        return False
    ordered = sorted(routes, key=lambda i: URGENCY.index(i) if i in URGENCY else len(URGENCY))
    first, rest = ordered[0], ordered[1:MAX_WAITING + 1]
    handler.state["problems"] = {"intents": rest, "at": handler.turn.now.isoformat()}
    handler.interrupt(engine.route(first))  # type: ignore[arg-type]
    return True


def waiting(state: dict[str, Any], now: datetime, session: timedelta) -> list[str]:
    """The problems still to offer (this session only)."""
    problems = state.get("problems")
    if not isinstance(problems, dict) or not isinstance(problems.get("intents"), list):
        return []
    at = when(problems.get("at"))
    if at is None or now - at > session:
        return []
    return [i for i in problems["intents"] if isinstance(i, str)]


def answered(state: dict[str, Any], intents: tuple[str, ...]) -> None:
    """A topic was answered: it no longer waits."""
    problems = state.get("problems")
    if isinstance(problems, dict) and isinstance(problems.get("intents"), list):
        problems["intents"] = [i for i in problems["intents"] if i not in intents]
