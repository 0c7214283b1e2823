"""Benchmark of the embedded NLU: training time, parse latency, memory, accuracy.

    python bench/nlu_embedded.py [--quick]

Prints one table. Baselines measured in the same run: a multinomial naive Bayes intent
classifier on the same features, and lingua (restricted to es/tl/en) for language
identification. Figures are printed, not asserted (tests assert only the accuracy goals).
The Rasa side-by-side can reuse ``measure(interpreter, examples)`` and ``nlu.evaluate``.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.support.shared import PEER_RASA as PEER  # noqa: E402  (the real folder or its snapshot)


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def latency(interpreter, texts, repeat: int = 5) -> dict[str, float]:
    """p50/p99 of parse in milliseconds over ``texts`` parsed ``repeat`` times (after a warm-up)."""
    for text in texts[:20]:
        interpreter.parse(text)
    samples = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter()
            interpreter.parse(text)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50": statistics.median(samples), "p99": samples[int(0.99 * (len(samples) - 1))]}


def measure(interpreter, examples) -> dict[str, float]:
    """Accuracy, macro-F1, language accuracy and latency of any interpreter on examples."""
    from nlu.evaluate import score

    scores = score(interpreter, examples)
    return {
        "accuracy": scores.accuracy,
        "macro_f1": scores.macro_f1,
        "language_accuracy": scores.language_accuracy or float("nan"),
        **latency(interpreter, [e.text for e in examples]),
    }


class NaiveBayes:
    """Baseline: multinomial naive Bayes on the same TF-IDF rows, same interface as the LR."""

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = alpha

    def fit(self, x, labels):
        import numpy as np

        self.classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(self.classes)}
        y = np.zeros((x.n_rows, len(self.classes)))
        y[np.arange(x.n_rows), [index[label] for label in labels]] = 1.0
        counts = x.tdot(y) + self.alpha
        counts[0] = self.alpha  # bias feature carries no evidence
        self.weights = np.log(counts / counts.sum(axis=0, keepdims=True)).astype(np.float32)
        return self

    def predict_proba_row(self, indices, values):
        from nlu.classifier import softmax

        return softmax(values @ self.weights[indices])


def naive_bayes_interpreter(data):
    from nlu.embedded import EmbeddedInterpreter, classifier_tokens
    from nlu.features import Featurizer

    base = EmbeddedInterpreter.train(data, threshold=0.0)
    texts = [classifier_tokens(e.text, base.entities.extract(e.text)) for e in data.examples]
    featurizer = Featurizer().fit(texts)
    base.featurizer = featurizer
    base.classifier = NaiveBayes().fit(
        featurizer.transform(texts), [e.intent for e in data.examples]
    )
    return base


def lingua_accuracy(examples) -> float | None:
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return None
    codes = {Language.SPANISH: "es", Language.TAGALOG: "tl", Language.ENGLISH: "en"}
    detector = LanguageDetectorBuilder.from_languages(*codes).build()
    hits = [codes.get(detector.detect_language_of(e.text)) == e.language for e in examples]
    return sum(hits) / len(hits)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip cross-validation")
    args = parser.parse_args()

    gc.collect()
    rss_start = rss_mb()
    import nlu
    from nlu.evaluate import cross_validate, with_threshold
    from nlu.training_data import load

    rss_imported = rss_mb()
    data = load(nlu.DATA_DIR)
    heldout = load(REPO / "nlu" / "test" / "heldout.yml").examples
    times, cpu_times = [], []
    for _ in range(3):
        start, cpu_start = time.perf_counter(), time.process_time()
        interpreter = nlu.EmbeddedInterpreter.train(data, threshold=nlu.DEFAULT_THRESHOLD)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    gc.collect()
    ours = measure(interpreter, heldout)
    rss_end = rss_mb()
    baseline = measure(naive_bayes_interpreter(data), heldout)

    rows = [
        ("training examples / intents", f"{len(data.examples)} / {len(data.intents)}", ""),
        (
            "train time wall / cpu (median of 3)",
            f"{statistics.median(times):.2f} / {statistics.median(cpu_times):.2f} s",
            f"goal < 5 s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus",
        ),
        ("parse p50 / p99", f"{ours['p50']:.3f} / {ours['p99']:.3f} ms", "goal p50 < 1 ms"),
        (
            "memory: import / +model",
            f"{rss_imported - rss_start:.0f} / {rss_end - rss_imported:.0f} MB",
            f"total {rss_end - rss_start:.0f} MB (goal < 100)",
        ),
        (
            "held-out intent accuracy",
            f"{ours['accuracy']:.3f}",
            f"naive Bayes {baseline['accuracy']:.3f}",
        ),
        ("held-out macro-F1", f"{ours['macro_f1']:.3f}", f"naive Bayes {baseline['macro_f1']:.3f}"),
        (
            "held-out language accuracy",
            f"{ours['language_accuracy']:.3f}",
            f"lingua {lingua_accuracy(heldout) or float('nan'):.3f}",
        ),
    ]
    if not args.quick:
        for name, path in [
            ("nlu/data", nlu.DATA_DIR),
            ("financial-demo", PEER / "financial-demo" / "nlu.yml"),
            ("helpdesk", PEER / "helpdesk-assistant" / "nlu.yml"),
        ]:
            if not Path(path).exists():
                continue
            corpus = load(path)
            cv = cross_validate(corpus, folds=5)
            cv_nb = cross_validate(corpus, folds=5, train=naive_bayes_interpreter)
            if name == "nlu/data":
                cv, cv_nb = (
                    with_threshold(cv, nlu.DEFAULT_THRESHOLD),
                    with_threshold(cv_nb, nlu.DEFAULT_THRESHOLD),
                )
            rows.append(
                (
                    f"5-fold CV accuracy / F1 {name}",
                    f"{cv.accuracy:.3f} / {cv.macro_f1:.3f}",
                    f"naive Bayes {cv_nb.accuracy:.3f} / {cv_nb.macro_f1:.3f}",
                )
            )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'embedded (logistic regression)':<32}  baseline / goal")
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:<32}  {note}")


if __name__ == "__main__":
    main()
