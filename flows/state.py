"""The per-worker conversation state: a JSON-serializable dict, versioned, repaired on read.

Keys: language, province, sector, opted_out, last_seen (ISO), flow/step/slots/asked_at/reprompts (the
running flow), stack (interrupted flows), parked (an unfinished resumable flow), services,
has_reports, handoff, paging (owned by the renderer), language_guessed, session flags (tip_shown, lang_offered,
province_skipped), topic (the last rights answer, for follow-ups: flow, sector, at), crisis (a check-in is due). Keys the engine does not know (e.g. the renderer's pages) are kept as they are.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from vocab import LANGUAGES

VERSION = 1
FRAME_KEYS = ("flow", "step", "slots", "asked_at")


def fresh(language: str | None = None) -> dict[str, Any]:
    return {
        "v": VERSION,
        "language": language,
        "province": None,
        "sector": None,  # the worker's sector once named ("live in nanny"): its exceptions apply after
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
        "language_guessed": False,  # set from a message that showed no language (emoji, "ok")
        "province_skipped": False,
        "topic": None,
        "crisis": False,  # thoughts of suicide told: the next message starts with a check-in
    }


def repair(state: object) -> dict[str, Any]:
    """A private, well-typed copy of a stored state; anything unreadable falls back to defaults."""
    base = fresh()
    if not isinstance(state, dict):
        return base
    stored = copy.deepcopy(state)
    extra = {k: v for k, v in stored.items() if k not in base}  # keys other parts keep here
    for key, default in base.items():
        value = stored.get(key, default)
        if default is not None and not isinstance(value, type(default)):
            value = default
        base[key] = value
    if base["language"] not in LANGUAGES:
        base["language"] = None
    for key in ("province", "sector"):
        if not isinstance(base[key], str):
            base[key] = None
    base["stack"] = [f for f in base["stack"] if _is_frame(f)]
    if not _is_frame(base["parked"]):
        base["parked"] = None
    for key in ("flow", "step"):
        if not isinstance(base[key], str):
            base[key] = None
    if not isinstance(base["handoff"], dict):
        base["handoff"] = None
    topic = base["topic"]
    if not (isinstance(topic, dict) and isinstance(topic.get("flow"), str)):
        base["topic"] = None
    base["v"] = VERSION
    base.update(extra)
    return base


def _is_frame(frame: object) -> bool:
    return (
        isinstance(frame, dict)
        and isinstance(frame.get("flow"), str)
        and isinstance(frame.get("step"), str)
        and isinstance(frame.get("slots"), dict)
    )


def when(value: object) -> datetime | None:
    """Parse a stored ISO timestamp; None when missing or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def frame(state: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The running flow as a frame to push on the stack or park."""
    return {
        "flow": state["flow"],
        "step": state["step"],
        "slots": copy.deepcopy(state["slots"]),
        "asked_at": state["asked_at"],
        **extra,
    }


def forget_unknown_flows(state: dict[str, Any], known: Any) -> None:
    """Drop flows a newer deployment no longer has (a stored state may outlive a flow)."""
    if state["flow"] not in known:
        clear_flow(state)
    state["stack"] = [f for f in state["stack"] if f["flow"] in known]
    if state["parked"] and state["parked"]["flow"] not in known:
        state["parked"] = None


def clear_flow(state: dict[str, Any]) -> None:
    state.update(flow=None, step=None, slots={}, asked_at=None, reprompts=0)
