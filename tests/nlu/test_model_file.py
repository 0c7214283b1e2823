"""A saved model is only used for the data it was trained on."""

from __future__ import annotations

import pytest

import nlu
from nlu.embedded import EmbeddedInterpreter
from nlu.evaluate import subset
from tests.support.models import MODEL_CACHE


def test_saved_model_round_trips(tmp_path, interpreter, training):
    path = interpreter.save(tmp_path / "m.npz")
    loaded = EmbeddedInterpreter.load(path, training)
    for text in ["hola", "kinuha ang passport ko", "how much is minimum wage in Ontario"]:
        assert loaded.parse(text) == interpreter.parse(text)


def test_a_model_from_other_data_is_refused(tmp_path, interpreter, training):
    path = interpreter.save(tmp_path / "m.npz")
    with pytest.raises(nlu.ModelError, match="nlu train"):
        EmbeddedInterpreter.load(path, subset(training, range(100)))


def test_an_unreadable_model_file_falls_back_to_training(tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    interpreter = nlu.embedded_interpreter(model_path=broken, cache_dir=MODEL_CACHE)
    assert interpreter.parse("hola").intent == "greet"
