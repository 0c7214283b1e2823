"""nlu is pure: importing and using it pulls in nothing of the bot, web, database or queue."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import REPO

FORBIDDEN = (
    "bot",
    "flask",
    "sqlalchemy",
    "rq",
    "redis",
    "twilio",
    "torch",
    "tensorflow",
    "sklearn",
)


def test_nlu_imports_nothing_from_the_bot_or_web_stack():
    code = (
        "import sys, json, nlu, nlu.cli, nlu.evaluate, nlu.review\n"
        "nlu.get_interpreter().parse('hola')\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    offenders = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert not offenders
