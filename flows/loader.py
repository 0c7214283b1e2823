"""Loading and checking the whole flows directory: every mistake found before the first message."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from vocab import INTENTS, LANGUAGES, PROVINCES

from .engine import Engine
from .errors import FlowError
from .facts import Facts
from .keywords import load_keywords
from .model import REFS, SPECIAL_TARGETS, EffectSpec, Flow, Message, Step
from .schema import read_flows

DEFAULT_DIRECTORY = Path(__file__).resolve().parent
DATA_FILES = ("keywords.yaml", "facts.yaml")
REQUIRED_FLOWS = (
    "menu",
    "return",
    "resume",
    "province",
    "language",
    "help",
    "erase",
    "agent",
    "clarify",
    "emergency",
)


def load_engine(directory: str | Path | None = None, **options: Any) -> Engine:
    """Read keywords.yaml, facts.yaml and every flow file; refuse any inconsistency.

    `options` go to Engine (session_timeout, labels, strict, ...). Raises FlowError naming the
    file and key of the first problem found.
    """
    root = Path(directory) if directory is not None else DEFAULT_DIRECTORY
    if not root.is_dir():
        raise FlowError(str(root), "", "flows directory not found")
    keywords = load_keywords(root / "keywords.yaml")
    facts = Facts.load(root / "facts.yaml")
    flows = load_flows(root)
    Checker(flows, facts).check()
    for key in ("session_timeout", "handoff_timeout"):
        if isinstance(options.get(key), int | float):
            options[key] = timedelta(minutes=options[key])
    return Engine(flows, keywords, facts, **options)


def flow_files(root: Path) -> list[Path]:
    files = [p for p in sorted(root.glob("*.y*ml")) if p.name not in DATA_FILES]
    topics = root / "topics"
    if topics.is_dir():
        files.extend(sorted(topics.rglob("*.y*ml")))
    return files


def load_flows(root: Path) -> dict[str, Flow]:
    flows: dict[str, Flow] = {}
    for path in flow_files(root):
        source = str(path.relative_to(root.parent)) if root.parent in path.parents else path.name
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise FlowError(source, "", f"cannot read: {exc}") from exc
        for flow in read_flows(document, source):
            if flow.id in flows:
                raise FlowError(
                    source,
                    "flow",
                    f"flow id {flow.id!r} is already defined in {flows[flow.id].source}",
                )
            flows[flow.id] = flow
    return flows


class Checker:
    """Cross-file checks: targets, intents, references, facts, required flows."""

    def __init__(self, flows: dict[str, Flow], facts: Facts) -> None:
        self.flows = flows
        self.facts = facts
        self.intents: dict[str, str] = {}

    def check(self) -> None:
        for name in REQUIRED_FLOWS:
            if name not in self.flows:
                raise FlowError("flows/", "", f"required flow {name!r} is missing")
        for flow in self.flows.values():
            for i, intent in enumerate(flow.intents):
                self.intent_name(flow, f"intents[{i}]", intent)
                if intent in self.intents:
                    raise FlowError(
                        flow.source,
                        f"intents[{i}]",
                        f"intent {intent!r} is already handled by flow {self.intents[intent]!r}",
                    )
                self.intents[intent] = flow.id
        for flow in self.flows.values():
            self.check_flow(flow)

    def intent_name(self, flow: Flow, key: str, name: str) -> None:
        if name not in INTENTS:
            raise FlowError(
                flow.source, key, f"unknown intent {name!r} (the NLU's names are fixed by issue 3)"
            )

    def check_flow(self, flow: Flow) -> None:
        if flow.then is not None and flow.then != "menu" and flow.then not in self.flows:
            raise FlowError(flow.source, "then", f"unknown flow {flow.then!r}")
        if flow.next_step is not None and flow.next_step not in flow.steps:
            raise FlowError(flow.source, "next_step", f"unknown step {flow.next_step!r}")
        for step in flow.steps.values():
            key = f"steps.{step.id}"
            self.target(flow, f"{key}.next", step.next)
            self.target(flow, f"{key}.else", step.otherwise)
            for ref_key in ("when", "unless"):
                condition = getattr(step, ref_key)
                self.reference(
                    flow,
                    f"{key}.{ref_key}",
                    condition and condition.partition("=")[0],
                    bare_ok=True,
                )
            for j, message in enumerate(step.say):
                self.message(flow, f"{key}.say[{j}]", message)
            if step.prompt is not None:
                self.message(flow, f"{key}.prompt", step.prompt)
            self.effects(flow, f"{key}.effects", step.effects)
            for j, option in enumerate(step.options):
                okey = f"{key}.options[{j}]"
                self.target(flow, f"{okey}.goto", option.goto)
                if option.intent:
                    self.intent_name(flow, f"{okey}.intent", option.intent)
                for m, message in enumerate(option.say):
                    self.message(flow, f"{okey}.say[{m}]", message)
                self.effects(flow, f"{okey}.effects", option.effects)
                if option.set.get("language") not in (None, *LANGUAGES):
                    raise FlowError(flow.source, f"{okey}.set.language", "must be es, tl or en")
                if option.set.get("province") not in (None, *PROVINCES):
                    raise FlowError(flow.source, f"{okey}.set.province", "must be a province code")
            self.step_types(flow, key, step)

    def step_types(self, flow: Flow, key: str, step: Step) -> None:
        if step.ask == "yesno" and step.options and {o.id for o in step.options} - {"yes", "no"}:
            raise FlowError(flow.source, f"{key}.options", "yesno options must have ids yes and no")

    def target(self, flow: Flow, key: str, target: str | None) -> None:
        if target is None or target in SPECIAL_TARGETS or target in flow.steps:
            return
        if target.startswith("flow:"):
            if target[5:] not in self.flows:
                raise FlowError(flow.source, key, f"unknown flow {target[5:]!r}")
            return
        if target.startswith("intent:"):
            name = target[7:]
            self.intent_name(flow, key, name)
            if name != "menu" and name not in self.intents:
                raise FlowError(
                    flow.source,
                    key,
                    f"no flow handles intent {name!r} (add it to a flow's intents)",
                )
            return
        raise FlowError(flow.source, key, f"unknown step {target!r} in flow {flow.id!r}")

    def reference(self, flow: Flow, key: str, ref: Any, bare_ok: bool = False) -> None:
        if ref is None:
            return
        if not isinstance(ref, str):
            raise FlowError(flow.source, key, f"not a reference: {ref!r}")
        if ref.startswith("$slots.") or ref in REFS:
            return
        if bare_ok and not ref.startswith("$"):
            return
        raise FlowError(
            flow.source, key, f"unknown reference {ref!r} (one of {', '.join(REFS)}, $slots.<name>)"
        )

    def effects(self, flow: Flow, key: str, specs: tuple[EffectSpec, ...]) -> None:
        for i, spec in enumerate(specs):
            for name, value in spec.data.items():
                if isinstance(value, str) and value.startswith("$"):
                    self.reference(flow, f"{key}[{i}].data.{name}", value)

    def message(
        self,
        flow: Flow,
        key: str,
        message: Message,
        provinces: tuple[str | None, ...] = (*PROVINCES, None),
    ) -> None:
        if message.by_province is not None:
            for code in provinces:
                name = code or "unknown"
                branch = message.by_province.get(name) or message.by_province.get("default")
                if branch is None:
                    raise FlowError(
                        flow.source,
                        f"{key}.by_province",
                        f"no message for {code or 'an unknown province'} (add `default`)",
                    )
                chosen = name if name in message.by_province else "default"
                self.message(flow, f"{key}.by_province.{chosen}", branch, (code,))
            return
        for name, param in message.params.items():
            if param.ref is not None:
                self.reference(flow, f"{key}.params.{name}", param.ref)
            if param.options is not None and param.options not in flow.steps:
                raise FlowError(
                    flow.source,
                    f"{key}.params.{name}.options",
                    f"unknown step {param.options!r} in flow {flow.id!r}",
                )
            if param.fact is not None:
                for code in provinces:
                    if not self.facts.resolves(param.fact, code):
                        where = code or (
                            "an unknown province (the worker skipped the question): add an `unknown:`"
                            " branch to by_province, or a `default` key under the fact"
                        )
                        raise FlowError(
                            flow.source,
                            f"{key}.params.{name}",
                            f"fact {param.fact!r} has no value for {where} in {self.facts.source}",
                        )
