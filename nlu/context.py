"""Conversation context for the NLU: the active topic and its slots, as Rasa's tracker holds them.

A message read alone can be ambiguous when it continues the last answer: "y en bc?", "and
manitoba?", "what about caregivers?" name only a place or a sector. Both backends parse the text
alone, then ``apply`` reads it in context: while a topic is active, a short message whose only
content is a province or sector becomes ``inform`` (re-answer the topic with that value), and
among near-tied rights topics the active one wins. Safety and command intents are never changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nlu.inform import INFORM, SLOT_ENTITIES, without_slots
from nlu.normalize import tokens

#: A follow-up names the new value with at most this many other words ("y en", "what about").
MAX_OTHER_WORDS = 4
#: How close a rights topic must be to the top one for the active topic to win.
TIE_MARGIN = 0.15
#: Intents a follow-up may replace; anything else (emergency, opt_out, report_abuse ...) stays.
NEXT_STEP = "ask_next_step"
REPLACEABLE = frozenset({INFORM, "nlu_fallback", "greet", "affirm", "deny", NEXT_STEP})


@dataclass(frozen=True)
class Context:
    """What the conversation is about: the last topic's intent (``ask_hours``) and its slots."""

    topic: str | None = None
    slots: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, value: object) -> Context | None:
        """A Context from a Context or a Rasa-style dict ({"topic": ..., "slots": {...}})."""
        if isinstance(value, Context) or value is None:
            return value
        if isinstance(value, Mapping):
            slots = value.get("slots")
            return cls(
                topic=value.get("topic") if isinstance(value.get("topic"), str) else None,
                slots=dict(slots) if isinstance(slots, Mapping) else {},
            )
        return None


def apply(parse: dict[str, Any], context: Context | Mapping[str, Any] | None) -> dict[str, Any]:
    """``parse`` read in ``context`` (a new dict; the input is not changed)."""
    context = Context.of(context)
    if context is None or not context.topic or not parse.get("intent_ranking"):
        return parse
    ranking = [dict(item) for item in parse["intent_ranking"]]
    top = ranking[0]
    if _is_follow_up(parse, top, context.topic):
        ranking = _promote(ranking, INFORM, max(top["confidence"], _confidence(ranking, INFORM)))
    elif top["name"] == context.topic and (
        top["confidence"] - _confidence(ranking, NEXT_STEP) < TIE_MARGIN
    ):
        # The topic just answered, asked again with a what-to-do beside it ("a donde llamo si no
        # me lo pagan" after the wage answer): the next step, not the same answer again.
        ranking = _promote(ranking, NEXT_STEP, top["confidence"])
    elif top["name"].startswith("ask_") and top["name"] != context.topic:
        active = _confidence(ranking, context.topic)
        if active and top["confidence"] - active < TIE_MARGIN:
            ranking = _promote(ranking, context.topic, top["confidence"])
    return {**parse, "intent": dict(ranking[0]), "intent_ranking": ranking}


def _is_follow_up(parse: dict[str, Any], top: dict[str, Any], topic: str) -> bool:
    entities = parse.get("entities") or []
    if not any(e.get("entity") in SLOT_ENTITIES for e in entities):
        return False
    if len(tokens(without_slots(parse.get("text") or "", entities))) > MAX_OTHER_WORDS:
        return False
    return top["name"] in REPLACEABLE or top["name"] == topic


def _confidence(ranking: list[dict[str, Any]], name: str) -> float:
    return next((item["confidence"] for item in ranking if item["name"] == name), 0.0)


def _promote(ranking: list[dict[str, Any]], name: str, confidence: float) -> list[dict[str, Any]]:
    """``name`` first with ``confidence``, the rest in their order."""
    return [{"name": name, "confidence": confidence}] + [i for i in ranking if i["name"] != name]
