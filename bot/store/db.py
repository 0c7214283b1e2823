"""The database: engine, sessions and the declarative base every area's models share.

SQLite by default (WAL, a busy timeout, and BEGIN IMMEDIATE so concurrent writers queue instead of
failing), PostgreSQL through DATABASE_URL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, CursorResult, DateTime, MetaData, Result, create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_the_hour(moment: datetime) -> datetime:
    """What is stored of when a case moved on the worker's account (a referral made at filing, a
    relay message): to the second, it would match the worker's messages in a copy of the database."""
    return moment.replace(minute=0, second=0, microsecond=0)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched: its result is a CursorResult (typed as Result)."""
    return cast(CursorResult[Any], result).rowcount


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite too (which stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _private_file(url)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10)
    _ping_when_idle(engine)
    return engine


#: A pooled connection unused this long is checked before use; one in steady use is not.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, for connections that sat in the pool: a database restarted
    meanwhile is noticed before the statement instead of failing it. Under traffic a connection
    comes back within milliseconds, and a ping at each checkout is a round trip more for each group
    of statements (bench/README.md). A connection broken while in use fails its statement;
    SQLAlchemy then discards the pool, and the job or the webhook (a 503) is tried again."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the pool retries with a new connection
            raise DisconnectionError(type(exc).__name__) from exc


def _private_file(url: str) -> None:
    """Create the SQLite file readable by this user only (SQLite gives its -wal and -shm files the
    same mode): it holds every conversation, encrypted or not."""
    path = make_url(url).database
    if (
        path
        and path != ":memory:"
        and not path.startswith("file:")
        and not os.path.exists(path)
        and os.path.isdir(os.path.dirname(path) or ".")
    ):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: two writers then wait in turn instead of one failing with
        # "database is locked" when it upgrades a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine and its session factory; one per process."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @property
    def commits_each_statement(self) -> bool:
        """Whether :meth:`autocommit`'s statements are committed one by one (else all or none)."""
        return self.dialect != "sqlite"

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection whose statements commit one by one, for a few that are each safe alone.

        On PostgreSQL that saves the BEGIN and COMMIT round trips; SQLite, in process, takes its
        write lock once for them all, as in any transaction here."""
        if not self.commits_each_statement:
            with self.engine.begin() as conn:
                yield conn
        else:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                yield conn

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
