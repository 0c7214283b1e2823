"""Reading a worker's message as the answer to the waiting question.

Two stages, so the engine can let a confident intent interrupt in between: `match_option`
(numbers, buttons, words, intents, entities) and `read_value` (the step's answer type).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vocab import PROVINCES

from .keywords import Keywords
from .model import Option, Step
from .parse import Parse
from .text import bare_number, case_code, integer, normalize, number_list

SKIP_ID = "__skip"
#: A worker's PIN: 4 to 6 digits, kept as typed (leading zeros matter).
PIN = re.compile(r"\d{4,6}")
TEXT_LIMIT = 500
INTENT_OPTION_CONFIDENCE = 0.5

Labeler = Callable[[str, str | None], str]  # (msgid, language) -> label


@dataclass(frozen=True)
class Answer:
    """kind: option | options | skip | done | value | media | invalid."""

    kind: str
    value: Any = None
    options: tuple[Option, ...] = ()


INVALID = Answer("invalid")


# The province list (where one is shown) in the order most temporary foreign workers look for theirs.
PROVINCE_ORDER = ("ON", "BC", "QC", "AB", "MB", "SK", "NS", "NB", "PE", "NL", "YT", "NT", "NU")


def step_options(
    step: Step, slots: dict[str, Any], skip_label: str = "common.skip", province_list: bool = False
) -> tuple[Option, ...]:
    """The numbered options shown for a step, including built-in yes/no, province and skip.

    The province question is free text unless ``province_list`` (a channel where a list of 13
    costs nothing, WhatsApp): "estoy en Leamington", "nasa Calgary ako", "ont"."""
    options = list(step.options)
    if step.options_from:  # the slot's intents first, then any fixed options
        options = [
            Option(id=name, label=f"intent.{name}", goto=f"intent:{name}")
            for name in slots.get(step.options_from) or []
            if isinstance(name, str)
        ] + options
    elif not options and step.ask == "yesno":
        options = [
            Option(id="yes", label="common.yes", intent="affirm"),
            Option(id="no", label="common.no", intent="deny"),
        ]
    elif not options and step.ask == "province":
        if not province_list:
            return ()  # SKIP still works as a word; the prompt says so
        options = [Option(id=code, label=f"province.{code}") for code in PROVINCE_ORDER]
    if step.skip:
        options.append(Option(id=SKIP_ID, label=skip_label))
    return tuple(options)


def _by_number(options: tuple[Option, ...], number: int) -> Option | None:
    return options[number - 1] if 1 <= number <= len(options) else None


#: The flows' and catalogs' own words folded once per process (a step's options are compared with
#: every answer); a worker's message is folded anew each time and kept nowhere.
_fold = functools.lru_cache(maxsize=4096)(normalize)


def _label_matches(
    option: Option, folded: str, language: str | None, labels: Labeler | None, clipped: bool = False
) -> bool:
    """``clipped``: the text is a label cut short with "…" (a WhatsApp button or list item has
    room for 20 characters), so it matches the label it begins."""
    if folded in (_fold(option.id), _fold(option.label)):
        return True
    if any(folded == _fold(word) for word in option.words):
        return True
    if labels is not None:
        try:
            label = _fold(labels(option.label, language))
        except Exception:  # a broken catalog must not break the conversation
            return False
        return folded == label or (clipped and label.startswith(folded + " "))
    return False


def match_option(
    step: Step,
    options: tuple[Option, ...],
    text: str,
    button: str | None,
    parse: Parse,
    keywords: Keywords,
    language: str | None,
    labels: Labeler | None = None,
) -> Answer | None:
    """The option(s) a message picks, or None if it picks none."""
    for candidate in (button, text):
        if not candidate:
            continue
        folded = normalize(candidate)
        number = bare_number(candidate, keywords.numbers)
        if step.ask == "multi" and number is None:
            numbers = number_list(candidate, keywords.numbers)
            if numbers:
                picked = [_by_number(options, n) for n in numbers]
                if all(picked):
                    unique = {o.id: o for o in picked if o is not None}
                    return _multi(tuple(unique.values()))
        if number is not None:
            option = _by_number(options, number)
            if option is not None:
                return _single(option)
            if candidate is button:
                continue
            return None  # a bare number outside the list is not an option (the type may take it)
        clipped = candidate.rstrip().endswith(("\u2026", "..."))
        for option in options:
            if folded and _label_matches(option, folded, language, labels, clipped):
                return _single(option)
    if step.skip and keywords.is_word("skip", text):
        return Answer("skip")
    if step.ask == "media" and (keywords.is_word("done", text) or keywords.is_word("skip", text)):
        return Answer("done")
    for option in options:
        # yes/no words answer yes/no options and options standing for affirm/deny
        if (
            option.intent == "affirm" or (step.ask == "yesno" and option.id == "yes")
        ) and keywords.is_word("yes", text):
            return _single(option)
        if (
            option.intent == "deny" or (step.ask == "yesno" and option.id == "no")
        ) and keywords.is_word("no", text):
            return _single(option)
    for option in options:
        if (
            option.intent
            and option.intent == parse.intent
            and parse.confidence >= INTENT_OPTION_CONFIDENCE
        ):
            return _single(option)
    for option in options:
        for name, value in option.entity.items():
            if value in parse.entities.get(name, ()):
                return _single(option)
    return None


def _single(option: Option) -> Answer:
    if option.id == SKIP_ID:
        return Answer("skip")
    return Answer("option", options=(option,))


def _multi(options: tuple[Option, ...]) -> Answer:
    chosen = tuple(o for o in options if o.id != SKIP_ID)
    return Answer("options", options=chosen) if chosen else Answer("skip")


def read_value(
    step: Step, text: str, parse: Parse, media: tuple[Any, ...], keywords: Keywords
) -> Answer:
    """The answer by the step's type once no option matched."""
    stripped = (text or "").strip()
    kind = step.ask
    if kind == "media":
        return Answer("media", value=list(media)) if media else INVALID
    if kind == "text" or (kind == "choice" and step.free):
        return Answer("value", value=stripped[:TEXT_LIMIT]) if stripped else INVALID
    if kind == "number":
        value = integer(stripped, keywords.numbers)
        if (
            value is None
            or (step.min is not None and value < step.min)
            or (step.max is not None and value > step.max)
        ):
            return INVALID
        return Answer("value", value=value)
    if kind == "province":
        found = parse.entity("province")
        if found and found.upper() in PROVINCES:
            return Answer("value", value=found.upper())
        code = keywords.province(stripped)
        return Answer("value", value=code) if code else INVALID
    if kind == "pin":
        return Answer("value", value=stripped) if PIN.fullmatch(stripped) else INVALID
    if kind == "case_code":
        found = parse.entity("case_code")
        code = case_code(found or "") or case_code(stripped)
        return Answer("value", value=code) if code else INVALID
    return INVALID
