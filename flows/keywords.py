"""The keyword file (keywords.yaml): global commands, yes/no/skip/done words, language and province names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vocab import LANGUAGES, PROVINCES

from .errors import FlowError
from .text import normalize, words

COMMANDS = ("menu", "language", "help", "stop", "start", "erase", "agent", "more", "exit")
WORD_LISTS = ("skip", "done", "yes", "no")
EMPLOYER_CUES = ("before", "naming", "names", "articles", "stop")
#: A request for a language is short: "english please", "en español porfa", "tagalog na lang po".
REQUEST_MAX_WORDS = 5


@dataclass(frozen=True)
class Keywords:
    """Normalized lookups built once from keywords.yaml."""

    commands: dict[str, str]  # normalized word -> command
    carrier_stop: frozenset[str]
    carrier_start: frozenset[str]
    lists: dict[str, frozenset[str]]  # skip/done/yes/no -> normalized words
    numbers: dict[str, int]
    languages: dict[str, str]  # normalized name -> language code
    provinces: dict[str, str]  # normalized name or code -> province code
    neutral: frozenset[str] = frozenset()  # words that show no language (ok, jaja, lol)
    negations: frozenset[str] = frozenset()  # "no hablo ingles" asks for no English
    employer: dict[str, frozenset[str]] = field(
        default_factory=dict
    )  # EMPLOYER_CUES -> normalized words

    def command(self, text: str, channel: str) -> str | None:
        """The global command a whole message is, if any (SMS also honours carrier words)."""
        folded = normalize(text)
        if channel == "sms" and folded in self.carrier_stop:
            return "stop"
        return self.commands.get(folded)

    def is_start(self, text: str, channel: str) -> bool:
        folded = normalize(text)
        return self.commands.get(folded) == "start" or (
            channel == "sms" and folded in self.carrier_start
        )

    def is_carrier_word(self, text: str) -> bool:
        """Twilio answers these itself on SMS, and blocks our replies after a stop word."""
        folded = normalize(text)
        return folded in self.carrier_stop or folded in self.carrier_start

    def is_word(self, kind: str, text: str) -> bool:
        return normalize(text) in self.lists.get(kind, frozenset())

    def language_name(self, text: str, requests: bool = True) -> str | None:
        """The language a message asks for: its name alone, or (with ``requests``) in a short
        request without a negation ("english please", "en español porfa", not "no hablo ingles")."""
        folded = normalize(text)
        if folded in self.languages or not requests:
            return self.languages.get(folded)
        tokens = words(folded)
        if not tokens or len(tokens) > REQUEST_MAX_WORDS or self.negations & set(tokens):
            return None
        named = {self.languages[t] for t in tokens if t in self.languages}
        return named.pop() if len(named) == 1 else None

    def shows_language(self, text: str) -> bool:
        """Whether a message can tell its language: two words or more that are not all neutral
        (an emoji, a number, "ok" or a lone name never sets or changes the language)."""
        tokens = [t for t in words(text) if not t.isdigit()]
        return len(tokens) >= 2 and not set(tokens) <= self.neutral

    def province(self, text: str) -> str | None:
        return self.provinces.get(normalize(text))


def _per_language(data: dict[str, Any], key: str, source: str) -> list[str]:
    block = data.get(key)
    if not isinstance(block, dict):
        raise FlowError(source, key, "must map each language (es, tl, en) to a list of words")
    found: list[str] = []
    for lang in LANGUAGES:
        items = block.get(lang)
        if not isinstance(items, list) or not items:
            raise FlowError(source, f"{key}.{lang}", "must be a non-empty list of words")
        found.extend(str(i) for i in items)
    extra = set(block) - set(LANGUAGES)
    if extra:
        raise FlowError(source, f"{key}.{sorted(extra)[0]}", "unknown language (use es, tl, en)")
    return found


def load_keywords(path: Path) -> Keywords:
    """Read and check keywords.yaml; a missing list or a word claimed by two commands is an error."""
    source = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise FlowError(source, "", f"cannot read: {exc}") from exc
    known = {
        "commands",
        "carrier",
        "skip",
        "done",
        "yes",
        "no",
        "numbers",
        "languages",
        "provinces",
        "neutral",
        "negations",
        "employer",
    }
    for key in data:
        if key not in known:
            raise FlowError(source, str(key), f"unknown key (expected one of {sorted(known)})")
    commands_block = data.get("commands") or {}
    commands: dict[str, str] = {}
    for name in COMMANDS:
        for word in _per_language(commands_block, name, source):
            folded = normalize(word)
            if commands.get(folded, name) != name:
                raise FlowError(
                    source, f"commands.{name}", f"'{word}' is already a {commands[folded]} word"
                )
            commands[folded] = name
    for name in commands_block:
        if name not in COMMANDS:
            raise FlowError(
                source, f"commands.{name}", f"unknown command (expected one of {list(COMMANDS)})"
            )
    carrier = data.get("carrier") or {}
    lists = {
        kind: frozenset(normalize(w) for w in _per_language(data, kind, source))
        for kind in WORD_LISTS
    }
    numbers: dict[str, int] = {}
    for lang, mapping in (data.get("numbers") or {}).items():
        if not isinstance(mapping, dict):
            raise FlowError(source, f"numbers.{lang}", "must map words to numbers")
        numbers.update({normalize(str(k)): int(v) for k, v in mapping.items()})
    languages: dict[str, str] = {}
    for lang in LANGUAGES:
        for word in (data.get("languages") or {}).get(lang) or []:
            languages[normalize(str(word))] = lang
    provinces = {normalize(code): code for code in PROVINCES}
    for code, names in (data.get("provinces") or {}).items():
        if code not in PROVINCES or not isinstance(names, list):
            raise FlowError(
                source, f"provinces.{code}", "must be a province code with a list of names"
            )
        provinces.update({normalize(str(name)): code for name in names})
    return Keywords(
        commands=commands,
        carrier_stop=frozenset(normalize(w) for w in carrier.get("stop") or []),
        carrier_start=frozenset(normalize(w) for w in carrier.get("start") or []),
        lists=lists,
        numbers=numbers,
        languages=languages,
        provinces=provinces,
        neutral=frozenset(normalize(str(w)) for w in data.get("neutral") or []),
        negations=frozenset(normalize(w) for w in _per_language(data, "negations", source)),
        employer=_employer_cues(data.get("employer") or {}, source),
    )


def _employer_cues(block: dict[str, Any], source: str) -> dict[str, frozenset[str]]:
    if not isinstance(block, dict) or set(block) - set(EMPLOYER_CUES):
        raise FlowError(
            source, "employer", f"must map {', '.join(EMPLOYER_CUES)} to words per language"
        )
    return {
        cue: frozenset(normalize(w) for w in _per_language(block, cue, f"{source}: employer"))
        for cue in EMPLOYER_CUES
    }
