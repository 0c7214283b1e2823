"""`puente eval conversations` figures: a danger turn counts as triaged in its category only when
the bot raised the emergency for that category; ordinary turns triaged are false alarms."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.errors import ConfigError
from bot.eval.conversations import (
    Scores,
    TurnResult,
    _score,
    fact_text,
    load_conversations,
    report,
    run,
)
from bot.settings import load_settings
from tests.support.models import MODEL_CACHE


def turn(
    label: str, alarmed: bool, category: str | None, problems: tuple[str, ...] = ()
) -> TurnResult:
    return TurnResult(
        "c", "es", 1, "x", (), "", "", problems, label != "none", alarmed, False, category, label
    )


def test_danger_turns_are_counted_per_labelled_category_and_ordinary_alarms_as_false():
    scores = Scores()
    for result in (
        turn("injury", True, "injury"),
        turn("injury", True, "danger", ("triaged danger",)),
        turn("suicide", False, None, ("danger not triaged",)),
        turn("none", True, "danger", ("false alarm",)),
        turn("none", False, None),
    ):
        scores.add(result)
    text = report({"es": scores})
    assert "injury 1/2" in text and "suicide 0/1" in text
    assert "1/2" in text.splitlines()[1]  # es: one false alarm among two ordinary turns
    assert "2/3" in text.splitlines()[1]  # three danger turns, two raised an emergency


def test_the_ordinary_and_unsure_subsets_and_the_causes_of_failure_are_reported():
    scores = Scores()
    ordinary = turn("none", True, "danger", ("false alarm",))
    unsure = TurnResult(
        "c",
        "en",
        2,
        "hmm",
        (),
        "",
        "",
        ("destructive offer",),
        False,
        False,
        True,
        None,
        "none",
        "unsure",
    )
    for result in (
        replace(ordinary, subset="ordinary"),
        replace(ordinary, subset="ordinary", alarmed=False, problems=()),
        unsure,
    ):
        scores.add(result)
    text = report({"es": scores})
    assert "false emergencies on the ordinary subset: 1/2" in text
    assert "destructive offers on unsure messages: 1/1" in text
    assert "false alarm 1" in text and "destructive offer 1" in text


def test_a_clarification_guessing_delete_my_data_is_a_destructive_offer():
    from flows.types import Reply, ReplyOption, StepResult

    clarify = StepResult(
        [
            Reply(
                "clarify.ask",
                options=(
                    ReplyOption("1", "intent.ask_wages"),
                    ReplyOption("2", "intent.delete_data"),
                ),
            )
        ],
        {},
        [],
    )
    said = {"say": "what is the number for labour standards in pei", "subset": "unsure"}
    scored = _score({"id": "c", "language": "en"}, 1, said, "", None, clarify)
    assert scored.destructive and "destructive offer" in scored.problems
    asked = _score(
        {"id": "c", "language": "en"}, 1, {**said, "intent": "delete_data"}, "", None, clarify
    )
    assert not asked.destructive


def test_facts_are_named_by_id_or_path_and_an_unknown_fact_is_refused(tmp_path):
    assert fact_text("crisis-988") == "988"
    assert fact_text("wc-on") == "1-800-387-0750"
    assert fact_text("minimum_wage.BC.rate") == "18.25"
    assert fact_text("offices.MB") == "1-800-821-4307"
    scored = _score(
        {"id": "c", "language": "en"},
        1,
        {"say": "x", "facts": ["minimum_wage.ON.rate"], "no_facts": ["crisis-988"]},
        "It is $17.95. Call 988",
        None,
        None,
    )
    assert scored.problems == ("reply has fact crisis-988",)
    bad = tmp_path / "bad.yaml"
    bad.write_text('- {language: en, turns: [{say: "hi", facts: [minimum_wage.XX.rate]}]}\n')
    with pytest.raises(ConfigError, match="no fact 'minimum_wage.XX.rate'"):
        load_conversations([bad])


@pytest.mark.integration
def test_each_turn_is_scored_on_what_the_nlu_read_in_the_app(tmp_path):
    """The app's own warm-up thread must not replace the recorded NLU (intents were read as "")."""
    settings = load_settings(
        environ={}, **{"nlu.model_cache_dir": str(MODEL_CACHE), "instance_path": str(tmp_path)}
    )
    conversation = {
        "id": "c",
        "language": "en",
        "turns": [
            {"say": "hi", "intent": "greet"},
            {
                "say": "whats the minimum wage in ontario",
                "intent": "ask_wages",
                "facts": ["minimum_wage.ON.rate"],
            },
            {"say": "and manitoba?", "intent": "inform", "facts": ["minimum_wage.MB.rate"]},
        ],
    }
    scores = run([conversation], settings)["en"]
    assert (scores.intents_right, scores.intents) == (3, 3), [t.problems for t in scores.failures]
    assert scores.right == 3


def test_expected_text_is_found_whatever_the_accents_of_the_reply(tmp_path):
    """A reply sent transliterated ("5 dias") still holds the expected "5 días", and one lacking
    "más" lacks "mas" too."""
    settings = load_settings(
        environ={}, **{"nlu.model_cache_dir": str(MODEL_CACHE), "instance_path": str(tmp_path)}
    )
    conversation = {
        "id": "c",
        "language": "es",
        "turns": [
            {"say": "hola", "intent": "greet"},
            {
                "say": "estoy enfermo y el patron dice q vaya a trabajar, estoy en bc",
                "intent": "ask_sick",
                "contains": ["5 días pagados"],
                "lacks": ["jornadas"],
            },
        ],
    }
    scores = run([conversation], settings)["es"]
    assert scores.right == 2, [t.problems for t in scores.failures]
