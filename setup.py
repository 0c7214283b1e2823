"""The wheel carries its data: config.yaml and the compiled catalogs (.mo), under bot/_data.

pyproject.toml holds the metadata; this file only adds a build step, so that an installed Puente
reads its defaults and every language's words through importlib.resources (bot/resources.py)
instead of a source checkout it does not have. Editable installs skip it: they read the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            package_data(Path(self.build_lib) / "bot" / "_data")


def package_data(target: Path) -> None:
    """config.yaml as is; each locales/<lang>/LC_MESSAGES/<domain>.po compiled to its .mo."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copy2(ROOT / "config.yaml", target / "config.yaml")
    pos = sorted((ROOT / "locales").glob("*/LC_MESSAGES/*.po"))
    if not pos:
        raise SystemExit("no catalogs under locales/*/LC_MESSAGES: the wheel would have no words")
    for po in pos:
        mo = target / po.relative_to(ROOT).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source:
            catalog = read_po(source, domain=po.stem)
        with mo.open("wb") as out:
            write_mo(out, catalog)  # fuzzy entries left out, as the loader leaves them out of a .po


setup(cmdclass={"build_py": BuildWithData})
