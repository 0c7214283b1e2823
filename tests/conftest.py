"""Shared fixtures: real SQLite and PostgreSQL, real Redis, a Twilio-compatible server, the app.

PostgreSQL (127.0.0.1:5432, database `test`) and Redis (127.0.0.1:6379) must be running: tests that
need them fail loudly when they are not (`.ci/run` starts them).

Every test is marked ``unit`` or ``integration`` by one rule (pytest_collection_modifyitems), so
that ``pytest -m unit`` is the fast loop: no database, server, subprocess or browser.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot import create_app
from bot.runtime import Runtime, set_current
from bot.settings import Settings, load_settings
from bot.store import migrate
from tests.support.models import MODEL_CACHE
from tests.support.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, TwilioServer
from tests.support.webhooks import inbound_params, signed_webhook_post

PG_URL = os.environ.get("PUENTE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: The Redis server tests flush a database of: one per pytest-xdist process (15, 14, ...).
REDIS_URL = (
    os.environ.get("PUENTE_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/")
    + f"/{15 - int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:])}"
)
SECRET = "test-secret-key-for-puente-tests-only-0123456789"
BOT_SMS = "+15550109999"
BOT_WHATSAPP = "whatsapp:+15550108888"
PUBLIC_URL = "http://localhost"


#: Fixtures that reach a database, a server or a browser: a test using one (even through another
#: fixture) is an integration test.
SERVICE_FIXTURES = frozenset(
    {
        "database_url",
        "sqlite_url",
        "redis_url",
        "twilio_server",
        "mail",
        "private_redis",
        "private_postgres",
        "chromium",
        "rasa_server",
        "broken_rasa",
    }
)
#: Names whose presence in a test module makes all of its tests integration tests: they start
#: processes or reach PostgreSQL and Redis without a fixture.
SERVICE_NAMES = frozenset(
    {
        "subprocess",
        "PG_URL",
        "REDIS_URL",
        "fresh_postgres_schema",
        "TwilioServer",
        "RedisServer",
        "PostgresCluster",
        "PuenteProcess",
        "sync_playwright",
    }
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "unit: no database, server, subprocess or browser (set by rule)"
    )
    config.addinivalue_line(
        "markers", "integration: reaches a database, a server, a process or a browser"
    )


#: Files that take the longest, started first so that the other process fills in around them: the
#: wheel's build and install into a fresh venv, and the Rasa server's start (a minute or two each).
LONGEST_FIRST = ("tests/system/test_wheel.py", "tests/nlu/test_rasa_backend.py")


def _file_order(items: list[pytest.Item]) -> list[pytest.Item]:
    """The items by file: LONGEST_FIRST, then files with a ``slow`` test, then the rest by number of
    tests, most first (so that the last files handed out are short). pytest-xdist hands out whole
    files in this order (``--dist=loadfile --no-loadscope-reorder`` in pyproject.toml)."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)

    def cost(name: str) -> tuple[int, int]:
        if name in LONGEST_FIRST:
            return (0, LONGEST_FIRST.index(name))
        slow = any(item.get_closest_marker("slow") for item in files[name])
        return (1 if slow else 2, -len(files[name]))

    return [item for name in sorted(files, key=cost) for item in files[name]]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):  # one process (-n 0) keeps the files' own order
        items[:] = _file_order(items)
    for item in items:
        module = getattr(item, "module", None)
        integration = (
            item.get_closest_marker("slow") is not None
            or item.get_closest_marker("integration") is not None
            or not SERVICE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
            or (module is not None and not SERVICE_NAMES.isdisjoint(vars(module)))
        )
        item.add_marker(pytest.mark.integration if integration else pytest.mark.unit)


def fresh_postgres_schema(url: str = PG_URL) -> str:
    """A new, empty PostgreSQL schema for one test; the URL returned uses it as search_path."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def drop_postgres_schema(url: str) -> None:
    schema = url.rsplit("%3D", 1)[1]
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def cheap_argon2() -> Iterator[None]:
    """Argon2id at its smallest cost in this process: the tests sign in and set PINs hundreds of
    times, and prove who gets in, not how long a stolen hash resists (the library's parameters
    cost some 0.3 s a hash here). Hashes are still argon2id; processes a test starts keep the real
    parameters."""
    from argon2 import PasswordHasher

    from bot.conversation import pin
    from bot.portal import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        patch.setattr(passwords, "_DUMMY", cheap.hash("not-a-password-of-anyone"))
        patch.setattr(pin, "_hasher", cheap)
        yield


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[TwilioServer]:
    with TwilioServer() as server:
        yield server


@pytest.fixture
def twilio(twilio_server: TwilioServer) -> TwilioServer:
    twilio_server.reset()
    return twilio_server


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test process; each test gets a copy of it (the
    migrations themselves go up and down in tests/bot/test_migrations.py)."""
    path = tmp_path_factory.mktemp("template") / "puente.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def copy_of(template: Path, tmp_path: Path) -> str:
    """A fresh SQLite database at head for one test: a copy of the migrated template file."""
    path = tmp_path / "puente.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


class MigratedPostgres:
    """One PostgreSQL schema migrated to head per test process, emptied for each test that uses it:
    deleting the rows of 23 tables and restarting their sequences takes some 20 ms, the 14
    migrations 0.7 s or more (the migrations themselves go up and down in test_migrations.py)."""

    def __init__(self) -> None:
        self.url = ""
        self.head = migrate_script_head()

    def _build(self) -> None:
        self.url = fresh_postgres_schema()
        migrate.upgrade(self.url)

    def fresh(self) -> str:
        """The schema as a fresh migration leaves it: at head, every table empty, ids from 1. A
        test that left it elsewhere (a downgrade it did not undo) gets a new one instead."""
        if self.url and not self._empty():
            drop_postgres_schema(self.url)
            self.url = ""
        if not self.url:
            self._build()
        return self.url

    def _empty(self) -> bool:
        from bot.schema import metadata

        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if version != self.head:
                    return False
                for table in reversed(metadata.sorted_tables):
                    conn.execute(table.delete())
                sequences = conn.execute(
                    text(
                        "SELECT sequence_name FROM information_schema.sequences"
                        " WHERE sequence_schema = current_schema()"
                    )
                ).scalars()
                for sequence in list(sequences):
                    conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
            return True
        except Exception:  # a table a test dropped, a lock it left: start over on a new schema
            return False
        finally:
            engine.dispose()

    def close(self) -> None:
        if self.url:
            drop_postgres_schema(self.url)


def migrate_script_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[MigratedPostgres]:
    schema = MigratedPostgres()
    yield schema
    schema.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs twice: on a fresh SQLite file and on an empty PostgreSQL schema,
    both at the head migration."""
    if request.param == "sqlite":
        return copy_of(request.getfixturevalue("migrated_sqlite"), tmp_path)
    return request.getfixturevalue("migrated_postgres").fresh()


@pytest.fixture
def sqlite_url(migrated_sqlite: Path, tmp_path: Path) -> str:
    return copy_of(migrated_sqlite, tmp_path)


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    return REDIS_URL


def make_settings(
    tmp_path: Path, database_url: str, twilio: TwilioServer | None = None, **overrides
) -> Settings:
    """Settings for a test: the given database, a fixed secret, Twilio pointed at the fake server."""
    values = {
        "database_url": database_url,
        "secret_key": SECRET,
        "instance_path": str(tmp_path / "instance"),
        "public_base_url": PUBLIC_URL,
        "jobs.inline_sync": True,
        "jobs.send_backoff_seconds": [0.2, 0.4, 0.8],
        "nlu.model_cache_dir": str(MODEL_CACHE),
        # Administrators sign in with a password only in tests, except where two-step sign-in is
        # the subject (tests/portal/test_two_step.py turns it back on, as config.yaml has it).
        "portal.admin_totp_required": False,
    }
    if twilio is not None:
        values |= {
            "twilio.account_sid": twilio.account_sid,
            "twilio.auth_token": twilio.auth_token,
            "twilio.api_base_url": twilio.url,
            "twilio.timeout_seconds": 3,
        }
    values |= {k.replace("__", "."): v for k, v in overrides.items()}
    return load_settings(environ={}, **values)


@dataclass
class Bot:
    """The app under test, with the worker's side of a chat: send() posts a signed webhook."""

    app: object
    runtime: Runtime
    twilio: TwilioServer | None

    @property
    def client(self):
        return self.app.test_client()

    def send(
        self,
        body: str,
        *,
        sender: str = "+15195550101",
        to: str | None = None,
        sid: str | None = None,
        **extra,
    ) -> object:
        to = to or (BOT_WHATSAPP if sender.startswith("whatsapp:") else BOT_SMS)
        params = inbound_params(sender, to, body, sid, **extra)
        if self.twilio is not None:
            self.twilio.record_inbound(params)  # Twilio holds what it posts, until deleted
        token = self.runtime.settings.twilio.auth_token or DEFAULT_AUTH_TOKEN
        return signed_webhook_post(self.client, "/webhooks/twilio", params, token, PUBLIC_URL)


@pytest.fixture
def make_bot(tmp_path: Path, twilio: TwilioServer) -> Iterator[Callable[..., Bot]]:
    made: list[Runtime] = []

    def factory(database_url: str, **overrides) -> Bot:
        settings = make_settings(tmp_path, database_url, twilio, **overrides)
        runtime = Runtime.build(settings)
        made.append(runtime)
        return Bot(create_app(settings, runtime=runtime), runtime, twilio)

    yield factory
    for runtime in made:
        runtime.close()
    set_current(None)


__all__ = ["DEFAULT_ACCOUNT_SID", "BOT_SMS", "BOT_WHATSAPP", "make_settings"]
