"""The embedded interpreter: intent, entities and language in process, trained from nlu/data.

Training takes seconds, so a bot loads it from the model cache (nlu.model_cache, built at
`puente db upgrade` or at start); ``save``/``load`` keep a trained model in one .npz file,
tagged with a fingerprint of the data it came from.
"""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlu.classifier import LogisticRegression
from nlu.context import Context, apply
from nlu.emoji import emoji_intent
from nlu.entities import EntityExtractor
from nlu.errors import ModelError
from nlu.features import Featurizer
from nlu.inform import read_past_slots
from nlu.language import LanguageDetector
from nlu.model_cache import linear_parts, read_linear_parts, write_model
from nlu.normalize import tokens
from nlu.problems import asked_first
from nlu.problems import find as find_problems
from nlu.training_data import Example, TrainingData
from vocab import FALLBACK
from vocab.parse import Parse

log = logging.getLogger(__name__)

CASE_CODE_TOKEN = "casecode"
MAX_CHARS = 2000  # longer messages are judged on their start; parse time stays bounded
RANKING_LENGTH = 10
MODEL_VERSION = 1


def classifier_tokens(text: str, entities: Sequence[dict[str, Any]]) -> list[str]:
    """Tokens the intent classifier sees: case codes become one placeholder word."""
    pieces, cursor = [], 0
    for entity in entities:
        if entity["entity"] == "case_code":
            pieces += [text[cursor : entity["start"]], f" {CASE_CODE_TOKEN} "]
            cursor = entity["end"]
    pieces.append(text[cursor:])
    return tokens("".join(pieces))


def fingerprint(data: TrainingData) -> str:
    """Hash of the training examples and entity resources, to tell a stale saved model."""
    digest = hashlib.sha256()
    for example in data.examples:
        digest.update(f"{example.intent}\t{example.text}\t{example.language}\n".encode())
    digest.update(json.dumps([data.synonyms, data.regexes, data.lookups], sort_keys=True).encode())
    return digest.hexdigest()[:16]


class EmbeddedInterpreter:
    """Parses text into a ``Parse`` (built in Rasa's /model/parse shape plus ``language``, the
    shape nlu.context and nlu.inform read). ``parse`` never raises."""

    def __init__(
        self,
        featurizer: Featurizer,
        classifier: LogisticRegression,
        entities: EntityExtractor,
        languages: LanguageDetector,
        threshold: float = 0.0,
        default_language: str = "es",
        data_fingerprint: str = "",
    ) -> None:
        self.featurizer = featurizer
        self.classifier = classifier
        self.entities = entities
        self.languages = languages
        self.threshold = threshold
        self.default_language = default_language
        self.data_fingerprint = data_fingerprint

    # ------------------------------------------------------------------ training
    @classmethod
    def train(
        cls, data: TrainingData, threshold: float | None = None, l2: float = 1e-4
    ) -> EmbeddedInterpreter:
        """Fit every part on ``data``; the fallback threshold is tuned by cross-validation
        unless given."""
        if not data.examples:
            raise ModelError("no training examples")
        entities = EntityExtractor.from_training_data(data, _known_words(data.examples))
        texts = [classifier_tokens(e.text, entities.extract(e.text)) for e in data.examples]
        labels = [e.intent for e in data.examples]
        featurizer = Featurizer().fit(texts)
        classifier = LogisticRegression(l2=l2).fit(featurizer.transform(texts), labels)
        languages = LanguageDetector().fit(
            (tokens(e.text), e.language) for e in data.examples if e.language
        )
        if threshold is None:
            from nlu.evaluate import tune_threshold  # evaluation imports this module

            threshold = tune_threshold(data, l2=l2) if FALLBACK in labels else 0.0
        return cls(
            featurizer,
            classifier,
            entities,
            languages,
            threshold,
            data_fingerprint=fingerprint(data),
        )

    # ------------------------------------------------------------------ parsing
    def parse(
        self,
        text: str,
        language_hint: str | None = None,
        context: Context | dict[str, Any] | None = None,
    ) -> Parse:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        try:
            return Parse.of(apply(self._parse(text, language_hint), context), text)
        except Exception:  # the edge of the package: a message must never be lost
            log.exception("embedded NLU failed on a message of %d characters", len(text))
            return Parse.of(
                self._result(text, [], [], language_hint or self.default_language), text
            )

    def _parse(self, text: str, language_hint: str | None) -> dict[str, Any]:
        clipped = text[:MAX_CHARS]
        entities = self.entities.extract(clipped)
        words = classifier_tokens(clipped, entities)
        content = [w for w in words if w != CASE_CODE_TOKEN]
        language = self.languages.detect(content, language_hint, self.default_language)
        if not words or _is_junk(clipped):
            said = emoji_intent(clipped) if not words else None
            ranking = [{"name": said, "confidence": 1.0}] if said else []
            return self._result(text, ranking, entities, language)
        indices, values = self.featurizer.row(words)
        probs = self.classifier.predict_proba_row(indices, values)
        order = np.argsort(-probs)[:RANKING_LENGTH]
        ranking = [
            {"name": self.classifier.classes[i], "confidence": float(probs[i])} for i in order
        ]
        result = read_past_slots(self._result(text, ranking, entities, language), self.top_intent)
        problems = find_problems(clipped, self.top_intent)
        if problems:
            result["problems"] = problems
        return asked_first(result, self.top_intent)

    def top_intent(self, text: str) -> tuple[str, float]:
        """The classifier's best intent for a piece of a message (for several problems)."""
        words = classifier_tokens(text, self.entities.extract(text))
        indices, values = self.featurizer.row(words)
        probs = self.classifier.predict_proba_row(indices, values)
        best = int(np.argmax(probs))
        return self.classifier.classes[best], float(probs[best])

    def _result(
        self,
        text: str,
        ranking: list[dict[str, Any]],
        entities: list[dict[str, Any]],
        language: str,
    ) -> dict[str, Any]:
        if not ranking or ranking[0]["confidence"] < self.threshold:
            # As Rasa's FallbackClassifier: nlu_fallback on top, the real ranking kept below.
            top = {"name": FALLBACK, "confidence": self.threshold if ranking else 1.0}
            ranking = [top] + [r for r in ranking if r["name"] != FALLBACK]
        return {
            "text": text,
            "intent": dict(ranking[0]),
            "intent_ranking": ranking,
            "entities": entities,
            "language": language,
        }

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the model to one .npz file (weights as arrays, the rest as JSON)."""
        meta, arrays = linear_parts(self.featurizer, self.classifier)
        meta |= {
            "version": MODEL_VERSION,
            "fingerprint": self.data_fingerprint,
            "threshold": self.threshold,
            "default_language": self.default_language,
            "languages": {
                "log_probs": self.languages.log_probs,
                "log_unseen": self.languages.log_unseen,
            },
        }
        return write_model(path, meta, **arrays)

    @classmethod
    def load(cls, path: str | Path, data: TrainingData) -> EmbeddedInterpreter:
        """Read a saved model; ``data`` supplies the entity resources and must match it."""
        meta, featurizer, classifier = read_linear_parts(path, MODEL_VERSION)
        if meta.get("fingerprint") != fingerprint(data):
            raise ModelError(f"{path}: model was trained on other data; run `puente nlu train`")
        languages = LanguageDetector()
        languages.log_probs = meta["languages"]["log_probs"]
        languages.log_unseen = meta["languages"]["log_unseen"]
        entities = EntityExtractor.from_training_data(data, _known_words(data.examples))
        return cls(
            featurizer,
            classifier,
            entities,
            languages,
            meta["threshold"],
            meta["default_language"],
            meta["fingerprint"],
        )


def _is_junk(text: str) -> bool:
    """Mostly control, private-use or replacement characters: binary data, not a message."""
    visible = [c for c in text if not c.isspace()]
    junk = sum(
        1 for c in visible if c == "\ufffd" or unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn")
    )
    return bool(visible) and junk > 0.2 * len(visible)


def _known_words(examples: Sequence[Example]) -> set[str]:
    """Words seen in training: real words, so never fuzzy-matched to a place name."""
    return {word for example in examples for word in tokens(example.text)}
