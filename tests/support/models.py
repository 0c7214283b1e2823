"""The trained NLU models that every test, every `puente` process a test starts, and every run share.

Training the intent classifier and the safety triage takes seconds of CPU; each test process and
each started process would do it again. nlu.model_cache names a model file by the hash of the NLU
code and data, so a model kept from an earlier run is used only while both are unchanged.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODEL_CACHE = REPO / ".pytest_cache" / "puente-models"
#: The same folder for a `puente` process, as an operator would set it.
MODEL_CACHE_ENV = {"PUENTE__NLU__MODEL_CACHE_DIR": str(MODEL_CACHE)}
