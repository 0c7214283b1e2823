"""The migrations round trip: down to nothing and up again, ending where the models say."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from bot import schema
from bot.store import migrate
from tests.conftest import drop_postgres_schema, fresh_postgres_schema


def _round_trip(url: str) -> None:
    migrate.upgrade(url)
    head = migrate.current(url)
    migrate.downgrade(url, "base")
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    migrate.upgrade(url)
    assert migrate.current(url) == head
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_migrations_go_down_to_nothing_and_up_to_the_models_on_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'round-trip.db'}")


def test_migrations_go_down_to_nothing_and_up_to_the_models_on_postgresql() -> None:
    url = fresh_postgres_schema()
    try:
        _round_trip(url)
    finally:
        drop_postgres_schema(url)
