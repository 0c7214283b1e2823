"""The per-worker conversation state: a JSON-serializable dict, versioned, repaired on read.

`EngineState` lists every key, so the type checker catches a misspelt one. Besides the engine's
own keys (the language and province, the running flow and the frames under it, the last rights
answer as ``topic`` for follow-ups, session flags, ``crisis`` when a check-in is due), two parts of
the bot keep theirs here: the renderer's ``pages`` waiting for the worker's MORE
(bot.conversation.dialogue) and the worker's ``pin`` (bot.conversation.pin). Keys nobody declares
(a newer deployment's) are kept as they are. :func:`repair` is the one reader of a stored state:
whatever it returns has the types declared here.
"""

from __future__ import annotations

import copy
from collections.abc import Container
from datetime import datetime
from typing import Any, NotRequired, TypedDict, cast

from vocab import LANGUAGES, PROVINCES

VERSION = 1


class Frame(TypedDict):
    """A flow under way: the running one (its keys at the top of the state), an interrupted one on
    the stack, or the parked one."""

    flow: str
    step: str
    slots: dict[str, Any]
    asked_at: str | None  # ISO: the step's question was asked (restored by asking it again)
    auto: NotRequired[
        bool
    ]  # pushed by the engine itself (a province asked first): it comes back on its own
    since: NotRequired[str]  # parked: the worker's last answer (ISO)


class Topic(TypedDict):
    """The last rights answer, for follow-ups (flows/followup.py)."""

    flow: str
    sector: NotRequired[str | None]
    at: NotRequired[str]  # ISO
    shown: NotRequired[list[str]]  # steps read beyond the answer
    step: NotRequired[str]  # the step that gave the answer
    province: NotRequired[str | None]  # the province it was given for


class Problems(TypedDict):
    """Problems told in one message, waiting while the most urgent is answered (flows/problems.py)."""

    intents: list[str]
    at: str  # ISO


class EngineState(TypedDict):
    v: int
    language: str | None
    province: str | None
    sector: (
        str | None
    )  # the worker's sector once named ("live in nanny"): its exceptions apply after
    opted_out: bool
    last_seen: str | None  # ISO
    flow: str | None
    step: str | None
    slots: dict[str, Any]
    asked_at: str | None  # ISO
    reprompts: int
    stack: list[Frame]  # interrupted flows
    parked: Frame | None  # an unfinished resumable flow
    services: list[str]
    has_reports: bool
    handoff: dict[str, Any] | None  # since (ISO); report_id and by when the portal opened it
    paging: None  # unused (the renderer's pages are under "pages"); kept so stored states keep their shape
    tip_shown: bool
    lang_offered: bool
    language_guessed: bool  # set from a message that showed no language (emoji, "ok")
    province_skipped: bool
    topic: Topic | None
    crisis: bool  # thoughts of suicide told: the next message starts with a check-in
    problems: NotRequired[Problems]
    pages: NotRequired[list[str]]  # the renderer's SMS pages waiting for MORE
    pin: NotRequired[
        dict[str, Any]
    ]  # owned by bot.conversation.pin (a hash, tries, a held message)


def fresh(language: str | None = None) -> EngineState:
    return {
        "v": VERSION,
        "language": language,
        "province": None,
        "sector": None,
        "opted_out": False,
        "last_seen": None,
        "flow": None,
        "step": None,
        "slots": {},
        "asked_at": None,
        "reprompts": 0,
        "stack": [],
        "parked": None,
        "services": [],
        "has_reports": False,
        "handoff": None,
        "paging": None,
        "tip_shown": False,
        "lang_offered": False,
        "language_guessed": False,
        "province_skipped": False,
        "topic": None,
        "crisis": False,
    }


def repair(state: object) -> EngineState:
    """A private, well-typed copy of a stored state; anything unreadable falls back to defaults."""
    if not isinstance(state, dict):
        return fresh()
    stored: dict[str, Any] = copy.deepcopy(state)
    language = stored.get("language")
    stack = stored.get("stack")
    services = stored.get("services")
    reprompts = stored.get("reprompts")
    slots = stored.get("slots")
    handoff = stored.get("handoff")
    repaired: EngineState = {
        "v": VERSION,
        "language": language if isinstance(language, str) and language in LANGUAGES else None,
        "province": _text(stored, "province"),
        "sector": _text(stored, "sector"),
        "opted_out": _flag(stored, "opted_out"),
        "last_seen": _text(stored, "last_seen"),
        "flow": _text(stored, "flow"),
        "step": _text(stored, "step"),
        "slots": slots if isinstance(slots, dict) else {},
        "asked_at": _text(stored, "asked_at"),
        "reprompts": reprompts if isinstance(reprompts, int) else 0,
        "stack": [f for f in map(_frame, stack if isinstance(stack, list) else []) if f],
        "parked": _frame(stored.get("parked")),
        "services": [s for s in services if isinstance(s, str)]
        if isinstance(services, list)
        else [],
        "has_reports": _flag(stored, "has_reports"),
        "handoff": handoff if isinstance(handoff, dict) else None,
        "paging": None,
        "tip_shown": _flag(stored, "tip_shown"),
        "lang_offered": _flag(stored, "lang_offered"),
        "language_guessed": _flag(stored, "language_guessed"),
        "province_skipped": _flag(stored, "province_skipped"),
        "topic": _topic(stored.get("topic")),
        "crisis": _flag(stored, "crisis"),
    }
    problems, pages, pin = stored.get("problems"), stored.get("pages"), stored.get("pin")
    if (
        isinstance(problems, dict)
        and isinstance(problems.get("intents"), list)
        and isinstance(problems.get("at"), str)
    ):
        intents = [i for i in problems["intents"] if isinstance(i, str)]
        repaired["problems"] = {**problems, "intents": intents, "at": problems["at"]}
    if isinstance(pages, list):
        repaired["pages"] = [page for page in pages if isinstance(page, str)]
    if isinstance(pin, dict):
        repaired["pin"] = pin
    # Keys nobody here declares ride along untyped (a newer deployment's, kept on a rollback).
    extra = {k: v for k, v in stored.items() if k not in EngineState.__annotations__}
    cast(dict[str, Any], repaired).update(extra)
    return repaired


def _text(stored: dict[str, Any], key: str) -> str | None:
    value = stored.get(key)
    return value if isinstance(value, str) else None


def _flag(stored: dict[str, Any], key: str) -> bool:
    value = stored.get(key)
    return value if isinstance(value, bool) else False


def _frame(value: object) -> Frame | None:
    """A stored frame with its types checked, or None when it names no flow and step."""
    if not (
        isinstance(value, dict)
        and isinstance(value.get("flow"), str)
        and isinstance(value.get("step"), str)
        and isinstance(value.get("slots"), dict)
    ):
        return None
    frame: Frame = {**value}  # type: ignore[typeddict-item]  # the keys are checked below
    asked_at, since = value.get("asked_at"), value.get("since")
    frame["asked_at"] = asked_at if isinstance(asked_at, str) else None
    if "auto" in value:
        frame["auto"] = bool(value["auto"])
    if "since" in value and not isinstance(since, str):
        del frame["since"]
    return frame


def _topic(value: object) -> Topic | None:
    if not (isinstance(value, dict) and isinstance(value.get("flow"), str)):
        return None
    topic: Topic = {**value}  # type: ignore[typeddict-item]  # the keys are checked below
    sector, at, shown = value.get("sector"), value.get("at"), value.get("shown")
    if "sector" in value and not (sector is None or isinstance(sector, str)):
        del topic["sector"]
    if "at" in value and not isinstance(at, str):
        del topic["at"]
    if "step" in value and not isinstance(value.get("step"), str):
        del topic["step"]
    if "province" in value and value.get("province") not in PROVINCES:
        del topic["province"]
    if isinstance(shown, list):
        topic["shown"] = [s for s in shown if isinstance(s, str)]
    elif "shown" in value:
        del topic["shown"]
    return topic


def when(value: object) -> datetime | None:
    """Parse a stored ISO timestamp; None when missing or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def frame(state: EngineState, auto: bool | None = None) -> Frame | None:
    """The running flow as a frame to push on the stack or park; None when no step is under way."""
    flow, step = state["flow"], state["step"]
    if flow is None or step is None:
        return None
    running: Frame = {
        "flow": flow,
        "step": step,
        "slots": copy.deepcopy(state["slots"]),
        "asked_at": state["asked_at"],
    }
    if auto is not None:
        running["auto"] = auto
    return running


def forget_unknown_flows(state: EngineState, known: Container[str]) -> None:
    """Drop flows a newer deployment no longer has (a stored state may outlive a flow)."""
    if state["flow"] not in known:
        clear_flow(state)
    state["stack"] = [f for f in state["stack"] if f["flow"] in known]
    if state["parked"] and state["parked"]["flow"] not in known:
        state["parked"] = None


def clear_flow(state: EngineState) -> None:
    state["flow"] = state["step"] = state["asked_at"] = None
    state["slots"] = {}
    state["reprompts"] = 0
