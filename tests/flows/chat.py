"""A chat harness for the flow engine: scripts read like a conversation.

    chat.script([
        (says("hola", "greet"), ["welcome.intro", "menu.main"]),
        (says("1"),             ["topics.ask"]),
        (says("STOP"),          ["optout.confirmed", "!opt_out"]),
    ])

Expected items are reply msgids in order (the whole list must match), and `!kind` for an
effect that must be among the turn's effects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import flows

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def parse(
    intent: str = "nlu_fallback",
    confidence: float = 0.95,
    language: str = "es",
    entities: dict | None = None,
    ranking: list | None = None,
    text: str = "",
    triage: str | None = None,
    problems: list | None = None,
) -> dict:
    """A hand-built NLU parse in the shape of Rasa's /model/parse plus `language`, the
    safety triage's category (`triage`) and the problems of a message naming several."""
    ranked = ranking or [(intent, confidence)]
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranked],
        "entities": [_entity(name, value, text) for name, value in (entities or {}).items()],
        "language": language,
        "triage": {"category": triage, "confidence": 0.99 if triage else 0.01, "cues": []},
        **({"problems": list(problems)} if problems else {}),
    }


def _entity(name: str, value: str | tuple[str, str], text: str) -> dict:
    """An entity; given as (value, words) it spans those words of the text ("ON", "Leamington")."""
    value, surface = value if isinstance(value, tuple) else (value, "")
    start = text.find(surface) if surface else -1
    span = (start, start + len(surface)) if start >= 0 else (0, 0)
    return {"entity": name, "value": value, "start": span[0], "end": span[1], "extractor": "test"}


@dataclass
class Says:
    text: str
    intent: str = "nlu_fallback"
    confidence: float = 0.95
    language: str | None = None
    entities: dict = field(default_factory=dict)
    ranking: list | None = None
    button: str | None = None
    media: tuple = ()
    after: timedelta = timedelta(seconds=30)
    triage: str | None = None
    problems: list | None = None


def says(text: str, intent: str = "nlu_fallback", confidence: float = 0.95, **kw) -> Says:
    return Says(text, intent, confidence, **kw)


class Chat:
    """One worker talking to the engine over one channel, with a clock that moves."""

    def __init__(self, engine: flows.Engine, channel: str = "sms", language: str = "es") -> None:
        self.engine = engine
        self.channel = channel
        self.language = language
        self.state: dict | None = None
        self.now = START
        self.last: flows.StepResult | None = None

    def send(self, message: Says | str) -> flows.StepResult:
        if isinstance(message, str):
            message = Says(message)
        self.now += message.after
        result = self.engine.step(
            self.state,
            flows.Turn(
                text=message.text,
                parse=parse(
                    message.intent,
                    message.confidence,
                    message.language or self.language,
                    message.entities,
                    message.ranking,
                    message.text,
                    message.triage,
                    message.problems,
                ),
                channel=self.channel,
                now=self.now,
                button=message.button,
                media=message.media,
            ),
        )
        json.dumps(result.state)  # the stored state must always be JSON
        self.state = result.state
        self.last = result
        return result

    def script(self, steps: list[tuple[Says | str, list[str]]]) -> None:
        for number, (message, expected) in enumerate(steps, start=1):
            result = self.send(message)
            replies = [e for e in expected if not e.startswith("!")]
            effects = [e[1:] for e in expected if e.startswith("!")]
            said = message.text if isinstance(message, Says) else message
            assert result.msgids == replies, f"turn {number} ({said!r}): bot said {result.msgids}"
            missing = [k for k in effects if k not in result.effect_kinds]
            assert not missing, f"turn {number} ({said!r}): no {missing} in {result.effect_kinds}"

    def effect(self, kind: str) -> flows.Effect:
        assert self.last is not None
        found = [e for e in self.last.effects if e.kind == kind]
        assert found, f"no {kind} effect in {self.last.effect_kinds}"
        return found[-1]
