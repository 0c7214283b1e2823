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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .types import Effect


def _data(effect: Effect | Mapping[str, Any]) -> Mapping[str, Any]:
    return effect.data if isinstance(effect, Effect) else effect


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class LanguageSet:
    """set_language: the worker chose the language they read."""

    language: str | None

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> LanguageSet:
        return cls(_text(_data(effect).get("language")))


@dataclass(frozen=True)
class ProvinceSet:
    """set_province: where the worker works (a province code), or None when they cleared it."""

    province: str | None

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> ProvinceSet:
        return cls(_text(_data(effect).get("province")))


@dataclass(frozen=True)
class TopicAnswered:
    """topic_answered: a rights topic ("wages") answered, for the province it was answered for."""

    topic: str | None
    province: str | None

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> TopicAnswered:
        data = _data(effect)
        return cls(_text(data.get("topic")), _text(data.get("province")))


@dataclass(frozen=True)
class FlowEnded:
    """flow_completed, flow_cancelled, flow_abandoned: which flow, and at which step."""

    flow: str | None
    step: str | None

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> FlowEnded:
        data = _data(effect)
        return cls(_text(data.get("flow")), _text(data.get("step")))


@dataclass(frozen=True)
class Emergency:
    """emergency: ``source`` "triage" (the safety triage read the message) with its ``category``,
    or a flow's answer ("report": yes to "are you in danger?")."""

    source: str | None
    province: str | None
    category: str | None

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> Emergency:
        data = _data(effect)
        return cls(
            _text(data.get("source")), _text(data.get("province")), _text(data.get("category"))
        )


@dataclass(frozen=True)
class CaseStatus:
    """case_status: the case code the worker gave."""

    code: str | None

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> CaseStatus:
        return cls(_text(_data(effect).get("code")))


@dataclass(frozen=True)
class EraseData:
    """erase_data: whether the worker's reports are unlinked from them too (their second yes)."""

    unlink_reports: bool

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> EraseData:
        return cls(bool(_data(effect).get("unlink_reports")))


@dataclass(frozen=True)
class NgoRequest:
    """find_ngo and handoff_agent: the worker's province, language and the services they need."""

    province: str | None
    language: str | None
    services: tuple[str, ...]

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> NgoRequest:
        data = _data(effect)
        services = data.get("services") or ()
        return cls(
            _text(data.get("province")),
            _text(data.get("language")),
            tuple(services) if isinstance(services, list | tuple) else (),
        )


@dataclass(frozen=True)
class OptOut:
    """opt_out: what the worker sent (a keyword or an intent), and ``carrier`` when the carrier's
    own STOP handling told us."""

    keyword: str | None
    carrier: bool

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> OptOut:
        data = _data(effect)
        return cls(_text(data.get("keyword")), bool(data.get("carrier")))


@dataclass(frozen=True)
class PinChosen:
    """set_pin: the PIN as the flow collected it (``pin``); once bot.conversation.dialogue has
    stored its hash, only whether one was ``set``."""

    pin: str | None
    set: bool

    @classmethod
    def of(cls, effect: Effect | Mapping[str, Any]) -> PinChosen:
        data = _data(effect)
        return cls(_text(data.get("pin")), bool(data.get("set")))
