"""Benchmark of the safety triage: training time, classify latency, and what it adds to a turn.

    python bench/triage.py [--repeat N]

Prints one table: the triage's p50/p99 per message on the held-out messages, beside the embedded
NLU's parse on the same messages (the baseline: the triage runs on every message, after it), and
the keyword matcher alone (cues without the classifier). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def latency(call, texts, repeat: int) -> tuple[float, float]:
    """p50 and p99 in milliseconds of ``call(text)`` over ``texts``, ``repeat`` times, warmed up."""
    for text in texts[:20]:
        call(text)
    samples = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter()
            call(text)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.99 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import nlu
    from nlu.normalize import tokens
    from nlu.triage import TriageClassifier
    from nlu.triage.evaluate import heldout_examples
    from nlu.triage.model import training_examples

    texts = [e.text for e in heldout_examples()]
    start = time.perf_counter()
    triage = TriageClassifier.train(training_examples())
    trained = time.perf_counter() - start
    interpreter = nlu.get_interpreter()
    rows = [
        ("embedded NLU parse (baseline)", latency(interpreter.parse, texts, args.repeat)),
        ("safety triage classify", latency(triage.classify, texts, args.repeat)),
        (
            "  of which cues alone",
            latency(lambda t: triage.cues.matching(tokens(t)), texts, args.repeat),
        ),
    ]
    print(
        f"safety triage: trained in {trained:.2f} s on {len(training_examples())} examples; "
        f"{len(texts)} held-out messages x {args.repeat}"
    )
    print(f"{'':32} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (p50, p99) in rows:
        print(f"{name:32} {p50:8.3f} {p99:8.3f}")


if __name__ == "__main__":
    main()
