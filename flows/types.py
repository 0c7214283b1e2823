"""The data crossing the engine's boundary: one worker turn in, replies, state and effects out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vocab import Channel

from .state import EngineState


@dataclass(frozen=True)
class Turn:
    """One inbound message as the engine sees it: text, its NLU parse and where it came from."""

    text: str
    parse: dict[str, Any] | None
    channel: Channel
    now: datetime  # timezone-aware
    button: str | None = None  # WhatsApp ButtonPayload, else ButtonText
    media: tuple[Any, ...] = ()  # media references as the bot passes them (JSON-serializable)


@dataclass(frozen=True)
class ReplyOption:
    """A numbered choice attached to a prompt: the worker answers with `key` (e.g. "2")."""

    key: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict[str, Any])
    id: str = ""  # the option's id in the flow: what a WhatsApp button or list item sends back


@dataclass(frozen=True)
class Reply:
    """A message to send, by gettext message id; the bot renders it in the worker's language.

    `formats` names params the renderer must localize (money, date, province, language, msgid; a
    number is shown as written, bot.text.catalogs.tagged); `language` overrides the worker's
    language for this one reply (an offer to switch).
    """

    msgid: str
    params: dict[str, Any] = field(default_factory=dict[str, Any])
    options: tuple[ReplyOption, ...] = ()
    formats: dict[str, Any] = field(default_factory=dict[str, Any])
    language: str | None = None
    #: Which question this is, for a WhatsApp Content template (buttons or a list) configured for
    #: it: "yesno", "province", or the asking step as "<flow>.<step>" (e.g. "menu.main").
    choice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "msgid": self.msgid,
            "params": dict(self.params),
            "options": [
                {"key": o.key, "msgid": o.msgid, "params": dict(o.params)} for o in self.options
            ],
            "formats": dict(self.formats),
            "language": self.language,
        }


@dataclass(frozen=True)
class Effect:
    """Something the bot must do (DB write, routing, analytics); the engine only asks for it."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict[str, Any])
    #: How many of the turn's replies come before it: what the bot adds for it (an organization
    #: list after "looking for organizations...") goes there, not after everything else.
    after: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StepResult:
    """What one turn produced: replies in order, the new state to store, effects in order."""

    replies: list[Reply]
    state: EngineState
    effects: list[Effect]

    @property
    def msgids(self) -> list[str]:
        return [r.msgid for r in self.replies]

    @property
    def effect_kinds(self) -> list[str]:
        return [e.kind for e in self.effects]
