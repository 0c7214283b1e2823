"""Fixtures for the NLU tests: the trained embedded interpreter and the data files."""

from __future__ import annotations

from pathlib import Path

import pytest

import nlu
from nlu.training_data import TrainingData, load
from tests.support.models import MODEL_CACHE
from tests.support.shared import PEER_RASA  # noqa: F401  (re-exported for the NLU tests)

REPO = Path(__file__).resolve().parents[2]
HELDOUT = REPO / "nlu" / "test" / "heldout.yml"


@pytest.fixture(scope="session")
def interpreter() -> nlu.EmbeddedInterpreter:
    return nlu.get_interpreter(cache_dir=MODEL_CACHE)


@pytest.fixture(scope="session")
def training() -> TrainingData:
    return load(nlu.DATA_DIR)


@pytest.fixture(scope="session")
def heldout() -> TrainingData:
    return load(HELDOUT)
