"""How well the triage does: recall on danger messages, false alarms on ordinary ones.

The held-out set is nlu/triage/test/heldout.yml plus nlu/test/heldout.yml (its `emergency`
messages count as danger of unknown category, the rest as ordinary). Neither is used to train or
to tune: ``cross_validate`` picks the threshold on the training data alone.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nlu.training_data import Example, load
from nlu.triage.model import NONE, TriageClassifier, danger_scores

TRIAGE_HELDOUT = Path(__file__).with_name("test") / "heldout.yml"
RELABEL = Path(__file__).with_name("test") / "relabel.yml"
INTENT_HELDOUT = Path(__file__).resolve().parents[1] / "test" / "heldout.yml"
ANY = "any"  # a danger message of the intent held-out set, whose category is not labelled


def heldout_examples(
    triage: Path = TRIAGE_HELDOUT, intents: Path = INTENT_HELDOUT, relabel: Path = RELABEL
) -> list[Example]:
    """Labelled messages: a category, ``none`` (ordinary) or ``any`` (danger, category unknown)."""
    categories = yaml.safe_load(relabel.read_text(encoding="utf-8")) or {}
    out = list(load(triage).examples)
    for e in load(intents).examples:
        label = categories.get(e.text, ANY if e.intent == "emergency" else NONE)
        out.append(Example(e.text, label, e.entities, e.metadata))
    return out


@dataclass
class Report:
    caught: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    alarms: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    right_category: list[int] = field(default_factory=lambda: [0, 0])
    misses: list[tuple[str, str, str | None]] = field(default_factory=list)
    false_alarms: list[tuple[str, str, str | None]] = field(default_factory=list)

    @staticmethod
    def rate(pair: Sequence[int]) -> float:
        return pair[0] / pair[1] if pair[1] else 0.0

    def total(self, table: dict[str, list[int]]) -> list[int]:
        return [sum(v[0] for v in table.values()), sum(v[1] for v in table.values())]


def score(classifier: TriageClassifier, examples: Sequence[Example]) -> Report:
    report = Report()
    for example in examples:
        found = classifier.classify(example.text).category
        language = example.language or "?"
        if example.intent == NONE:
            cell = report.alarms[language]
            cell[0] += found is not None
            cell[1] += 1
            if found is not None:
                report.false_alarms.append((example.text, example.intent, found))
            continue
        cell = report.caught[f"{example.intent}/{language}"]
        cell[0] += found is not None
        cell[1] += 1
        if found is None:
            report.misses.append((example.text, example.intent, found))
        elif example.intent != "any":
            report.right_category[0] += found == example.intent
            report.right_category[1] += 1
    return report


def cross_validate(
    examples: Sequence[Example], thresholds: Sequence[float], folds: int = 5, seed: int = 7
) -> dict[float, tuple[float, float]]:
    """Recall on danger and false-alarm rate per threshold, by k-fold CV, cues left out (the
    classifier alone: what catches the phrasings no cue lists)."""
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    scored: list[tuple[bool, float]] = []
    for fold in range(folds):
        test = [examples[i] for k, i in enumerate(order) if k % folds == fold]
        train = [examples[i] for k, i in enumerate(order) if k % folds != fold]
        model = TriageClassifier.train(train, cues=())
        scores = danger_scores(model, [e.text for e in test])
        scored += [(e.intent != NONE, s) for e, s in zip(test, scores, strict=True)]
    out = {}
    positives = [s for danger, s in scored if danger]
    negatives = [s for danger, s in scored if not danger]
    for t in thresholds:
        out[t] = (
            sum(s >= t for s in positives) / len(positives),
            sum(s >= t for s in negatives) / len(negatives),
        )
    return out
