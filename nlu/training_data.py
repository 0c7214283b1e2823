"""Reader for Rasa 3 NLU training data (YAML), so Puente trains on the same files Rasa does.

Covers what real projects use: intents with examples as a block string or as a list (plain
strings or ``text`` + ``metadata`` items, multi-line texts included), intent-level metadata,
entity annotations in ``[text](entity)``, ``[text](entity:value)``, ``[text]{"entity": ...,
"value": ..., "role": ..., "group": ...}`` and ``[text][{...}, {...}]`` forms, synonyms, regexes
and lookup tables. Other top-level keys (stories, rules, responses) are ignored, as Rasa does
when it reads NLU data.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlu.errors import TrainingDataError

# Same grammar as Rasa's entities_parser: [text](type[:value]) | [text]{dict} | [text][list].
ENTITY_REGEX = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\]"
    r"(\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)"
    r"|\{(?P<entity_dict>[^}]+?)\}"
    r"|\[(?P<list_entity_dicts>.*?)\])"
)
_STRIP = "\n\r "


@dataclass(frozen=True)
class EntityAnnotation:
    """An entity marked in a training example; offsets refer to the plain text."""

    entity: str
    value: str
    start: int
    end: int
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class Example:
    """One training message with its intent, entities and metadata (intent + example level)."""

    text: str
    intent: str
    entities: tuple[EntityAnnotation, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def language(self) -> str | None:
        value = self.metadata.get("language")
        return str(value) if value else None


@dataclass
class TrainingData:
    """Examples plus the entity resources (synonyms, regexes, lookup tables)."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> Counter[str]:
        return Counter(example.intent for example in self.examples)

    def merge(self, other: TrainingData) -> TrainingData:
        merged = TrainingData(
            examples=self.examples + other.examples,
            synonyms={**self.synonyms, **other.synonyms},
            regexes={name: list(patterns) for name, patterns in self.regexes.items()},
            lookups={name: list(items) for name, items in self.lookups.items()},
        )
        for name, patterns in other.regexes.items():
            merged.regexes.setdefault(name, []).extend(patterns)
        for name, items in other.lookups.items():
            merged.lookups.setdefault(name, []).extend(items)
        return merged


def parse_annotated(raw: str, where: str = "<text>") -> tuple[str, tuple[EntityAnnotation, ...]]:
    """Split an annotated example into plain text and entity annotations (Rasa's offsets)."""
    entities: list[EntityAnnotation] = []
    offset = 0
    for match in ENTITY_REGEX.finditer(raw):
        text = match.group("entity_text")
        start = match.start() - offset
        for attrs in _entity_attributes(match, where):
            entities.append(
                EntityAnnotation(
                    entity=attrs["entity"],
                    value=str(attrs.get("value", text)),
                    start=start,
                    end=start + len(text),
                    role=attrs.get("role"),
                    group=attrs.get("group"),
                )
            )
        offset += len(match.group(0)) - len(text)
    plain = ENTITY_REGEX.sub(lambda m: m.group("entity_text"), raw)
    return plain, tuple(entities)


def _entity_attributes(match: re.Match[str], where: str) -> list[dict[str, Any]]:
    if match.group("entity"):
        attrs: dict[str, Any] = {"entity": match.group("entity")}
        if match.group("value"):
            attrs["value"] = match.group("value")
        return [attrs]
    source = match.group("entity_dict")
    source = (
        "{" + source + "}" if source is not None else "[" + match.group("list_entity_dicts") + "]"
    )
    try:
        parsed = json.loads(source)
    except json.JSONDecodeError as exc:
        raise TrainingDataError(
            f"{where}: invalid entity annotation {match.group(0)!r}: {exc}"
        ) from exc
    items = parsed if isinstance(parsed, list) else [parsed]
    for item in items:
        if not isinstance(item, dict) or "entity" not in item:
            raise TrainingDataError(
                f"{where}: entity annotation without 'entity': {match.group(0)!r}"
            )
    return items


def _example_items(examples: Any, where: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Yield (raw text, example metadata) from either of Rasa's example layouts."""
    if isinstance(examples, str):
        for line in examples.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if not stripped.startswith("-"):
                raise TrainingDataError(f"{where}: example line must start with '- ': {line!r}")
            yield stripped[1:].strip(_STRIP), {}
    elif isinstance(examples, list):
        for item in examples:
            if isinstance(item, str):
                yield item.strip(_STRIP), {}
            elif isinstance(item, dict) and "text" in item:
                yield str(item["text"]).strip(_STRIP), item.get("metadata") or {}
            else:
                raise TrainingDataError(
                    f"{where}: example must be a string or have 'text': {item!r}"
                )
    elif examples is not None:
        raise TrainingDataError(f"{where}: 'examples' must be a block string or a list")


def _plain_items(item: Mapping[str, Any], where: str) -> list[str]:
    return [text for text, _ in _example_items(item.get("examples"), where) if text]


def parse_nlu(document: Any, source: str = "<yaml>") -> TrainingData:
    """Build TrainingData from a loaded YAML document (a mapping with an ``nlu`` list)."""
    data = TrainingData()
    if not isinstance(document, dict):
        raise TrainingDataError(f"{source}: expected a mapping at the top level")
    items = document.get("nlu") or []
    if not isinstance(items, list):
        raise TrainingDataError(f"{source}: 'nlu' must be a list")
    for index, item in enumerate(items):
        where = f"{source}: nlu[{index}]"
        if not isinstance(item, dict):
            raise TrainingDataError(f"{where}: expected a mapping, got {item!r}")
        if "intent" in item:
            _add_intent(data, item, where)
        elif "synonym" in item:
            for text in _plain_items(item, where):
                data.synonyms[text.lower()] = str(item["synonym"])
        elif "regex" in item:
            data.regexes.setdefault(str(item["regex"]), []).extend(_plain_items(item, where))
        elif "lookup" in item:
            data.lookups.setdefault(str(item["lookup"]), []).extend(_plain_items(item, where))
        else:
            raise TrainingDataError(f"{where}: unknown item, expected intent/synonym/regex/lookup")
    return data


def _add_intent(data: TrainingData, item: Mapping[str, Any], where: str) -> None:
    intent = str(item["intent"])
    intent_meta = item.get("metadata") or {}
    if not isinstance(intent_meta, dict):
        raise TrainingDataError(f"{where}: intent metadata must be a mapping")
    for raw, example_meta in _example_items(item.get("examples"), f"{where} ({intent})"):
        if not raw:
            continue
        text, entities = parse_annotated(raw, f"{where} ({intent})")
        for annotation in entities:
            surface = text[annotation.start : annotation.end]
            if annotation.value != surface:
                data.synonyms.setdefault(surface.lower(), annotation.value)
        metadata = {**intent_meta, **(example_meta if isinstance(example_meta, dict) else {})}
        data.examples.append(
            Example(text=text, intent=intent, entities=entities, metadata=metadata)
        )


def load_file(path: str | Path) -> TrainingData:
    """Read one Rasa YAML file; a file without an ``nlu`` key yields empty data."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TrainingDataError(f"{path}: cannot read YAML: {exc}") from exc
    if document is None:
        return TrainingData()
    return parse_nlu(document, str(path))


def load(paths: str | Path | Iterable[str | Path]) -> TrainingData:
    """Read files and directories (every *.yml / *.yaml below them, sorted) into one TrainingData."""
    if isinstance(paths, str | Path):
        paths = [paths]
    data = TrainingData()
    for entry in paths:
        entry = Path(entry)
        if entry.is_dir():
            files = sorted(p for p in entry.rglob("*") if p.suffix in (".yml", ".yaml"))
        elif entry.exists():
            files = [entry]
        else:
            raise TrainingDataError(f"{entry}: no such file or directory")
        for file in files:
            data = data.merge(load_file(file))
    return data
