"""Fault runs on services of their own: a private Redis and PostgreSQL this package may kill."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SECRET
from tests.support.services import PostgresCluster, RedisServer, Stack, migrate

#: Outages are short in a test: re-drive what is a couple of seconds old, every second.
FAST_RECOVERY = {
    "PUENTE__JOBS__REDRIVE_AFTER_SECONDS": "2",
    "PUENTE__JOBS__REDRIVE_INTERVAL_SECONDS": "1",
    "PUENTE__JOBS__SEND_BACKOFF_SECONDS": "[0.5, 1, 2]",
    "PUENTE__JOBS__SEND_LEASE_SECONDS": "6",
    "PUENTE__TWILIO__TIMEOUT_SECONDS": "2",
}


@pytest.fixture(scope="session")
def private_redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PostgresCluster]:
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture
def make_stack(
    tmp_path: Path, private_redis: RedisServer, private_postgres: PostgresCluster, twilio
):
    """A factory of Stacks on a fresh database (PostgreSQL, or ``database="sqlite"``) and an empty
    private Redis."""
    made: list[Stack] = []

    def factory(*, database: str = "postgresql", **settings: str) -> Stack:
        if private_redis.process is None or private_redis.process.poll() is not None:
            private_redis.start()  # a test before this one left it down
        import redis

        redis.Redis.from_url(private_redis.url).flushall()
        folder = tmp_path / f"stack{len(made)}"
        folder.mkdir()
        if database == "sqlite":
            url = f"sqlite:///{folder / 'puente.db'}"
        else:
            url = private_postgres.create_database(f"t_{uuid.uuid4().hex[:10]}")
        migrate(url)
        stack = Stack(
            folder,
            url,
            secret=SECRET,
            twilio=twilio,
            redis_url=private_redis.url,
            **(FAST_RECOVERY | settings),
        )
        made.append(stack)
        return stack

    yield factory
    for stack in made:
        stack.stop()
