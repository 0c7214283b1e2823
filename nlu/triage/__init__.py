"""Safety triage: the first thing Puente asks of every message, in every state.

``triage_classifier().classify(text)`` returns a ``Triage`` whose ``category`` is one of
``CATEGORIES`` (suicide, sexual, confinement, danger, injury) or None for an ordinary message.
The bot puts it in the parse under ``"triage"`` for the flows (flows/turn.py), whichever NLU
backend gave the intent. Evaluated by ``python -m nlu triage`` on nlu/triage/test/heldout.yml.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from nlu import model_cache
from nlu.triage.model import CATEGORIES, NONE, Triage, TriageClassifier, training_examples

__all__ = ["CATEGORIES", "NONE", "Triage", "TriageClassifier", "triage_classifier"]

_lock = threading.Lock()
_trained: list[TriageClassifier] = []


def triage_classifier(
    cache_dir: str | Path | None = None, progress: Callable[[str], object] | None = None
) -> TriageClassifier:
    """The triage classifier, made once per process: loaded from the model cache in ``cache_dir``
    (trained into it when missing: ``progress`` is told), else trained on nlu/triage/data and nlu/data."""
    with _lock:
        if not _trained:
            _trained.append(_load_or_train(cache_dir, progress))
        return _trained[0]


def _load_or_train(
    cache_dir: str | Path | None, progress: Callable[[str], object] | None
) -> TriageClassifier:
    def train() -> TriageClassifier:
        return TriageClassifier.train(training_examples())

    if cache_dir is None:
        return train()
    return model_cache.load_or_build(
        Path(cache_dir) / f"triage-{model_cache.source_key()}.npz",
        "safety triage model",
        train,
        TriageClassifier.save,
        TriageClassifier.load,
        progress,
    )
