"""Our training data covers the intent contract in all three languages."""

from __future__ import annotations

from collections import Counter

import vocab
from vocab import PROVINCES


def test_training_data_has_exactly_the_contract_intents(training):
    assert set(training.intents) == set(vocab.INTENTS)


def test_every_intent_has_40_examples_and_10_per_language(training):
    per_language = Counter((e.intent, e.language) for e in training.examples)
    for intent in vocab.INTENTS:
        assert training.intents[intent] >= 40, intent
        for language in ("es", "tl", "en"):
            assert per_language[(intent, language)] >= 10, (intent, language)


def test_heldout_set_is_disjoint_from_training_and_covers_every_intent(training, heldout):
    seen = {e.text.casefold() for e in training.examples}
    assert not [e.text for e in heldout.examples if e.text.casefold() in seen]
    counts = Counter(e.intent for e in heldout.examples)
    assert set(counts) == set(vocab.INTENTS)
    assert min(counts.values()) >= 15
    assert {e.language for e in heldout.examples} == {"es", "tl", "en"}


def test_province_synonyms_cover_all_13_provinces_and_territories(training):
    assert {v for v in training.synonyms.values() if v in PROVINCES} == set(PROVINCES)
    assert training.synonyms["leamington"] == "ON"
    assert training.synonyms["abbotsford"] == "BC"
    assert training.synonyms["saint-remi"] == "QC"
