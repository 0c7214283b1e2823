"""The safety triage classifier: is a worker in danger, and of what kind.

Its own model, separate from the intent classifier, because the two answer different questions:
"me dio una cachetada" has no intent the menu knows, yet must get 911 first. A logistic regression
over character n-grams and words (typo-tolerant: nlu.features) learns the categories from
nlu/triage/data, with every ordinary intent example of nlu/data as the `none` class; the evidence
phrases of cues.yml decide when present. Trained once per version of the data into the model
cache (nlu.model_cache), from which a process loads it. Pure: numpy and YAML only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlu.classifier import LogisticRegression
from nlu.features import Featurizer
from nlu.model_cache import linear_parts, read_linear_parts, write_model
from nlu.normalize import tokens
from nlu.problems import MIN_WORDS, SENTENCE_BREAKS, SHORT_WORDS, clauses
from nlu.training_data import Example, load
from nlu.triage.cues import CUES_FILE, Cue, CueIndex, load_cues

log = logging.getLogger(__name__)

NONE = "none"
#: Most urgent first: when a message shows several, the first one found here is its category.
CATEGORIES = ("suicide", "sexual", "confinement", "danger", "injury")
TRIAGE_DATA = Path(__file__).with_name("data")
INTENT_DATA = Path(__file__).resolve().parents[1] / "data"
#: Danger probability (1 - P(none)) above which a message is triaged without any cue. By
#: cross-validation on the training data (`python -m nlu triage --tune`, cues left out) 0.55 costs
#: 5 points of the classifier's own recall against 0.5 and a fifth of its false alarms; the cues
#: of cues.yml carry the recall on the phrasings they list, and a false 911 on a wage question
#: costs the worker's trust.
DEFAULT_THRESHOLD = 0.55
#: A second category the classifier gives at least this probability is reported beside the first
#: ("pushed me off the ladder, my foot is swollen": violence, and an injury to get seen to).
ALSO_PROBABILITY = 0.3
#: Each danger example counts this many times in training: danger is rare in the data and a miss
#: costs far more than a false alarm.
DANGER_WEIGHT = 4
MAX_CHARS = 2000
#: A two-word part of a longer message ("...tapos hinahawakan ako, ...") counts only this sure, or
#: by a cue: the classifier reads fragments such as "me mojo" or "me cortaron" as danger at 0.7-0.8.
SHORT_PART_CONFIDENCE = 0.9
MODEL_VERSION = 1


@dataclass(frozen=True)
class Triage:
    """What the triage made of one message: ``category`` is None for an ordinary message; ``also``
    holds the other categories it shows, most urgent first."""

    category: str | None
    confidence: float
    cues: tuple[str, ...] = field(default=())
    also: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "confidence": round(self.confidence, 4),
            "cues": list(self.cues),
            "also": list(self.also),
        }


def training_examples(
    triage_dir: Path = TRIAGE_DATA, intent_dir: Path = INTENT_DATA
) -> list[Example]:
    """The triage examples plus every intent example except `emergency`, labelled `none`, but
    for those holding an evidence phrase (cues.yml): "me cai del techo en la obra" is an
    `ask_injury` example, yet no ordinary message, and must not teach the classifier that it is."""
    examples = [e for e in load(intent_dir).examples if e.intent != "emergency"]
    # Only a cue's own words exclude an example: read as typos, "la semana pasada" would be a kick
    # ("patada"), and the ordinary word would never be learned as one.
    vocabulary = {word for e in examples for word in tokens(e.text)}
    cues = CueIndex(load_cues(CUES_FILE, CATEGORIES), vocabulary)
    ordinary = [
        Example(e.text, NONE, e.entities, e.metadata)
        for e in examples
        if not cues.matching(tokens(e.text))
    ]
    return list(load(triage_dir).examples) + ordinary


class TriageClassifier:
    """``classify(text)`` never raises: a message must never be lost to a triage bug."""

    def __init__(
        self,
        featurizer: Featurizer,
        classifier: LogisticRegression,
        cues: CueIndex,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.featurizer = featurizer
        self.classifier = classifier
        self.cues = cues
        self.threshold = threshold
        self._none = classifier.classes.index(NONE)

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        cues: Sequence[Cue] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        l2: float = 1e-4,
        danger_weight: int = DANGER_WEIGHT,
    ) -> TriageClassifier:
        texts = [tokens(e.text) for e in examples]
        featurizer = Featurizer().fit(texts)
        weights = [1.0 if e.intent == NONE else float(danger_weight) for e in examples]
        classifier = LogisticRegression(l2=l2).fit(
            featurizer.transform(texts), [e.intent for e in examples], weights
        )
        if cues is None:
            cues = load_cues(CUES_FILE, CATEGORIES)
        ordinary = {word for e in examples if e.intent == NONE for word in tokens(e.text)}
        return cls(featurizer, classifier, CueIndex(cues, ordinary), threshold)

    def save(self, path: str | Path) -> Path:
        """Write the model to one .npz file (nlu.model_cache); the cues are read from cues.yml."""
        meta, arrays = linear_parts(self.featurizer, self.classifier)
        meta |= {
            "version": MODEL_VERSION,
            "threshold": self.threshold,
            "ordinary": sorted(self.cues.ordinary),
        }
        return write_model(path, meta, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> TriageClassifier:
        """Read a model saved by ``save`` (trained with the cues of cues.yml)."""
        meta, featurizer, classifier = read_linear_parts(path, MODEL_VERSION)
        cues = CueIndex(load_cues(CUES_FILE, CATEGORIES), meta["ordinary"])
        return cls(featurizer, classifier, cues, meta["threshold"])

    def classify(self, text: str) -> Triage:
        try:
            return self._classify(str(text or "")[:MAX_CHARS])
        except Exception:  # the edge of the package
            log.exception("triage failed on a message of %d characters", len(text or ""))
            return Triage(None, 0.0)

    def probabilities(self, words: Sequence[str]) -> np.ndarray:
        indices, values = self.featurizer.row(words)
        return self.classifier.predict_proba_row(indices, values)

    def _classify(self, text: str) -> Triage:
        """The whole message first; if it reads as ordinary, each of its parts: one line of danger
        in a message about pay and housing is diluted in the whole ("...also i cut my hand"), and
        two words can say it ("...tapos hinahawakan ako")."""
        whole = self._classify_part(text)
        parts = clauses(text, SENTENCE_BREAKS, SHORT_WORDS) if whole.category is None else []
        found = (
            [
                t
                for part, t in zip(parts, map(self._classify_part, parts), strict=True)
                if t.category is not None
                and (t.confidence >= SHORT_PART_CONFIDENCE or len(tokens(part)) >= MIN_WORDS)
            ]
            if len(parts) > 1
            else []
        )
        if not found:
            return whole
        first = min(found, key=lambda t: (CATEGORIES.index(t.category), -t.confidence))
        shown = {c for t in found for c in (t.category, *t.also) if c is not None} - {
            first.category
        }
        return Triage(first.category, first.confidence, first.cues, _urgent_first(shown))

    def _classify_part(self, text: str) -> Triage:
        words = tokens(text)
        if not words:
            return Triage(None, 0.0)
        found, rest = self.cues.read(words)
        if not found and len(rest) < min(len(words), SHORT_WORDS):
            # A figure of speech and at most one word beside it ("mi back a kill mi"): the one word
            # left ("mi") would be read alone, as the danger examples it is frequent in.
            return Triage(None, 0.0)
        probs = self.probabilities(rest or words)
        danger = 1.0 - float(probs[self._none])
        classes = self.classifier.classes
        likely = {
            name
            for name, p in zip(classes, probs, strict=True)
            if name != NONE and p >= ALSO_PROBABILITY
        }
        if found:
            shown = {cue.category for cue in found} | likely
            category = min(shown, key=CATEGORIES.index)
            return Triage(
                category,
                max(danger, 0.99),
                tuple(" ".join(c.words) for c in found),
                _urgent_first(shown - {category}),
            )
        if danger < self.threshold:
            return Triage(None, danger)
        best = max((i for i, name in enumerate(classes) if name != NONE), key=lambda i: probs[i])
        return Triage(classes[best], danger, also=_urgent_first(likely - {classes[best]}))


def _urgent_first(categories: set[str]) -> tuple[str, ...]:
    return tuple(sorted(categories, key=CATEGORIES.index))


def danger_scores(classifier: TriageClassifier, texts: Sequence[str]) -> list[float]:
    """1 - P(none) for each text, cues ignored (for tuning the threshold)."""
    words = [classifier.cues.without_idioms(w) or w for w in map(tokens, texts)]
    return [1.0 - float(classifier.probabilities(w)[classifier._none]) for w in words]
