"""How good is an interpreter: stratified cross-validation and held-out scoring.

``score(interpreter, examples)`` works with any object that has ``parse(text, language_hint)``
(the embedded interpreter, the Rasa backend), so benchmarks compare backends on one split.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from nlu.training_data import Example, TrainingData
from vocab import FALLBACK
from vocab.parse import Parse


class Parser(Protocol):
    def parse(self, text: str, language_hint: str | None = None) -> Parse: ...


@dataclass
class Prediction:
    example: Example
    intent: str
    confidence: float
    language: str | None
    ranking: tuple[tuple[str, float], ...] = ()


@dataclass
class Scores:
    """Per-intent precision/recall/F1, language accuracy, confusions and the misses."""

    predictions: list[Prediction]

    @property
    def accuracy(self) -> float:
        return _mean(p.intent == p.example.intent for p in self.predictions)

    @property
    def language_accuracy(self) -> float | None:
        scored = [p for p in self.predictions if p.example.language and p.language]
        return _mean(p.language == p.example.language for p in scored) if scored else None

    def per_intent(self) -> dict[str, dict[str, float]]:
        gold = Counter(p.example.intent for p in self.predictions)
        predicted = Counter(p.intent for p in self.predictions)
        hits = Counter(p.intent for p in self.predictions if p.intent == p.example.intent)
        report = {}
        for intent in sorted(gold | predicted):
            precision = hits[intent] / predicted[intent] if predicted[intent] else 0.0
            recall = hits[intent] / gold[intent] if gold[intent] else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            report[intent] = {
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "support": gold[intent],
            }
        return report

    @property
    def macro_f1(self) -> float:
        rows = [r for r in self.per_intent().values() if r["support"]]
        return _mean(r["f1"] for r in rows)

    def per_language(self) -> dict[str, dict[str, float]]:
        """Intent accuracy and language-identification accuracy for each gold language."""
        groups: dict[str, list[Prediction]] = defaultdict(list)
        for p in self.predictions:
            groups[p.example.language or "?"].append(p)
        return {
            lang: {
                "n": len(group),
                "intent_accuracy": _mean(p.intent == p.example.intent for p in group),
                "language_accuracy": _mean(p.language == p.example.language for p in group),
            }
            for lang, group in sorted(groups.items())
        }

    def confusions(self, top: int = 15) -> list[tuple[str, str, int]]:
        pairs = Counter(
            (p.example.intent, p.intent) for p in self.predictions if p.intent != p.example.intent
        )
        return [(gold, pred, n) for (gold, pred), n in pairs.most_common(top)]

    def misclassified(self) -> list[Prediction]:
        return [p for p in self.predictions if p.intent != p.example.intent]

    def report(self, title: str = "", show_errors: int = 40) -> str:
        """A plain-text report for the terminal."""
        lines = [f"== {title}" if title else "==", f"examples        {len(self.predictions)}"]
        lines.append(f"intent accuracy {self.accuracy:.3f}   macro-F1 {self.macro_f1:.3f}")
        if self.language_accuracy is not None:
            lines.append(f"language acc.   {self.language_accuracy:.3f}")
        lines.append("")
        lines.append(f"{'intent':<18} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}")
        for intent, row in self.per_intent().items():
            lines.append(
                f"{intent:<18} {row['precision']:6.2f} {row['recall']:6.2f} {row['f1']:6.2f} {row['support']:5d}"
            )
        languages = self.per_language()
        if len(languages) > 1 or "?" not in languages:
            lines += ["", f"{'language':<10} {'n':>5} {'intent acc':>10} {'lang acc':>9}"]
            for lang, row in languages.items():
                lines.append(
                    f"{lang:<10} {row['n']:5d} {row['intent_accuracy']:10.3f} {row['language_accuracy']:9.3f}"
                )
        if self.confusions():
            lines += ["", "confusions (gold -> predicted)"]
            lines += [f"  {gold} -> {pred}: {n}" for gold, pred, n in self.confusions()]
        misses = self.misclassified()
        if misses and show_errors:
            lines += ["", f"misclassified ({len(misses)}, showing {min(show_errors, len(misses))})"]
            for p in misses[:show_errors]:
                lines.append(
                    f"  [{p.example.language or '?'}] {p.example.text!r}: {p.example.intent} -> {p.intent} ({p.confidence:.2f})"
                )
        return "\n".join(lines)


def score(interpreter: Parser, examples: Sequence[Example], use_hint: bool = False) -> Scores:
    """Parse every example (optionally with its gold language as the conversation's hint)."""
    predictions = []
    for example in examples:
        hint = example.language if use_hint else None
        parse = interpreter.parse(example.text, language_hint=hint)
        predictions.append(
            Prediction(example, parse.intent, parse.confidence, parse.language, parse.ranking)
        )
    return Scores(predictions)


def stratified_folds(examples: Sequence[Example], folds: int = 5, seed: int = 0) -> list[list[int]]:
    """Split example indices into folds with each intent spread evenly (deterministic)."""
    by_intent: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        by_intent[example.intent].append(index)
    rng = random.Random(seed)
    result: list[list[int]] = [[] for _ in range(folds)]
    offset = 0
    for intent in sorted(by_intent):
        indices = by_intent[intent]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            result[(position + offset) % folds].append(index)
        offset += len(indices)
    return result


def subset(data: TrainingData, indices: Sequence[int]) -> TrainingData:
    return TrainingData(
        examples=[data.examples[i] for i in indices],
        synonyms=data.synonyms,
        regexes=data.regexes,
        lookups=data.lookups,
    )


def cross_validate(
    data: TrainingData,
    folds: int = 5,
    seed: int = 0,
    train: Callable[[TrainingData], Parser] | None = None,
) -> Scores:
    """Out-of-fold predictions for every example, each from a model that never saw it."""
    if train is None:
        from nlu.embedded import EmbeddedInterpreter

        def train(fold_data: TrainingData) -> Parser:
            return EmbeddedInterpreter.train(fold_data, threshold=0.0)

    predictions: list[Prediction | None] = [None] * len(data.examples)
    splits = stratified_folds(data.examples, folds, seed)
    for k, test_indices in enumerate(splits):
        train_indices = [i for j, split in enumerate(splits) if j != k for i in split]
        interpreter = train(subset(data, train_indices))
        fold_scores = score(interpreter, [data.examples[i] for i in test_indices])
        for index, prediction in zip(test_indices, fold_scores.predictions, strict=True):
            predictions[index] = prediction
    return Scores([p for p in predictions if p is not None])


def with_threshold(scores: Scores, threshold: float) -> Scores:
    """The same predictions with ``nlu_fallback`` wherever the top confidence is below threshold."""
    return Scores(
        [
            Prediction(
                p.example,
                FALLBACK if p.confidence < threshold else p.intent,
                p.confidence,
                p.language,
                p.ranking,
            )
            for p in scores.predictions
        ]
    )


def tune_threshold(data: TrainingData, folds: int = 5, seed: int = 0, l2: float = 1e-4) -> float:
    """The fallback threshold with the best cross-validated accuracy (the higher one on ties)."""
    from nlu.embedded import EmbeddedInterpreter

    scores = cross_validate(
        data, folds, seed, lambda d: EmbeddedInterpreter.train(d, threshold=0.0, l2=l2)
    )
    return best_threshold(scores)


def best_threshold(scores: Scores, grid: Sequence[float] | None = None) -> float:
    grid = grid if grid is not None else [round(x, 2) for x in np.arange(0.0, 0.61, 0.02)]
    best, best_accuracy = 0.0, -1.0
    for threshold in grid:
        accuracy = with_threshold(scores, threshold).accuracy
        if accuracy >= best_accuracy:
            best, best_accuracy = threshold, accuracy
    return best


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
