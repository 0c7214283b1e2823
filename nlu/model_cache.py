"""Trained models kept on disk, so that a process loads what takes much longer to train (start-up
times: bench/README.md, issue 23.4), and a fresh bot answers its first message at once.

A model file is named by a hash of everything that shapes it: the nlu code and the training data
(``source_key``). An edited example or classifier gives a new name, so a stale file is never read.
Processes that start together (gunicorn workers, rq workers, test processes) take a file lock: one
builds, the others wait for it and load the file. Model files hold arrays and JSON (``write_model``),
never pickles.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from nlu.classifier import LogisticRegression
from nlu.errors import ModelError
from nlu.features import Featurizer

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent
SOURCE_SUFFIXES = (".py", ".yml", ".yaml")

Model = TypeVar("Model")


def source_key(*extra_roots: str | Path) -> str:
    """Hash of the nlu package's code and data, plus any data folder outside it."""
    digest = hashlib.sha256()
    roots = [PACKAGE] + [
        Path(r).resolve() for r in extra_roots if not Path(r).resolve().is_relative_to(PACKAGE)
    ]
    for root in roots:
        files = (
            [root]
            if root.is_file()
            else sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES)
        )
        for path in files:
            digest.update(f"{path.relative_to(root.parent)}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_or_build(
    path: Path,
    what: str,
    build: Callable[[], Model],
    save: Callable[[Model, Path], object],
    load: Callable[[Path], Model],
    progress: Callable[[str], object] | None = None,
) -> Model:
    """The model saved at ``path``, or ``build()`` saved there first (``progress`` is told)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_name(path.name + ".lock"), "a+b")  # noqa: SIM115 (closed below)
    except OSError as exc:
        log.warning(
            "cannot keep the %s in %s (%s); building it in memory. Set nlu.model_cache_dir "
            "to a writable folder.",
            what,
            path.parent,
            exc,
        )
        return _built(what, build, progress)
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if path.exists():
            try:
                return load(path)
            except ModelError as exc:
                log.warning("%s; building it again", exc)
        model = _built(what, build, progress)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        try:
            save(model, partial)
            os.replace(partial, path)
        except OSError as exc:
            log.warning("cannot save the %s to %s: %s", what, path, exc)
        return model


def _built(
    what: str, build: Callable[[], Model], progress: Callable[[str], object] | None
) -> Model:
    message = f"Building the {what} (once for this version of the NLU data)..."
    if progress is not None:
        progress(message)
    log.info(message)
    return build()


def write_model(path: str | Path, meta: dict[str, Any], **arrays: np.ndarray) -> Path:
    """One .npz file: the arrays, and ``meta`` as JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    # numpy's stub types **kwds as if an array could be named allow_pickle
    meta_array = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez_compressed(buffer, meta=meta_array, **arrays)  # type: ignore[arg-type]
    path.write_bytes(buffer.getvalue())
    return path


def read_model(
    path: str | Path, version: int, *names: str
) -> tuple[dict[str, Any], list[np.ndarray]]:
    """``meta`` and the named arrays of a file written by ``write_model`` with this ``version``."""
    try:
        with np.load(Path(path)) as archive:
            meta = json.loads(archive["meta"].tobytes().decode())
            if meta.get("version") != version:
                raise ModelError(
                    f"{path}: model file of version {meta.get('version')}, expected {version}"
                )
            return meta, [archive[name] for name in names]
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"{path}: cannot read the NLU model: {exc}") from exc


def linear_parts(
    featurizer: Featurizer, classifier: LogisticRegression
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """What ``write_model`` keeps of a featurizer and the classifier trained on its features."""
    meta = {
        "classes": classifier.classes,
        "vocabulary": featurizer.vocabulary,
        "char_range": list(featurizer.char_range),
    }
    return meta, {"weights": classifier.weights, "idf": featurizer.idf}


def read_linear_parts(
    path: str | Path, version: int
) -> tuple[dict[str, Any], Featurizer, LogisticRegression]:
    """``meta``, the featurizer and the classifier of a file written with ``linear_parts``."""
    meta, (weights, idf) = read_model(path, version, "weights", "idf")
    featurizer = Featurizer(tuple(meta["char_range"]))
    featurizer.vocabulary, featurizer.idf = meta["vocabulary"], idf
    classifier = LogisticRegression()
    classifier.classes, classifier.weights = meta["classes"], weights
    return meta, featurizer, classifier
