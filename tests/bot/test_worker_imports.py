"""An rq worker loads no web framework: the areas' pages are imported by the web app alone, so
each `puente worker` process is smaller (bench/README.md, "rq workers without Flask")."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot import areas

WORKER_START = """
import sys
from bot import areas
from bot.jobs import worker  # what `puente worker` imports before its loop
areas()  # every area registered, as run_worker does
print(sorted(m for m in ("flask", "werkzeug", "jinja2") if m in sys.modules))
"""


def test_a_worker_registers_every_area_without_importing_flask():
    found = subprocess.run(
        [sys.executable, "-c", WORKER_START], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]"


@pytest.mark.parametrize("name", ["portal", "analytics"])
def test_the_web_app_still_gets_each_areas_pages(name):
    (area,) = [area for area in areas() if area.name == name]
    assert area.blueprint() is not None
