"""Puente's understanding step: text in, a ``vocab.parse.Parse`` out (intent, entities, language).

Pure: imports nothing from bot/, Flask, SQLAlchemy, rq or twilio. The flows use only
``get_interpreter(...).parse(text, language_hint, context)``, which returns a ``Parse`` (its
``to_dict()`` is Rasa's /model/parse shape plus ``language``, and ``problems`` when one message
tells of several problems, nlu.problems) and never raises on a str. ``context`` (optional,
``nlu.Context`` or Rasa-style ``{"topic": "ask_hours", "slots": {"province": "ON"}}``) is the
conversation's active topic and slots: a follow-up such as "y en bc?" is then read as ``inform``
(see nlu.context).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from nlu import model_cache
from nlu.context import Context
from nlu.embedded import EmbeddedInterpreter
from nlu.errors import ModelError, NLUError, TrainingDataError
from nlu.training_data import TrainingData, load
from vocab.parse import Parse

__all__ = [
    "DATA_DIR",
    "DEFAULT_THRESHOLD",
    "Context",
    "EmbeddedInterpreter",
    "Interpreter",
    "ModelError",
    "NLUError",
    "TrainingDataError",
    "embedded_interpreter",
    "get_interpreter",
]

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Fallback threshold tuned by 5-fold cross-validation on nlu/data (`python -m nlu eval`).
DEFAULT_THRESHOLD = 0.10


class Interpreter(Protocol):
    def parse(
        self,
        text: str,
        language_hint: str | None = None,
        context: Context | dict[str, Any] | None = None,
    ) -> Parse: ...


_lock = threading.Lock()
_trained: dict[tuple[str, str], EmbeddedInterpreter] = {}


def embedded_interpreter(
    data_dir: str | Path = DATA_DIR,
    model_path: str | Path | None = None,
    *,
    cache_dir: str | Path | None = None,
    progress: Callable[[str], object] | None = None,
) -> EmbeddedInterpreter:
    """The embedded interpreter for ``data_dir``, made once per process: loaded from
    ``model_path`` when that file was saved by ``nlu train`` from the same data, else from the
    model cache in ``cache_dir`` (trained into it when missing: ``progress`` is told), else trained."""
    key = (str(data_dir), str(model_path or ""))
    with _lock:
        if key not in _trained:
            data = load(data_dir)
            _trained[key] = _load_or_train(data, data_dir, model_path, cache_dir, progress)
        return _trained[key]


def _load_or_train(
    data: TrainingData,
    data_dir: str | Path,
    model_path: str | Path | None,
    cache_dir: str | Path | None,
    progress: Callable[[str], object] | None,
) -> EmbeddedInterpreter:
    if model_path is not None and Path(model_path).exists():
        try:
            return EmbeddedInterpreter.load(model_path, data)
        except ModelError as exc:
            log.warning("%s; using the model cache or training the embedded NLU instead", exc)

    def train() -> EmbeddedInterpreter:
        return EmbeddedInterpreter.train(data, threshold=DEFAULT_THRESHOLD)

    if cache_dir is None:
        return train()
    return model_cache.load_or_build(
        Path(cache_dir) / f"intents-{model_cache.source_key(data_dir)}.npz",
        "intent classifier",
        train,
        EmbeddedInterpreter.save,
        lambda path: EmbeddedInterpreter.load(path, data),
        progress,
    )


def get_interpreter(
    backend: str = "embedded",
    rasa_url: str | None = None,
    threshold: float | None = None,
    *,
    model_path: str | Path | None = None,
    data_dir: str | Path = DATA_DIR,
    rasa_timeout: float = 2.0,
    cache_dir: str | Path | None = None,
    progress: Callable[[str], object] | None = None,
) -> Interpreter:
    """The interpreter the flows use. ``backend`` is "embedded" (default, in process) or
    "rasa" (a Rasa server at ``rasa_url``, with the embedded one as fallback and for language).
    ``threshold`` overrides the confidence below which the intent is ``nlu_fallback``;
    ``cache_dir`` keeps the trained embedded model (see embedded_interpreter)."""
    embedded = embedded_interpreter(data_dir, model_path, cache_dir=cache_dir, progress=progress)
    if threshold is not None:
        embedded = copy.copy(embedded)
        embedded.threshold = threshold
    if backend == "embedded":
        return embedded
    if backend == "rasa":
        from nlu.rasa import RasaInterpreter

        return RasaInterpreter(
            rasa_url or "http://127.0.0.1:5005",
            fallback=embedded,
            timeout=rasa_timeout,
            threshold=threshold,
        )
    raise NLUError(f"unknown NLU backend {backend!r}: expected 'embedded' or 'rasa'")
