"""Safety triage: the first thing Puente asks of every message, in every state.

``triage_classifier().classify(text)`` returns a ``Triage`` whose ``category`` is one of
``CATEGORIES`` (suicide, sexual, confinement, danger, injury) or None for an ordinary message.
The bot puts it in the parse under ``"triage"`` for the flows (flows/turn.py), whichever NLU
backend gave the intent. Evaluated by ``python -m nlu triage`` on nlu/triage/test/heldout.yml.
"""

from __future__ import annotations

import threading

from nlu.triage.model import CATEGORIES, NONE, Triage, TriageClassifier, training_examples

__all__ = ["CATEGORIES", "NONE", "Triage", "TriageClassifier", "triage_classifier"]

_lock = threading.Lock()
_trained: list[TriageClassifier] = []


def triage_classifier() -> TriageClassifier:
    """The triage classifier, trained once per process on nlu/triage/data and nlu/data."""
    with _lock:
        if not _trained:
            _trained.append(TriageClassifier.train(training_examples()))
        return _trained[0]
