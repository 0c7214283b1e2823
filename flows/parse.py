"""The NLU's parse as one typed value, read from its dict (Rasa /model/parse shape plus
`language`, `triage` and `problems`).

The engine must never raise on what the NLU (or a test, or a fuzzer) hands it, so every field
is read defensively here and nowhere else: the bot reads a parse through ``Parse.of`` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vocab import FALLBACK, LANGUAGES

from .text import case_code

TRIAGE_CATEGORIES = ("suicide", "sexual", "confinement", "danger", "injury")


def _confidence(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return number if 0.0 <= number <= 1.0 else 0.0


def _surface(text: str, start: object, end: object) -> str:
    """The words an entity was found in, or "" when its offsets do not fit the text."""
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text or ""):
        return text[start:end].strip()
    return ""


@dataclass(frozen=True)
class Parse:
    """What the NLU understood of one message: its top intent and confidence, the ranking, the
    entities by name, the language, and the safety triage and problems when there are any."""

    intent: str = FALLBACK
    confidence: float = 0.0
    ranking: tuple[tuple[str, float], ...] = ()
    entities: dict[str, tuple[str, ...]] = field(default_factory=dict)
    language: str | None = None
    triage: str | None = None  # the safety triage's category (nlu/triage), None when ordinary
    triage_also: tuple[
        str, ...
    ] = ()  # other categories the same message shows ("pushed" + "swollen")
    problems: tuple[
        str, ...
    ] = ()  # several problems in one message, in writing order (nlu/problems)
    places: tuple[str, ...] = ()  # the words behind each province entity ("Leamington", "ontario")

    @classmethod
    def of(cls, parse: object, text: str = "") -> Parse:
        """The parse as the NLU returned it, read field by field; ``text`` (the message) adds a
        case code the NLU missed and the words behind each province."""
        data = parse if isinstance(parse, dict) else {}
        raw_intent = data.get("intent")
        intent: dict[str, Any] = raw_intent if isinstance(raw_intent, dict) else {}
        raw_name = intent.get("name")
        name = raw_name if isinstance(raw_name, str) else FALLBACK
        ranking: list[tuple[str, float]] = []
        raw_ranking = data.get("intent_ranking")
        for item in raw_ranking if isinstance(raw_ranking, list) else []:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                ranking.append((item["name"], _confidence(item.get("confidence"))))
        ranking.sort(key=lambda pair: -pair[1])
        entities: dict[str, list[str]] = {}
        places: list[str] = []
        raw_entities = data.get("entities")
        for item in raw_entities if isinstance(raw_entities, list) else []:
            if isinstance(item, dict) and isinstance(item.get("entity"), str):
                value = item.get("value")
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    entities.setdefault(item["entity"], []).append(str(value))
                    if item["entity"] == "province":
                        places.append(_surface(text, item.get("start"), item.get("end")))
        code = case_code(text)
        if code and "case_code" not in entities:
            entities["case_code"] = [code]
        language = data.get("language")
        raw_triage = data.get("triage")
        triage: dict[str, Any] = raw_triage if isinstance(raw_triage, dict) else {}
        # A message that is only a case code is a status check: a random code such as "628T-G2HE"
        # can look like danger to the classifier's character n-grams (about 1 in 1,000 codes).
        category = None if code else triage.get("category")
        return cls(
            intent=name,
            confidence=_confidence(intent.get("confidence")),
            ranking=tuple(ranking),
            entities={k: tuple(v) for k, v in entities.items()},
            language=language if language in LANGUAGES else None,
            triage=category if category in TRIAGE_CATEGORIES else None,
            triage_also=tuple(c for c in also if c in TRIAGE_CATEGORIES)
            if category in TRIAGE_CATEGORIES and isinstance(also := triage.get("also"), list)
            else (),
            problems=tuple(p for p in raw_problems if isinstance(p, str))
            if isinstance(raw_problems := data.get("problems"), list)
            else (),
            places=tuple(p for p in places if p),
        )

    def entity(self, name: str) -> str | None:
        values = self.entities.get(name)
        return values[0] if values else None

    @property
    def margin(self) -> float:
        """How far the top intent is ahead of the runner-up (1.0 when there is none)."""
        others = [conf for name, conf in self.ranking if name != self.intent]
        return self.confidence - (others[0] if others else 0.0)
