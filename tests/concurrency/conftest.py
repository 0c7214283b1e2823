"""Concurrency runs use the fault package's private Redis and PostgreSQL and its Stack factory."""

from tests.faults.conftest import make_stack, private_postgres, private_redis

__all__ = ["make_stack", "private_postgres", "private_redis"]
