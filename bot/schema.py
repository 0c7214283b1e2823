"""Every table of every area in one metadata: what the migrations compare against, what the tests
empty, and what is configured before a process starts its threads.

It sits beside create_app, in no layer: the store holds the tables of areas above it (cases, the
directory, the portal), so it cannot import their models itself.
"""

from sqlalchemy.orm import configure_mappers

from bot.cases import models as cases
from bot.directory import models as directory
from bot.portal import models as portal
from bot.store import eventlog
from bot.store import models as store
from bot.store.db import Base

#: The modules defining tables; an area with tables adds its models module here.
MODEL_MODULES = (store, eventlog, cases, directory, portal)

metadata = Base.metadata


def configure() -> None:
    """Configure every mapper now, in one thread: configured lazily by a first query, a thread
    (housekeeping, another request) could meet a models module that a job or a view is half way
    through importing, and the failure would stick."""
    configure_mappers()
