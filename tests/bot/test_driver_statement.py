"""bot.db.DriverStatement, the webhook's way past SQLAlchemy's execution machinery: it must bind,
fail and recover as a statement run through SQLAlchemy would, on both databases."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, insert, literal, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.db import DriverStatement
from bot.models import ErasedMessage

ERASED = ErasedMessage.__table__


INSERT = (insert(ERASED).values(message_sid=bindparam("sid"), erased_at=bindparam("at"))
          .returning(ERASED.c.message_sid, literal("stored")))


def _statement(runtime) -> DriverStatement:
    statement = runtime.db.prepared(INSERT)
    assert runtime.db.prepared(INSERT) is statement  # compiled once for this database
    return statement


def test_binds_go_through_the_column_types_and_rows_come_back(make_bot, database_url):
    runtime = make_bot(database_url).runtime
    statement = _statement(runtime)
    evening_in_toronto = datetime(2026, 11, 30, 20, 15, tzinfo=ZoneInfo("America/Toronto"))
    with runtime.db.autocommit() as conn:
        assert statement.run(conn, {"sid": "SM1", "at": evening_in_toronto}) == [("SM1", "stored")]
    with runtime.db.session() as session:
        erased_at = session.scalar(select(ErasedMessage.erased_at).where(ErasedMessage.message_sid == "SM1"))
    # Stored in UTC by the column's type (UTCDateTime), read back as the same instant.
    assert erased_at == evening_in_toronto and erased_at.utcoffset().total_seconds() == 0


def test_a_constraint_violation_is_sqlalchemys_integrity_error(make_bot, database_url):
    runtime = make_bot(database_url).runtime
    statement, now = _statement(runtime), datetime.now(ZoneInfo("UTC"))
    with runtime.db.autocommit() as conn:
        statement.run(conn, {"sid": "SM2", "at": now})
    with pytest.raises(IntegrityError), runtime.db.autocommit() as conn:
        statement.run(conn, {"sid": "SM2", "at": now})


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no server to lose
def test_a_lost_server_connection_is_invalidated_and_the_next_one_works(make_bot, database_url):
    runtime = make_bot(database_url).runtime
    statement, now = _statement(runtime), datetime.now(ZoneInfo("UTC"))
    with runtime.db.autocommit() as conn:
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with runtime.db.engine.connect() as other:  # what a server restart does to a pooled connection
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend)})")
        with pytest.raises(DBAPIError) as lost:
            statement.run(conn, {"sid": "SM3", "at": now})
        assert lost.value.connection_invalidated and conn.invalidated  # not handed back to the pool
    with runtime.db.autocommit() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
        assert statement.run(conn, {"sid": "SM3", "at": now}) == [("SM3", "stored")]
