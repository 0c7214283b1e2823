"""The database: engine, sessions and the declarative base every area's models share.

SQLite by default (WAL, a busy timeout, and BEGIN IMMEDIATE so concurrent writers queue instead of
failing), PostgreSQL through DATABASE_URL.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql import Executable
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


class UTCDateTime(TypeDecorator):
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
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _private_file(url: str) -> None:
    """Create the SQLite file readable by this user only (SQLite gives its -wal and -shm files the
    same mode): it holds every conversation, encrypted or not."""
    path = make_url(url).database
    if (path and path != ":memory:" and not path.startswith("file:") and not os.path.exists(path)
            and os.path.isdir(os.path.dirname(path) or ".")):
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


class DriverStatement:
    """A Core statement compiled once for a dialect and run on the driver's own cursor.

    For the webhooks' hot paths only (through :meth:`Database.prepared`), where SQLAlchemy's
    execution machinery cost twice the CPU of the driver's own call (about 0.6 against 0.3 ms a
    statement on the 2-core benchmark machine).
    Binds are converted by the statements' own types; errors are SQLAlchemy's, and a lost server
    invalidates the connection, as for any statement. Rows come back as plain tuples: use it only
    for statements whose result columns need no conversion (integers and text)."""

    def __init__(self, statement: Executable, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self._defaults = dict(compiled.params)  # literal values the statement holds (anonymous binds)
        self._order = list(compiled.positiontup or []) if dialect.positional else None
        self._convert = {name: convert for name, bind in compiled.binds.items()
                         if (convert := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}

    def run(self, conn: Connection, params: dict[str, Any]) -> list[tuple]:
        values = self._defaults | params
        values = {name: convert(values[name]) if (convert := self._convert.get(name)) else values[name]
                  for name in values}
        arguments = [values[name] for name in self._order] if self._order is not None else values
        dbapi_connection = conn.connection.dbapi_connection
        with closing(dbapi_connection.cursor()) as cursor:
            try:
                cursor.execute(self.sql, arguments)
                return cursor.fetchall() if cursor.description else []
            except conn.dialect.loaded_dbapi.Error as exc:
                lost = conn.dialect.is_disconnect(exc, dbapi_connection, cursor)
                if lost:
                    conn.invalidate(exc)
                raise DBAPIError.instance(self.sql, None, exc, conn.dialect.loaded_dbapi.Error,
                                          connection_invalidated=lost, dialect=conn.dialect) from exc


class Database:
    """An engine and its session factory; one per process."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._prepared: dict[Executable, DriverStatement] = {}
        self._held: Connection | None = None
        self._held_lock = threading.Lock()

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
    def autocommit(self, *, held: bool = False) -> Iterator[Connection]:
        """A connection whose statements commit one by one, for a few that are each safe alone.

        On PostgreSQL that saves the BEGIN and COMMIT round trips; SQLite, in process, takes its
        write lock once for them all, as in any transaction here.

        ``held``: on PostgreSQL, the one connection this process keeps open for it, used by one
        caller at a time (the webhook's group commit runs one batch at a time anyway). It skips the
        pool's checkout and liveness ping, a round trip, on every batch. A connection the server
        dropped is invalidated by its statement's error (``connection_invalidated``, which the
        caller may retry once) and replaced by a new one on the next use, never reconnected in
        place (that would lose its AUTOCOMMIT: statements left uncommitted)."""
        if not self.commits_each_statement:
            with self.engine.begin() as conn:
                yield conn
        elif not held:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                yield conn
        else:
            with self._held_lock:
                if self._held is None or self._held.closed or self._held.invalidated:
                    self._drop_held()
                    self._held = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                yield self._held

    def _drop_held(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None

    def prepared(self, statement: Executable) -> DriverStatement:
        """``statement`` compiled for this database once, to run on the driver's cursor."""
        found = self._prepared.get(statement)
        if found is None:
            found = self._prepared.setdefault(statement, DriverStatement(statement, self.engine.dialect))
        return found

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        with self._held_lock:
            self._drop_held()
        self.engine.dispose()
