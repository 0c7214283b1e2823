"""Reading flows from YAML, key by key, into the model (flows/model.py).

Every problem is a FlowError naming the file and the key path, so whoever edits a flow can
fix it without reading Python.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from vocab import PROVINCES

from .errors import FlowError
from .model import (
    ASK_TYPES,
    EFFECT_KINDS,
    FORMATS,
    MSGID,
    SPECIAL_TARGETS,
    STEP_ENTITIES,
    EffectSpec,
    Flow,
    Message,
    Option,
    Param,
    Step,
)

_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: Any, source: str, key: str) -> timedelta:
    """'10m', '2h', '24h', '30s', '1d' or a number of minutes."""
    if isinstance(value, bool):
        raise FlowError(source, key, f"not a duration: {value!r}")
    if isinstance(value, int | float) and value >= 0:
        return timedelta(minutes=value)
    match = _DURATION.match(str(value).strip())
    if not match:
        raise FlowError(source, key, f"not a duration: {value!r} (use e.g. 10m, 2h, 1d)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class _Reader:
    """Reads one file's flows with the key path at hand for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> FlowError:
        return FlowError(self.source, key, problem)

    def mapping(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping, got {type(value).__name__}")
        for name in value:
            if name not in allowed:
                where = f"{key}.{name}" if key else str(name)
                raise self.fail(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return value

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        return tuple(value)

    def msgid(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not MSGID.match(value):
            raise self.fail(key, f"not a message id: {value!r} (dotted key, e.g. menu.main)")
        return value

    def message(self, value: Any, key: str) -> Message:
        if isinstance(value, str):
            return Message(self.msgid(value, key))
        data = self.mapping(value, key, {"msgid", "params", "by_province"})
        if "by_province" in data:
            if "msgid" in data or "params" in data:
                raise self.fail(key, "by_province stands alone (no msgid/params beside it)")
            choices = self.mapping(
                data["by_province"], f"{key}.by_province", set(PROVINCES) | {"default", "unknown"}
            )
            return Message(
                None,
                by_province={
                    code: self.message(v, f"{key}.by_province.{code}")
                    for code, v in choices.items()
                },
            )
        if "msgid" not in data:
            raise self.fail(key, "missing msgid")
        params = self.mapping(
            data.get("params") or {}, f"{key}.params", set(data.get("params") or {})
        )
        return Message(
            self.msgid(data["msgid"], f"{key}.msgid"),
            {name: self.param(v, f"{key}.params.{name}") for name, v in params.items()},
        )

    def param(self, value: Any, key: str) -> Param:
        if isinstance(value, dict):
            data = self.mapping(
                value, key, {"ref", "fact", "format", "value", "options", "empty", "clip"}
            )
            fmt = data.get("format")
            if fmt is not None and fmt not in FORMATS:
                raise self.fail(
                    f"{key}.format", f"unknown format {fmt!r} (one of {', '.join(FORMATS)})"
                )
            sources = [k for k in ("ref", "fact", "value") if k in data]
            if len(sources) != 1:
                raise self.fail(key, "give exactly one of ref, fact, value")
            ref = data.get("ref")
            if ref is not None and not str(ref).startswith("$"):
                raise self.fail(f"{key}.ref", "a reference starts with $ (e.g. $province)")
            clip = data.get("clip")
            if clip is not None and (
                not isinstance(clip, int) or isinstance(clip, bool) or clip < 1
            ):
                raise self.fail(f"{key}.clip", "must be a positive number of characters")
            return Param(
                literal=data.get("value"),
                ref=ref,
                fact=data.get("fact"),
                format=fmt,
                options=data.get("options"),
                empty=self.msgid(data["empty"], f"{key}.empty") if "empty" in data else None,
                clip=clip,
            )
        if isinstance(value, str) and value.startswith("$"):
            return Param(ref=value)
        return Param(literal=value)

    def messages(self, value: Any, key: str) -> tuple[Message, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        return tuple(self.message(v, f"{key}[{i}]") for i, v in enumerate(items))

    def effects(self, value: Any, key: str) -> tuple[EffectSpec, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(key, "must be a list of {kind, data}")
        specs = []
        for i, item in enumerate(value):
            data = self.mapping(item, f"{key}[{i}]", {"kind", "data"})
            if data.get("kind") not in EFFECT_KINDS:
                raise self.fail(f"{key}[{i}].kind", f"unknown effect {data.get('kind')!r}")
            payload = data.get("data") or {}
            if not isinstance(payload, dict):
                raise self.fail(f"{key}[{i}].data", "must be a mapping")
            specs.append(EffectSpec(data["kind"], dict(payload)))
        return tuple(specs)

    def option(self, value: Any, key: str) -> Option:
        data = self.mapping(
            value,
            key,
            {"id", "label", "goto", "say", "effects", "set", "intent", "entity", "words", "clear"},
        )
        if "label" not in data:
            raise self.fail(key, "missing label (the msgid shown after the number)")
        label = self.msgid(data["label"], f"{key}.label")
        settable = self.mapping(data.get("set") or {}, f"{key}.set", {"language", "province"})
        entity = self.mapping(
            data.get("entity") or {}, f"{key}.entity", {"province", "sector", "case_code"}
        )
        return Option(
            id=str(data.get("id", label.rsplit(".", 1)[-1])),
            label=label,
            goto=data.get("goto"),
            say=self.messages(data.get("say"), f"{key}.say"),
            effects=self.effects(data.get("effects"), f"{key}.effects"),
            set=dict(settable),
            intent=data.get("intent"),
            entity=dict(entity),
            words=self.strings(data.get("words"), f"{key}.words"),
            clear=self.strings(data.get("clear"), f"{key}.clear"),
        )

    def step(self, step_id: str, value: Any, key: str) -> Step:
        allowed = {
            "say",
            "effects",
            "prompt",
            "ask",
            "slot",
            "options",
            "options_from",
            "skip",
            "default",
            "free",
            "min",
            "max",
            "timeout",
            "next",
            "when",
            "unless",
            "else",
            "needs",
            "entities",
            "reprompt",
            "problems",
            "guess",
        }
        data = self.mapping(value if value is not None else {}, key, allowed)
        ask = data.get("ask")
        if ask is not None and ask not in ASK_TYPES:
            raise self.fail(
                f"{key}.ask", f"unknown answer type {ask!r} (one of {', '.join(ASK_TYPES)})"
            )
        raw_options = data.get("options") or []
        if not isinstance(raw_options, list):
            raise self.fail(f"{key}.options", "must be a list")
        options = tuple(self.option(o, f"{key}.options[{i}]") for i, o in enumerate(raw_options))
        ids = [o.id for o in options]
        if len(set(ids)) != len(ids):
            raise self.fail(f"{key}.options", "two options share an id")
        if ask in ("choice", "multi") and not options and not data.get("options_from"):
            raise self.fail(key, f"ask: {ask} needs options (or options_from)")
        waits = bool(ask or options or data.get("options_from"))
        if waits and "prompt" not in data:
            raise self.fail(key, "a step that asks needs a prompt")
        if ask in ("multi", "text", "number", "media", "case_code", "pin") and not data.get("slot"):
            raise self.fail(key, f"ask: {ask} needs a slot to store the answer")
        needs = self.strings(data.get("needs"), f"{key}.needs")
        for need in needs:
            if need != "province":
                raise self.fail(f"{key}.needs", f"unknown need {need!r} (only province)")
        entities = self.mapping(data.get("entities") or {}, f"{key}.entities", set(STEP_ENTITIES))
        if data.get("guess") is not None and ask not in ("multi", "choice", None):
            raise self.fail(
                f"{key}.guess", "only a choice or multi step can be answered ahead by noted intents"
            )
        for name in ("min", "max"):
            if name in data and not isinstance(data[name], int):
                raise self.fail(f"{key}.{name}", "must be an integer")
        return Step(
            id=step_id,
            say=self.messages(data.get("say"), f"{key}.say"),
            effects=self.effects(data.get("effects"), f"{key}.effects"),
            prompt=self.message(data["prompt"], f"{key}.prompt") if "prompt" in data else None,
            ask=ask or ("choice" if options or data.get("options_from") else None),
            slot=data.get("slot"),
            options=options,
            options_from=data.get("options_from"),
            skip=bool(data.get("skip", False)),
            default=data.get("default"),
            free=bool(data.get("free", False)),
            min=data.get("min"),
            max=data.get("max"),
            timeout=parse_duration(data["timeout"], self.source, f"{key}.timeout")
            if "timeout" in data
            else None,
            next=data.get("next"),
            when=data.get("when"),
            unless=data.get("unless"),
            otherwise=data.get("else"),
            needs=needs,
            entities=dict(entities),
            reprompt=self.msgid(data["reprompt"], f"{key}.reprompt")
            if "reprompt" in data
            else None,
            problems=data.get("problems"),
            guess=data.get("guess"),
        )

    def flow(self, value: Any, key: str) -> Flow:
        allowed = {
            "flow",
            "title",
            "intents",
            "needs",
            "services",
            "sensitive",
            "resumable",
            "keep",
            "timeout",
            "then",
            "start",
            "steps",
            "returns",
            "entities",
            "analytics",
            "next_step",
            "problems",
            "account",
        }
        data = self.mapping(value, key, allowed)

        def at(name: str) -> str:
            return f"{key}.{name}" if key else name

        flow_id = data.get("flow")
        if not isinstance(flow_id, str) or not re.match(r"^[a-z][a-z0-9_.]*$", flow_id):
            raise self.fail(at("flow"), f"missing or bad flow id: {flow_id!r}")
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, dict) or not raw_steps:
            raise self.fail(at("steps"), "a flow needs at least one step")
        steps = {
            str(sid): self.step(str(sid), sv, at(f"steps.{sid}")) for sid, sv in raw_steps.items()
        }
        for reserved in SPECIAL_TARGETS:
            if reserved in steps:
                raise self.fail(at(f"steps.{reserved}"), "reserved word, not a step id")
        start = data.get("start", next(iter(steps)))
        if start not in steps:
            raise self.fail(at("start"), f"unknown step {start!r}")
        returns = data.get("returns", "offer")
        if returns not in ("offer", "auto"):
            raise self.fail(at("returns"), "must be offer or auto")
        needs = self.strings(data.get("needs"), at("needs"))
        if any(n != "province" for n in needs):
            raise self.fail(at("needs"), "only province can be needed")
        return Flow(
            id=flow_id,
            source=self.source,
            steps=steps,
            start=start,
            title=self.msgid(data["title"], at("title")) if "title" in data else None,
            intents=self.strings(data.get("intents"), at("intents")),
            needs=needs,
            services=self.strings(data.get("services"), at("services")),
            sensitive=bool(data.get("sensitive", False)),
            resumable=bool(data.get("resumable", False)),
            keep=parse_duration(data["keep"], self.source, at("keep"))
            if "keep" in data
            else timedelta(hours=24),
            timeout=parse_duration(data["timeout"], self.source, at("timeout"))
            if "timeout" in data
            else None,
            then=data.get("then"),
            returns=returns,
            entities=dict(
                self.mapping(data.get("entities") or {}, at("entities"), set(STEP_ENTITIES))
            ),
            analytics=bool(data.get("analytics", True)),
            next_step=data.get("next_step"),
            problems=data.get("problems"),
            account=data.get("account"),
        )


def read_flows(document: Any, source: str) -> list[Flow]:
    """The flows in one YAML document: a single flow mapping or `flows: [...]`."""
    reader = _Reader(source)
    if isinstance(document, dict) and "flows" in document:
        reader.mapping(document, "", {"flows"})
        items = document["flows"]
        if not isinstance(items, list) or not items:
            raise reader.fail("flows", "must be a non-empty list of flows")
        return [reader.flow(item, f"flows[{i}]") for i, item in enumerate(items)]
    if isinstance(document, dict):
        return [reader.flow(document, "")]
    raise reader.fail("", "a flow file holds a flow (mapping with `flow:`) or `flows: [...]`")
