"""The NLU's parse as one typed value, the boundary between the NLU and the dialogue.

Both interpreters return a ``Parse``. It is stored with each turn, and handed to the flows, as a
dict in Rasa's /model/parse shape plus `language`, `triage` and `problems`: ``Parse.to_dict``
writes that dict, ``Parse.of`` reads it back and ``Parse.from_rasa`` reads a Rasa server's reply.
The engine must never raise on what it is handed (a stored parse, a test's, a fuzzer's), so every
field is read defensively here and nowhere else.
It sits in vocab, below both the NLU and the flows, so both backends and the dialogue share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from vocab import FALLBACK, LANGUAGES, PROVINCES, case_code

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
class Entity:
    """One entity where the NLU found it: ``text[start:end]`` is the words, ``value`` what they
    mean (a province code, a case code "7KQ4-M9XR")."""

    entity: str
    value: object
    start: int
    end: int
    extractor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "extractor": self.extractor,
        }


def _span(item: object) -> Entity | None:
    if not isinstance(item, dict) or not isinstance(item.get("entity"), str):
        return None
    start, end, extractor = item.get("start"), item.get("end"), item.get("extractor")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    extractor = extractor if isinstance(extractor, str) else None
    return Entity(item["entity"], item.get("value"), start, end, extractor)


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
    text: str = ""  # the message the NLU read, when the parse was read with it
    spans: tuple[Entity, ...] = ()  # the entities where they were found, as the NLU gave them

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
            text=text,
            spans=tuple(
                span
                for span in map(_span, raw_entities if isinstance(raw_entities, list) else [])
                if span is not None
            ),
        )

    @classmethod
    def from_rasa(
        cls, body: object, text: str, language: str | None, threshold: float | None
    ) -> Parse:
        """A Rasa server's /model/parse reply as Puente's parse; ``language`` comes from the
        embedded interpreter (Rasa does not identify languages).

        Below ``threshold`` the top intent gives way to nlu_fallback scored at the threshold (the
        rule of Rasa's FallbackClassifier); intents are ranked once each; entities are kept once
        per span, in text order, and held to the embedded extractor's values (``_our_value``).
        Raises ValueError or TypeError for a reply that is not a /model/parse response.
        """
        intent = body.get("intent") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(intent, dict):
            raise ValueError("not a /model/parse reply")
        ranking = _rasa_ranking(body.get("intent_ranking") or [])
        name = str(intent.get("name") or FALLBACK)
        confidence = float(intent.get("confidence") or 0.0)
        if threshold is not None and name != FALLBACK and confidence < threshold:
            name, confidence = FALLBACK, threshold
            ranking = [{"name": name, "confidence": confidence}] + [
                item for item in ranking if item["name"] != FALLBACK
            ]
        reply = {
            "intent": {"name": name, "confidence": confidence},
            "intent_ranking": ranking,
            "entities": [span.to_dict() for span in _rasa_entities(body.get("entities") or [])],
            "language": language,
        }
        # Rasa's order, as its reply gave it (``of`` would rank by confidence: the same for a
        # real reply, whose ranking is already in that order).
        return replace(
            cls.of(reply, text),
            ranking=tuple((item["name"], item["confidence"]) for item in ranking),
        )

    def to_dict(self) -> dict[str, Any]:
        """The parse as it travels and is stored (Rasa's /model/parse shape plus ``language``, and
        ``problems`` when there are several): ``Parse.of(parse.to_dict(), parse.text) == parse``
        for a parse without triage (the triage classifier writes its own, with its cues)."""
        written: dict[str, Any] = {
            "text": self.text,
            "intent": {"name": self.intent, "confidence": self.confidence},
            "intent_ranking": [{"name": name, "confidence": conf} for name, conf in self.ranking],
            "entities": [span.to_dict() for span in self.spans],
            "language": self.language,
        }
        if self.problems:
            written["problems"] = list(self.problems)
        return written

    def entity(self, name: str) -> str | None:
        values = self.entities.get(name)
        return values[0] if values else None

    @property
    def margin(self) -> float:
        """How far the top intent is ahead of the runner-up (1.0 when there is none)."""
        others = [conf for name, conf in self.ranking if name != self.intent]
        return self.confidence - (others[0] if others else 0.0)


def _rasa_ranking(raw: object) -> list[dict[str, Any]]:
    """Intent names once each: a trained nlu_fallback can meet the FallbackClassifier's."""
    ranking: dict[str, dict[str, Any]] = {}
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and item.get("name") and item["name"] not in ranking:
            name = str(item["name"])
            ranking[name] = {"name": name, "confidence": float(item.get("confidence") or 0.0)}
    return list(ranking.values())


def _rasa_entities(raw: object) -> list[Entity]:
    """One entity per span when DIET and the regex extractor both found it, in text order."""
    seen: set[tuple[str, int, int]] = set()
    entities = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not {"entity", "start", "end"} <= item.keys():
            continue
        span = _span(item)
        if span is None:
            raise TypeError("an entity without a name or offsets")
        if (span.entity, span.start, span.end) in seen:
            continue
        value = _our_value(span)
        if value is None:
            continue
        seen.add((span.entity, span.start, span.end))
        entities.append(Entity(span.entity, value, span.start, span.end, span.extractor))
    return sorted(entities, key=lambda entity: (entity.start, entity.end))


def _our_value(entity: Entity) -> object | None:
    """Rasa's value held to the embedded extractor's, or None to drop the entity.

    A province is one of the 13 codes (DIET can tag a misspelling no synonym maps); a case code
    is ``XXXX-XXXX`` from our alphabet with at least 2 digits and 2 letters (Rasa's regex alone
    also matches two 4-letter words).
    """
    value = str(entity.value)
    if entity.entity == "province":
        return entity.value if value in PROVINCES else None
    if entity.entity == "case_code":
        code = re.sub(r"[- ]", "", value).upper()
        if case_code(code) != code:
            return None
        return f"{code[:4]}-{code[4:]}"
    return entity.value
