"""Typed payloads of the effects the flows emit: a handler reads ``TopicAnswered.of(effect).topic``,
not ``effect.data.get("topic")``.

``Effect.data`` stays the plain dict a flow's YAML writes (``{kind: topic_answered, data: {topic:
wages, province: $province}}``), so flows keep declaring their effects as data; each payload reads
it once, defensively (a missing or mistyped field is None, an empty tuple or False), the way
``Parse.of`` reads a parse. ``file_report`` is read by bot.cases.draft.ReportDraft.from_effect;
``opt_in``, ``more``, ``tip_delete_chat``, ``handoff_end``, ``relay_to_agent`` and ``pin_unlocked``
carry nothing a handler reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Self, cast

from .types import Effect


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _texts(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list | tuple) else ()


#: How a payload reads a field of each declared type from the flow's dict.
_READERS: dict[str, Callable[[object], Any]] = {
    "str | None": _text,
    "bool": bool,
    "tuple[str, ...]": _texts,
}


class Payload:
    """A typed effect payload: ``Kind.of(effect)`` reads each of its fields from ``effect.data`` by
    the field's declared type (a missing or mistyped value is None, False or an empty tuple)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unreadable = {n: t for n, t in cls.__annotations__.items() if t not in _READERS}
        if unreadable:  # a field type no reader knows: a load error, not a wrong read later
            raise TypeError(f"{cls.__name__}: no reader for {unreadable}")

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> Self:
        data = effect.data if isinstance(effect, Effect) else effect
        return cls(
            **{f.name: _READERS[str(f.type)](data.get(f.name)) for f in fields(cast(Any, cls))}
        )


@dataclass(frozen=True)
class LanguageSet(Payload):
    """set_language: the worker chose the language they read."""

    language: str | None


@dataclass(frozen=True)
class ProvinceSet(Payload):
    """set_province: where the worker works (a province code), or None when they cleared it."""

    province: str | None


@dataclass(frozen=True)
class TopicAnswered(Payload):
    """topic_answered: a rights topic ("wages") answered, for the province it was answered for."""

    topic: str | None
    province: str | None


@dataclass(frozen=True)
class FlowEnded(Payload):
    """flow_completed, flow_cancelled, flow_abandoned: which flow, and at which step."""

    flow: str | None
    step: str | None


@dataclass(frozen=True)
class Emergency(Payload):
    """emergency: ``source`` "triage" (the safety triage read the message) with its ``category``,
    or a flow's answer ("report": yes to "are you in danger?")."""

    source: str | None
    province: str | None
    category: str | None


@dataclass(frozen=True)
class CaseStatus(Payload):
    """case_status: the case code the worker gave."""

    code: str | None


@dataclass(frozen=True)
class EraseData(Payload):
    """erase_data: whether the worker's reports are unlinked from them too (their second yes)."""

    unlink_reports: bool


@dataclass(frozen=True)
class NgoRequest(Payload):
    """find_ngo and handoff_agent: the worker's province, language and the services they need."""

    province: str | None
    language: str | None
    services: tuple[str, ...]


@dataclass(frozen=True)
class OptOut(Payload):
    """opt_out: what the worker sent (a keyword or an intent), and ``carrier`` when the carrier's
    own STOP handling told us."""

    keyword: str | None
    carrier: bool


@dataclass(frozen=True)
class PinChosen(Payload):
    """set_pin: the PIN as the flow collected it (``pin``); once bot.conversation.dialogue has
    stored its hash, only whether one was ``set``."""

    pin: str | None
    set: bool
