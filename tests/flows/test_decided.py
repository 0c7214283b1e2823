"""When the flows act on the NLU's top intent: one rule (Engine.decided) for an answer, an
interruption of a question, a parked flow's resumption and a problem counted beside others."""

from __future__ import annotations

import pytest

from flows.parse import Parse


@pytest.mark.parametrize(
    ("ranking", "decided"),
    [
        ((("ask_wages", 0.62), ("ask_hours", 0.20)), True),
        # Two guesses this close: the worker is asked which.
        ((("ask_wages", 0.40), ("ask_hours", 0.35)), False),
        # Working sick and seeing a doctor: either answer says no permission is needed for care.
        ((("ask_sick", 0.40), ("ask_health", 0.35)), True),
        ((("ask_health", 0.40), ("ask_sick", 0.36)), True),
        ((("ask_sick", 0.40), ("ask_wages", 0.35)), False),
    ],
)
def test_the_top_intent_is_acted_on_when_clear_of_the_second(engine, ranking, decided):
    parse = Parse(intent=ranking[0][0], confidence=ranking[0][1], ranking=ranking)
    assert engine.decided(parse) is decided


def test_an_intent_under_its_own_threshold_is_not_acted_on(engine):
    """`emergency` needs 0.5 (config.yaml nlu.intent_thresholds): a clear but unsure one waits."""
    parse = Parse(
        intent="emergency", confidence=0.45, ranking=(("emergency", 0.45), ("ask_safety", 0.1))
    )
    assert not engine.decided(parse)
