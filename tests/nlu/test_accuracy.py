"""The product goals from issue 3, on held-out messages the model never saw."""

from __future__ import annotations

from nlu.evaluate import score


def test_heldout_intent_accuracy_is_at_least_090(interpreter, heldout):
    scores = score(interpreter, heldout.examples)
    assert scores.accuracy >= 0.90, scores.report("held-out", show_errors=60)


def test_heldout_language_accuracy_is_at_least_097_without_a_hint(interpreter, heldout):
    scores = score(interpreter, heldout.examples)
    assert scores.language_accuracy >= 0.97, scores.report("held-out")


def test_with_the_conversation_language_as_hint_language_is_right_everywhere(interpreter, heldout):
    scores = score(interpreter, heldout.examples, use_hint=True)
    assert scores.language_accuracy >= 0.99


def test_every_intent_is_recognised_in_heldout(interpreter, heldout):
    per_intent = score(interpreter, heldout.examples).per_intent()
    weak = {
        intent: round(row["recall"], 2) for intent, row in per_intent.items() if row["recall"] < 0.6
    }
    assert not weak
