"""The flow engine: (state, turn) -> StepResult. Pure: no I/O after loading."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from vocab import INTENT_THRESHOLDS, NEVER_OFFERED, PROVINCES

from . import state as states
from .answers import Labeler
from .facts import Facts
from .followup import recent_topic
from .keywords import Keywords
from .model import Flow
from .parse import Parse
from .turn import Handler
from .types import Reply, StepResult, Turn

log = logging.getLogger(__name__)

#: Topics whose answers each answer the other's question: working sick and seeing a doctor both
#: say that no permission is needed for care ("no me dejan ir al doctor y tengo fiebre"). Between
#: two of them the top one is answered rather than asked about.
TWIN_TOPICS = frozenset({"ask_sick", "ask_health"})


class Engine:
    """Interprets the loaded flows for one worker turn at a time; holds no per-worker data."""

    def __init__(
        self,
        flows: dict[str, Flow],
        keywords: Keywords,
        facts: Facts,
        *,
        session_timeout: timedelta = timedelta(minutes=60),
        handoff_timeout: timedelta = timedelta(hours=24),
        interrupt_confidence: float = 0.6,
        text_interrupt_confidence: float = 0.9,
        clarify_margin: float = 0.1,
        intent_thresholds: dict[str, float] | None = None,
        never_offered: tuple[str, ...] = NEVER_OFFERED,
        default_language: str = "en",
        labels: Labeler | None = None,
        province_list_channels: tuple[str, ...] = ("whatsapp",),
        strict: bool = False,
    ) -> None:
        self.flows = flows
        self.keywords = keywords
        self.facts = facts
        self.session_timeout = session_timeout
        self.handoff_timeout = handoff_timeout
        self.interrupt_confidence = interrupt_confidence
        self.text_interrupt_confidence = text_interrupt_confidence
        self.clarify_margin = clarify_margin
        self.intent_thresholds = dict(
            INTENT_THRESHOLDS if intent_thresholds is None else intent_thresholds
        )
        self.never_offered = frozenset(never_offered)
        self.default_language = default_language
        self.labels = labels
        self.province_list_channels = tuple(province_list_channels)
        self.strict = strict
        self.provinces = frozenset(PROVINCES)
        self.intents: dict[str, str] = {
            intent: flow.id for flow in flows.values() for intent in flow.intents
        }

    def route(self, intent: str) -> str | None:
        """The flow an intent leads to ('menu' for the menu intent), or None."""
        if intent == "menu":
            return "menu"
        return self.intents.get(intent)

    def trusts(self, intent: str, confidence: float) -> bool:
        """Whether an intent is confident enough to act on or to offer (its own threshold)."""
        return confidence >= self.intent_thresholds.get(intent, 0.0)

    def decided(self, parse: Parse) -> bool:
        """Whether the parse's top intent is the one to act on: trusted, and clear of the second
        guess (or the two are TWIN_TOPICS, and either answer serves)."""
        ranking = parse.ranking
        clear = parse.margin >= self.clarify_margin or (
            len(ranking) >= 2 and {ranking[0][0], ranking[1][0]} <= TWIN_TOPICS
        )
        return clear and self.trusts(parse.intent, parse.confidence)

    def context(self, state: Mapping[str, object] | None, now: datetime) -> dict[str, Any] | None:
        """What the NLU should read the next message in (Rasa-style: the active topic's intent
        and the slots), or None when no rights topic was answered this session."""
        repaired = states.repair(state)
        topic = recent_topic(repaired, now, self.session_timeout)
        flow = self.flows.get(topic["flow"]) if topic else None
        if topic is None or flow is None or not flow.intents:
            return None
        slots = {"province": repaired["province"], "sector": topic.get("sector")}
        return {"topic": flow.intents[0], "slots": {k: v for k, v in slots.items() if v}}

    def step(self, state: Mapping[str, object] | None, turn: Turn) -> StepResult:
        """Handle one inbound message. Never raises (unless built with strict=True, for tests)."""
        if turn.now.tzinfo is None:
            turn = Turn(
                turn.text,
                turn.parse,
                turn.channel,
                turn.now.replace(tzinfo=UTC),
                turn.button,
                turn.media,
            )
        repaired = states.repair(state)
        states.forget_unknown_flows(repaired, self.flows)
        try:
            parse = Parse.of(turn.parse, turn.text or "")
            return Handler(self, repaired, turn, parse).run()
        except Exception:
            if self.strict:
                raise
            # The last resort for a bug: keep the worker's settings, show the menu.
            log.exception("flow engine failed; falling back to the main menu")
            safe = states.fresh(repaired["language"])
            for key in ("province", "opted_out", "has_reports", "last_seen"):
                safe[key] = repaired[key]
            if safe["opted_out"]:
                return StepResult([], safe, [])
            safe["last_seen"] = turn.now.isoformat()
            try:
                menu = Handler(self, safe, turn, Parse())
                menu.go_menu()
                return StepResult([Reply("reprompt.giveup"), *menu.replies], menu.state, [])
            except Exception:
                log.exception("the main menu itself failed")
                return StepResult([Reply("reprompt.giveup")], safe, [])
