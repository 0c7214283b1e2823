"""The loader reads Rasa's NLU format as Rasa does, including other projects' files unchanged."""

from __future__ import annotations

import pytest

from nlu.errors import TrainingDataError
from nlu.training_data import load, parse_annotated, parse_nlu

from .conftest import PEER_RASA


@pytest.mark.parametrize(
    ("project", "intents", "examples"),
    [("financial-demo", 17, 578), ("helpdesk-assistant", 14, 452)],
)
def test_peer_projects_load_unchanged_with_their_published_counts(project, intents, examples):
    data = load(PEER_RASA / project / "nlu.yml")
    assert len(data.intents) == intents
    assert len(data.examples) == examples


def test_peer_entities_in_both_annotation_forms_become_plain_text_with_offsets():
    data = load(PEER_RASA / "helpdesk-assistant" / "nlu.yml")
    urgent = next(e for e in data.examples if e.text == "open an urgent issue")
    (entity,) = urgent.entities
    assert (entity.entity, entity.value, urgent.text[entity.start : entity.end]) == (
        "priority",
        "high",
        "urgent",
    )
    low = next(e for e in data.examples if "it's low priority" in e.text)
    assert [(x.entity, x.value) for x in low.entities] == [("priority", "low")]
    assert data.synonyms["really important"] == "high"


def test_peer_synonym_blocks_map_surface_forms_to_values():
    data = load(PEER_RASA / "financial-demo" / "nlu.yml")
    assert data.synonyms["credit card"] == "credit"
    assert data.synonyms["emblm"] == "emblem"


def test_rasa_features_our_files_do_not_use_are_read_too():
    document = {
        "version": "3.1",
        "nlu": [
            {
                "intent": "check_balance",
                "metadata": {"sentiment": "neutral"},
                "examples": [
                    {
                        "text": "how much do I have on my [savings](account) account\n",
                        "metadata": {"language": "en"},
                    },
                    'what\'s in [my pink pig]{"entity": "account", "value": "savings", "role": "from"}',
                    'move it to [NY][{"entity": "city"}, {"entity": "state", "value": "New York"}]',
                    "legacy [checking](account:current) form",
                ],
            },
            {"regex": "account_number", "examples": "- \\d{10,12}\n"},
            {"lookup": "banks", "examples": "- JPMC\n- Bank of America\n"},
            {"synonym": "savings", "examples": "- pink pig\n"},
        ],
        "responses": {"utter_greet": [{"text": "hi"}]},
    }
    data = parse_nlu(document)
    first, second, third, fourth = data.examples
    assert first.text == "how much do I have on my savings account"
    assert first.metadata == {"sentiment": "neutral", "language": "en"}
    assert second.entities[0].role == "from" and second.entities[0].value == "savings"
    assert [(e.entity, e.value) for e in third.entities] == [("city", "NY"), ("state", "New York")]
    assert fourth.entities[0].value == "current" and fourth.text == "legacy checking form"
    assert data.regexes == {"account_number": [r"\d{10,12}"]}
    assert data.lookups == {"banks": ["JPMC", "Bank of America"]}
    assert data.synonyms["pink pig"] == "savings"


def test_offsets_account_for_earlier_annotations():
    text, entities = parse_annotated(
        'from [Leamington](province) to [BC]{"entity": "province"} now'
    )
    assert text == "from Leamington to BC now"
    assert [text[e.start : e.end] for e in entities] == ["Leamington", "BC"]


def test_broken_files_are_reported_with_their_name(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("nlu:\n- intent: x\n  examples: |\n    hello without a dash\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="bad.yml"):
        load(bad)
    broken = tmp_path / "broken.yml"
    broken.write_text('nlu:\n- intent: x\n  examples: |\n    - [a]{"entity": }\n', encoding="utf-8")
    with pytest.raises(TrainingDataError, match="broken.yml"):
        load(broken)
    with pytest.raises(TrainingDataError, match="missing"):
        load(tmp_path / "missing")
