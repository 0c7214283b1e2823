"""Where the workplace's shared data is: the vetted facts and the peer Rasa projects.

The real folder is preferred (``PUENTE_SHARED_DIR``, ``../shared`` beside the checkout, or beside
the repository this one was cloned from), so a change to the facts shows up in the tests at once.
A clone elsewhere (CI on a fresh machine) uses the snapshot in tests/data/shared, never skipping.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = REPO / "tests" / "data" / "shared"


def _origin_sibling() -> Path | None:
    try:
        url = subprocess.run(
            ["git", "-C", str(REPO), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    url = url.removeprefix("file://")
    return Path(url).resolve().parent / "shared" if url.startswith("/") else None


def shared_dir() -> Path:
    for candidate in (
        os.environ.get("PUENTE_SHARED_DIR"),
        REPO.parent / "shared",
        _origin_sibling(),
    ):
        if candidate and (Path(candidate) / "facts" / "canada.yaml").is_file():
            return Path(candidate)
    return SNAPSHOT


SHARED = shared_dir()
FACTS = SHARED / "facts" / "canada.yaml"
MORE_FACTS = (
    SHARED / "facts" / "canada-more.yaml"
)  # only its `verified: true` entries may be stated
PEER_RASA = SHARED / "peer-data" / "rasa"
