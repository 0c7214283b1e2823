"""Trained models are built once per version of the NLU code and data, then loaded."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import nlu
import nlu.triage
from nlu import model_cache
from nlu.triage import TriageClassifier
from tests.support.models import MODEL_CACHE


class Recorder:
    """A model that is a dict: counts builds and tells what progress it was given."""

    def __init__(self) -> None:
        self.builds = 0
        self.told: list[str] = []

    def build(self) -> dict:
        self.builds += 1
        return {"weights": [1, 2, 3]}

    @staticmethod
    def save(model: dict, path: Path) -> None:
        path.write_text(json.dumps(model))

    @staticmethod
    def load(path: Path) -> dict:
        try:
            return json.loads(path.read_text())
        except ValueError as exc:
            raise nlu.ModelError(f"{path}: unreadable") from exc

    def get(self, path: Path) -> dict:
        return model_cache.load_or_build(
            path, "test model", self.build, self.save, self.load, self.told.append
        )


def test_a_model_is_built_once_with_a_progress_line_then_loaded(tmp_path):
    recorder = Recorder()
    path = tmp_path / "cache" / "m.json"
    assert recorder.get(path) == {"weights": [1, 2, 3]}
    assert recorder.get(path) == {"weights": [1, 2, 3]}
    assert recorder.builds == 1
    assert recorder.told == ["Building the test model (once for this version of the NLU data)..."]
    assert [p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")] == ["m.json"]


def test_an_unreadable_model_file_is_built_again(tmp_path):
    recorder = Recorder()
    path = tmp_path / "m.json"
    path.write_text("not json")
    assert recorder.get(path) == {"weights": [1, 2, 3]}
    assert recorder.builds == 1
    assert json.loads(path.read_text()) == {"weights": [1, 2, 3]}


def test_an_unwritable_cache_folder_builds_in_memory_and_says_which_setting(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    recorder = Recorder()
    with caplog.at_level(logging.WARNING):
        assert recorder.get(blocker / "m.json") == {"weights": [1, 2, 3]}
    assert "nlu.model_cache_dir" in caplog.text


def test_the_key_changes_with_the_training_data(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "es.yml").write_text("nlu: []\n")
    before = model_cache.source_key(data)
    assert model_cache.source_key(data) == before
    (data / "es.yml").write_text("nlu: [{intent: greet, examples: '- hola'}]\n")
    assert model_cache.source_key(data) != before
    assert model_cache.source_key(nlu.DATA_DIR) == model_cache.source_key()  # inside the package


def test_a_saved_triage_model_classifies_as_the_trained_one(tmp_path):
    trained = nlu.triage.triage_classifier(MODEL_CACHE)
    loaded = TriageClassifier.load(trained.save(tmp_path / "triage.npz"))
    for text in [
        "me quiero morir",
        "el mayordomo me dio una cachetada",
        "hola, cuanto pagan la hora",
        "hinahipuan ako",
        "the supervisor punched me",
    ]:
        assert loaded.classify(text) == trained.classify(text)


def test_a_model_file_of_another_version_is_refused(tmp_path):
    path = model_cache.write_model(tmp_path / "m.npz", {"version": 99})
    with pytest.raises(nlu.ModelError, match="version 99"):
        TriageClassifier.load(path)
