"""Where the data a running Puente reads comes from: inside the installed package, else the checkout.

A wheel carries the default config.yaml and the compiled catalogs (.mo) in ``bot/_data`` (setup.py
puts them there when the wheel is built), read through importlib.resources so that ``pip install .``
runs from any folder. A source checkout, or an editable install, has no ``bot/_data`` and reads the
files where they are edited: config.yaml and locales/ at the checkout's root.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: The folder holding the ``bot`` package: the checkout, or site-packages in an installed wheel.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
#: What a wheel ships under ``bot/_data``; setup.py builds it from these source paths.
PACKAGED = ("config.yaml", "locales")


def data_root() -> Path:
    """``bot/_data`` in an installed package; the checkout's root otherwise."""
    packaged = files("bot") / "_data"
    return Path(str(packaged)) if packaged.is_dir() else PACKAGE_ROOT


DATA_ROOT = data_root()
DEFAULT_CONFIG = DATA_ROOT / "config.yaml"
LOCALES_DIR = DATA_ROOT / "locales"
