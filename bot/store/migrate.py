"""Schema migrations (Alembic), driven from Puente's settings: `puente db upgrade`."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config

from bot.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, settings: Settings | None = None) -> Config:
    """``settings``: their secret key and master key file, for migrations that re-encrypt stored
    data (else PUENTE_SECRET_KEY and PUENTE_MASTER_KEY_FILE from the environment)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if settings is not None and settings.secret_key:
        config.attributes["keys"] = (settings.secret_key, settings.master_key_file)
    return config


def keys(config: Config) -> tuple[str, str | None] | None:
    """(secret key, master key file) a migration may use to re-encrypt, or None if unknown."""
    if "keys" in config.attributes:
        given: tuple[str, str | None] = config.attributes["keys"]  # set by config() above
        return given
    secret = os.environ.get("PUENTE_SECRET_KEY")
    return (secret, os.environ.get("PUENTE_MASTER_KEY_FILE")) if secret else None


def upgrade(database_url: str, revision: str = "head", settings: Settings | None = None) -> None:
    command.upgrade(alembic_config(database_url, settings), revision)


def current(database_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def downgrade(database_url: str, revision: str, settings: Settings | None = None) -> None:
    command.downgrade(alembic_config(database_url, settings), revision)
