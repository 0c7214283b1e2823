"""Imports every area's models so the metadata (migrations, create_all in tests) is complete."""

import importlib

from bot.store.db import Base

#: Modules defining tables; each area adds its own here.
MODEL_MODULES = [
    "bot.store.models",
    "bot.cases.models",
    "bot.directory.models",
    "bot.portal.models",
    "bot.store.eventlog",
]

for _module in MODEL_MODULES:
    importlib.import_module(_module)

metadata = Base.metadata
