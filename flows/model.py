"""The flow model: what a flow, a step, an option and a message are once read from YAML.

Also the fixed vocabularies a flow may use (answer types, formats, effect kinds); provinces,
languages and intents are vocab's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

ASK_TYPES = ("choice", "multi", "text", "number", "province", "yesno", "media", "case_code", "pin")
FORMATS = ("money", "date", "number", "province", "language", "msgid")
EFFECT_KINDS = (
    "set_language",
    "set_province",
    "opt_out",
    "opt_in",
    "erase_data",
    "file_report",
    "case_status",
    "find_ngo",
    "handoff_agent",
    "handoff_end",
    "relay_to_agent",
    "topic_answered",
    "emergency",
    "more",
    "flow_completed",
    "flow_cancelled",
    "flow_abandoned",
    "tip_delete_chat",
    "set_pin",
)
SPECIAL_TARGETS = ("end", "menu", "cancel", "resume", "discard")
REFS = (
    "$language",
    "$province",
    "$channel",
    "$services",
    "$has_reports",
    "$slots",
    "$flow",
    "$pending",
    "$pin",
)
#: What a step's `entities:` may store: the NLU's entities, and what flows/story.py finds in a text.
STEP_ENTITIES = ("province", "sector", "charge", "travel", "case_code", "town", "employer")
MSGID = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_\-]+)+$")


@dataclass(frozen=True)
class Param:
    """A message placeholder: a literal, a state reference ($province) or a fact path."""

    literal: Any = None
    ref: str | None = None
    fact: str | None = None
    format: str | None = None
    options: str | None = None  # show the value (or each of a list) as that step's option label
    empty: str | None = None  # msgid shown when the value is missing
    clip: int | None = None  # at most this many characters of a worker's text (a summary)


@dataclass(frozen=True)
class Message:
    """A msgid with params, or a choice of messages by the worker's province."""

    msgid: str | None
    params: dict[str, Param] = field(default_factory=dict)
    by_province: dict[str, Message] | None = None

    @property
    def uses_province(self) -> bool:
        """Whether the words depend on the worker's province (a choice by province, a fact or a
        reference filled from it)."""
        return self.by_province is not None or any(
            (p.fact is not None and "{province}" in p.fact) or p.ref == "$province"
            for p in self.params.values()
        )


@dataclass(frozen=True)
class EffectSpec:
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    goto: str | None = None
    say: tuple[Message, ...] = ()
    effects: tuple[EffectSpec, ...] = ()
    set: dict[str, Any] = field(default_factory=dict[str, Any])
    intent: str | None = None
    entity: dict[str, Any] = field(default_factory=dict[str, Any])
    words: tuple[str, ...] = ()
    clear: tuple[str, ...] = ()  # slots emptied when chosen (to ask them again)


@dataclass(frozen=True)
class Step:
    id: str
    say: tuple[Message, ...] = ()
    effects: tuple[EffectSpec, ...] = ()
    prompt: Message | None = None
    ask: str | None = None
    slot: str | None = None
    options: tuple[Option, ...] = ()
    options_from: str | None = None
    skip: bool = False
    default: Any = None
    free: bool = False
    min: int | None = None
    max: int | None = None
    timeout: timedelta | None = None
    next: str | None = None
    when: str | None = None
    unless: str | None = None
    otherwise: str | None = None  # YAML `else`: where to go when `when`/`unless` skips the step
    needs: tuple[str, ...] = ()
    entities: dict[str, Any] = field(default_factory=dict[str, Any])
    reprompt: str | None = None
    problems: str | None = None  # slot noting the problem intents the answer names
    guess: str | None = None  # slot of noted intents that answers this step's options ahead

    @property
    def waits(self) -> bool:
        """Whether the step asks the worker something (else it passes straight on)."""
        return bool(self.ask or self.options or self.options_from)

    @property
    def uses_province(self) -> bool:
        """Whether what the step says, or whether it is said, depends on the worker's province."""
        conditions = (self.when or "", self.unless or "")
        return (
            "province" in self.needs
            or any("province" in c for c in conditions)
            or any(m.uses_province for m in (*self.say, *((self.prompt,) if self.prompt else ())))
        )


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    steps: dict[str, Step]
    start: str
    title: str | None = None
    intents: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    sensitive: bool = False
    resumable: bool = False
    keep: timedelta = timedelta(hours=24)
    timeout: timedelta | None = None
    then: str | None = None
    returns: str = "offer"  # offer | auto: how an interrupted flow comes back after this one
    entities: dict[str, Any] = field(default_factory=dict[str, Any])
    analytics: bool = (
        True  # emit flow_completed / _cancelled / _abandoned (off for plain navigation)
    )
    next_step: str | None = None  # the step that answers "what do I do?" after this topic
    problems: str | None = None  # slot noting the problem intents of the message that starts it
    account: str | None = None  # slot keeping a long starting message as the worker's own account
