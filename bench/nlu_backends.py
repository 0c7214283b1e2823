"""Embedded NLU vs the Rasa 3.6 backend on the same split, side by side.

    python bench/nlu_backends.py [--cached]

Both train on nlu/data and are scored on nlu/test/heldout.yml with ``nlu.evaluate``; each uses
its own fallback threshold (embedded: nlu.DEFAULT_THRESHOLD; Rasa: FallbackClassifier in
nlu/rasa/config.yml). Rasa runs as a real server on a free loopback port, built and trained with
the same tools as `puente nlu rasa` (the venv is built first if missing). Parse latency is what
the bot sees: for Rasa that is the HTTP round trip plus the embedded language identification.
Memory: for the embedded backend what it adds to this process (imports + model), for Rasa the
server's RSS. ``--cached`` reuses a trained Rasa model instead of timing a fresh training.
"""

from __future__ import annotations

import argparse
import gc
import logging
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlu_embedded import measure, rss_mb  # noqa: E402  (bench/ is the script's directory)


class _FallbackCounter(logging.Handler):
    """Counts the Rasa client's fallbacks, which would make the Rasa figures the embedded ones."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def embedded_side(data, heldout) -> tuple[object, dict[str, float]]:
    import nlu

    times = []
    for _ in range(3):
        start = time.perf_counter()
        interpreter = nlu.EmbeddedInterpreter.train(data, threshold=nlu.DEFAULT_THRESHOLD)
        times.append(time.perf_counter() - start)
    figures = measure(interpreter, heldout)
    figures["train_s"] = statistics.median(times)
    return interpreter, figures


def rasa_side(embedded, heldout, cached: bool) -> dict[str, float]:
    from nlu.rasa import RasaInterpreter, manage

    paths = manage.RasaPaths.from_env()
    figures: dict[str, float] = {}
    start = time.perf_counter()
    if manage.build_venv(paths):
        figures["venv_s"] = time.perf_counter() - start
    start = time.perf_counter()
    model = manage.train(paths, force=not cached)
    figures["train_s"] = float("nan") if cached else time.perf_counter() - start
    counter = _FallbackCounter()
    logging.getLogger("nlu.rasa.client").addHandler(counter)
    with manage.RasaServer(paths, model) as server:
        figures["ready_s"] = server.ready_seconds
        rasa = RasaInterpreter(server.url, fallback=embedded, timeout=10)
        figures.update(measure(rasa, heldout))
        figures["rss_mb"] = server.rss_bytes() / 2**20
    if counter.count:
        print(f"WARNING: the Rasa client fell back {counter.count} times: its figures are mixed")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cached", action="store_true", help="reuse a trained Rasa model")
    args = parser.parse_args()

    rss_start = rss_mb()
    import nlu
    from nlu.training_data import load

    data = load(nlu.DATA_DIR)
    heldout = load(REPO / "nlu" / "test" / "heldout.yml").examples
    interpreter, ours = embedded_side(data, heldout)
    gc.collect()
    ours["rss_mb"] = rss_mb() - rss_start
    rasa = rasa_side(interpreter, heldout, args.cached)

    print(f"{len(data.examples)} training examples, {len(heldout)} held-out examples\n")
    rows = [
        ("held-out intent accuracy", "accuracy", "{:.3f}"),
        ("held-out macro-F1", "macro_f1", "{:.3f}"),
        ("held-out language accuracy", "language_accuracy", "{:.3f}"),
        ("train time (s)", "train_s", "{:.2f}"),
        ("parse p50 (ms)", "p50", "{:.3f}"),
        ("parse p99 (ms)", "p99", "{:.3f}"),
        ("memory (MB)", "rss_mb", "{:.0f}"),
    ]
    print(f"{'measure':<28} {'embedded':>10} {'rasa':>10} {'embedded/rasa':>14}")
    for label, key, fmt in rows:
        mine, theirs = ours.get(key, float("nan")), rasa.get(key, float("nan"))
        ratio = mine / theirs if theirs else float("nan")
        print(f"{label:<28} {fmt.format(mine):>10} {fmt.format(theirs):>10} {ratio:>14.3f}")
    print(f"{'rasa server ready (s)':<28} {'':>10} {rasa['ready_s']:>10.1f}")
    if "venv_s" in rasa:
        print(f"{'rasa venv build (s)':<28} {'':>10} {rasa['venv_s']:>10.0f}")


if __name__ == "__main__":
    main()
