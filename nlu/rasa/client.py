"""Parse text with a Rasa server's /model/parse, falling back to the embedded interpreter.

Rasa does not identify languages, so ``language`` always comes from the fallback (embedded)
interpreter, which also answers whenever the server is unreachable or misbehaves: a message is
never lost and ``parse`` never raises. Logs name the server and the failure, never the text.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, Protocol

import requests

from nlu.context import Context, apply
from nlu.entities import CASE_ALPHABET
from nlu.inform import read_past_slots
from vocab import PROVINCES

log = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
ENTITY_KEYS = ("entity", "value", "start", "end", "extractor")


class Interpreter(Protocol):
    def parse(
        self,
        text: str,
        language_hint: str | None = None,
        context: Context | dict[str, Any] | None = None,
    ) -> dict[str, Any]: ...


class RasaInterpreter:
    """An interpreter backed by a Rasa server, with the embedded interpreter as its safety net.

    After a failure the server is left alone for ``retry_after`` seconds, so an outage costs one
    log line and one timeout per period instead of one per message.
    """

    def __init__(
        self,
        url: str,
        fallback: Interpreter,
        timeout: float = 2.0,
        *,
        threshold: float | None = None,
        retry_after: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.fallback = fallback
        self.timeout = timeout
        self.threshold = threshold
        self.retry_after = retry_after
        self._session = session or requests.Session()
        self._skip_until = 0.0
        self._failing = False

    def parse(
        self,
        text: str,
        language_hint: str | None = None,
        context: Context | dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Rasa parses the text alone (its /model/parse has no tracker); the context is applied
        here, the same way as for the embedded interpreter."""
        local = self.fallback.parse(text, language_hint, context)
        if not text.strip() or time.monotonic() < self._skip_until:
            return local
        try:
            response = self._session.post(
                f"{self.url}/model/parse", json={"text": text}, timeout=self.timeout
            )
            response.raise_for_status()
            parse = from_rasa(response.json(), text, local["language"], self.threshold)
        except (requests.RequestException, TypeError, ValueError) as exc:
            self._skip_until = time.monotonic() + self.retry_after
            self._failing = True
            log.warning(
                "Rasa server %s failed (%s); using the embedded interpreter for the next %.0f s",
                self.url,
                _describe(exc),
                self.retry_after,
            )
            return local
        if self._failing:
            self._failing = False
            log.info("Rasa server %s answers again", self.url)
        if local.get("problems"):  # found clause by clause by the embedded classifier
            parse["problems"] = local["problems"]
        # A question that names a province is the question (nlu.inform), as for the embedded one.
        top_intent = getattr(self.fallback, "top_intent", None)
        if top_intent is not None:
            parse = read_past_slots(parse, top_intent)
        return apply(parse, context)


def from_rasa(body: Any, text: str, language: str, threshold: float | None) -> dict[str, Any]:
    """Map a /model/parse response to Puente's parse shape (see nlu.get_interpreter).

    Raises ValueError or TypeError for a reply that is not a /model/parse response.
    """
    intent = body.get("intent") if isinstance(body, dict) else None
    if not isinstance(intent, dict):
        raise ValueError("not a /model/parse reply")
    ranking = _ranking(body.get("intent_ranking") or [])
    name = intent.get("name") or FALLBACK_INTENT
    confidence = float(intent.get("confidence") or 0.0)
    if threshold is not None and name != FALLBACK_INTENT and confidence < threshold:
        # Same rule as Rasa's FallbackClassifier: nlu_fallback scored at the threshold, on top.
        name, confidence = FALLBACK_INTENT, threshold
        ranking = [{"name": name, "confidence": confidence}] + [
            item for item in ranking if item["name"] != FALLBACK_INTENT
        ]
    return {
        "text": text,
        "intent": {"name": str(name), "confidence": confidence},
        "intent_ranking": ranking,
        "entities": _entities(body.get("entities") or []),
        "language": language,
    }


def _ranking(raw: list[Any]) -> list[dict[str, Any]]:
    """Intent names once each: a trained nlu_fallback can meet the FallbackClassifier's."""
    ranking: dict[str, dict[str, Any]] = {}
    for item in raw:
        if isinstance(item, dict) and item.get("name") and item["name"] not in ranking:
            name = str(item["name"])
            ranking[name] = {"name": name, "confidence": float(item.get("confidence") or 0.0)}
    return list(ranking.values())


def _entities(raw: list[Any]) -> list[dict[str, Any]]:
    """Our keys and values, one entity per span when DIET and the regex extractor both found it."""
    seen: set[tuple[Any, Any, Any]] = set()
    entities = []
    for item in raw:
        if not isinstance(item, dict) or not {"entity", "start", "end"} <= item.keys():
            continue
        entity = _with_our_value({key: item.get(key) for key in ENTITY_KEYS})
        span = (item["entity"], item["start"], item["end"])
        if entity is None or span in seen:
            continue
        seen.add(span)
        entities.append(entity)
    return sorted(entities, key=lambda entity: (entity["start"], entity["end"]))


def _with_our_value(entity: dict[str, Any]) -> dict[str, Any] | None:
    """Hold Rasa to the embedded extractor's values, or drop the entity.

    A province is one of the 13 codes (DIET can tag a misspelling no synonym maps); a case code
    is ``XXXX-XXXX`` from our alphabet with at least 2 digits and 2 letters (Rasa's regex alone
    also matches two 4-letter words).
    """
    value = str(entity["value"])
    if entity["entity"] == "province":
        return entity if value in PROVINCES else None
    if entity["entity"] == "case_code":
        code = re.sub(r"[- ]", "", value).upper()
        digits = sum(char.isdigit() for char in code)
        if len(code) != 8 or not set(code) <= set(CASE_ALPHABET) or not 2 <= digits <= 6:
            return None
        return {**entity, "value": f"{code[:4]}-{code[4:]}"}
    return entity


def _describe(exc: Exception) -> str:
    """Name a failure without its message, which could quote the server's reply."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__
