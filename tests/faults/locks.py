"""A turn in progress, from outside: hold conversation rows as ``bot.conversation.inbox.process`` does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def turns_in_progress(database_url: str) -> Iterator[object]:
    """Lock every conversation row (FOR NO KEY UPDATE, as a turn does) until the block ends."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT id FROM conversations FOR NO KEY UPDATE"))
            yield engine
            holder.rollback()
    finally:
        engine.dispose()


def someone_waits_for_a_lock(engine) -> bool:
    """A database session (a job) is blocked on a row lock."""
    with engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        )
