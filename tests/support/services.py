"""Private services and Puente processes for fault, concurrency and load runs.

Fault tests kill and restart Redis and PostgreSQL; doing that to the machine's shared instances
would break every other test running beside them. So each run gets its own ``redis-server`` and
its own PostgreSQL cluster (``initdb`` + ``pg_ctl``) on free ports in a temporary directory, and
the real ``puente serve`` / ``puente worker`` processes talk to those.

    with RedisServer() as redis, PostgresCluster() as pg:
        url = pg.create_database("puente")
        ...
        redis.kill(); redis.start()      # an outage, same port, same URL
        pg.restart()
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import requests

from tests.support.models import MODEL_CACHE_ENV

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def listening(app, port: int = 0) -> Iterator[str]:
    """``app`` served on 127.0.0.1 (``port``, or any free one) in a thread, for a client that needs a
    real socket (a browser, a Twilio callback); yields its base URL and stops it afterwards."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(
        target=server.serve_forever, args=(0.05,), name="listening", daemon=True
    ).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; AssertionError naming ``what`` if not."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class RedisServer:
    """A throwaway redis-server (no persistence) that can be killed and started again on its port."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="puente-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: self._pings(), 10, f"redis-server on port {self.port}")
        return self

    def _pings(self) -> bool:
        import redis

        try:
            client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except redis.exceptions.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL: everything in it (the queue included) is gone, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        wait_until(lambda: not _port_open(self.port), 10, "redis port to close")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return path


class PostgresCluster:
    """A PostgreSQL cluster of our own (initdb in a temporary directory), trust auth for postgres.

    initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` system user.
    """

    def __init__(self, port: int | None = None, *, fsync: bool = False):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="puente-pg-"))
        self.data = self.dir / "data"
        self.fsync = fsync
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            _pg_bin("initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresCluster:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
            f" -c fsync={'on' if self.fsync else 'off'} -c max_connections=200"
        )
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "postgres.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def running(self) -> bool:
        return (
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "status", check=False).returncode
            == 0
        )

    def stop(self, mode: str = "fast") -> None:
        """``immediate`` is a crash as far as clients can tell; ``fast`` disconnects them cleanly."""
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-m",
            mode,
            "-w",
            "-t",
            "60",
            "stop",
            check=False,
        )

    def restart(self, mode: str = "fast", down_for: float = 0.0) -> None:
        self.stop(mode)
        time.sleep(down_for)
        self.start()

    def create_database(self, name: str) -> str:
        """Create (or recreate) a database and return its SQLAlchemy URL."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def dump(self, database: str) -> bytes:
        """pg_dump of one database (schema and data), as an attacker with a backup would see it."""
        command = [
            _pg_bin("pg_dump"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            database,
        ]
        return subprocess.run(command, check=True, capture_output=True, timeout=120).stdout

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def puente_environ(
    database_url: str, *, secret: str, twilio=None, redis_url: str | None = None, **extra: str
) -> dict[str, str]:
    """The environment an operator would give `puente`: this machine's, minus any Puente settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PUENTE", "TWILIO", "DATABASE", "REDIS", "PUBLIC_BASE", "PROMETHEUS"))
    }
    env |= {
        "DATABASE_URL": database_url,
        "PUENTE_SECRET_KEY": secret,
        "PYTHONUNBUFFERED": "1",
        **MODEL_CACHE_ENV,
    }
    if twilio is not None:
        env |= {
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_API_BASE_URL": twilio.url,
        }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env | extra


#: `puente` itself (as the console script runs it; ``-m bot.cli`` would import bot.cli twice).
_MAIN = "import sys; from bot.cli import main; sys.exit(main())"


class PuenteProcess:
    """A `puente` subcommand in its own process group, its output kept in a file for inspection."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.args, self.env, self.log_path = args, env, log_path
        self._log: IO[bytes] | None = None
        self.process: subprocess.Popen | None = None

    def start(self) -> PuenteProcess:
        if self.process is not None:
            raise RuntimeError(f"puente {self.args[0]} is started already")
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the process's life)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _MAIN, *self.args],
            env=self.env,
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def children(self) -> list[int]:
        """Pids of this process's direct children (gunicorn workers, rq work horses)."""
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            except ProcessLookupError:
                pass
        if self._log:
            self._log.close()
            self._log = None
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group: no handler runs, as when a machine dies."""
        self.stop(signal.SIGKILL)

    def output(self) -> str:
        if self._log:
            self._log.flush()
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> PuenteProcess:
        # serve() and worker() hand over a started process: starting it again here would leave the
        # first running, on the test's Redis, taking later tests' jobs.
        return self if self.process is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(env: dict[str, str], port: int, log_path: Path, workers: int = 2) -> PuenteProcess:
    """`puente serve` on 127.0.0.1:port, started and healthy (or AssertionError with its output)."""
    process = PuenteProcess(
        ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env,
        log_path,
    ).start()
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
    except AssertionError:
        process.stop()
        raise AssertionError(
            f"puente serve did not become healthy:\n{process.output()[-3000:]}"
        ) from None
    return process


def worker(env: dict[str, str], log_path: Path) -> PuenteProcess:
    return PuenteProcess(["worker"], env, log_path).start()


def wait_healthy(base_url: str, process: PuenteProcess | None = None, timeout: float = 60) -> None:
    def healthy() -> bool:
        if process is not None and not process.alive():
            raise AssertionError(f"process exited with {process.process.returncode}")
        try:
            return requests.get(f"{base_url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    wait_until(healthy, timeout, f"{base_url}/healthz")


def migrate(database_url: str) -> None:
    from bot.store import migrate as migrations

    migrations.upgrade(database_url)


#: What a Stack's Prometheus scrape sends (production answers /metrics only with a token).
METRICS_TOKEN = "stack-metrics-token"


class Stack:
    """Puente as deployed: `puente serve` and `puente worker` processes on private Redis/PostgreSQL.

    ``post`` sends a signed webhook over HTTP as Twilio would; ``db`` reads the tables the
    processes write; every process's output lands in ``tmp`` for log scans.
    """

    def __init__(
        self,
        tmp: Path,
        database_url: str,
        *,
        secret: str,
        twilio,
        redis_url: str | None,
        **settings: str,
    ):
        self.tmp, self.database_url, self.secret, self.twilio = tmp, database_url, secret, twilio
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = puente_environ(
            database_url,
            secret=secret,
            twilio=twilio,
            redis_url=redis_url,
            PUBLIC_BASE_URL=self.base_url,
            PUENTE__METRICS__TOKEN=METRICS_TOKEN,
            PROMETHEUS_MULTIPROC_DIR=str(self._metrics_dir()),
            **settings,
        )
        self.web: PuenteProcess | None = None
        self.workers: list[PuenteProcess] = []
        self._db = None

    def _metrics_dir(self) -> Path:
        path = self.tmp / "metrics"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def serve(self, workers: int = 2) -> PuenteProcess:
        self.web = serve(self.env, self.port, self.tmp / "serve.log", workers=workers)
        return self.web

    def start_worker(self) -> PuenteProcess:
        process = worker(self.env, self.tmp / f"worker-{len(self.workers)}.log")
        self.workers.append(process)
        return process

    def scrape(self) -> str:
        """/metrics as the stack's Prometheus reads it (with metrics.token)."""
        response = requests.get(
            f"{self.base_url}/metrics",
            timeout=30,
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        )
        response.raise_for_status()
        return response.text

    def metric(self, name: str, **labels: str) -> float:
        """The sum of /metrics samples ``name`` whose labels include ``labels``."""
        from prometheus_client.parser import text_string_to_metric_families

        return sum(
            sample.value
            for family in text_string_to_metric_families(self.scrape())
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        )

    def post(
        self,
        body: str,
        *,
        sender: str,
        to: str | None = None,
        sid: str | None = None,
        timeout: float = 15,
        **extra,
    ) -> requests.Response:
        from tests.support.webhooks import inbound_params, signed_webhook_post

        to = to or ("whatsapp:+15550108888" if sender.startswith("whatsapp:") else "+15550109999")
        params = inbound_params(sender, to, body, sid, **extra)
        return signed_webhook_post(
            self.base_url, "/webhooks/twilio", params, self.twilio.auth_token, timeout=timeout
        )

    @property
    def db(self):
        """The processes' database, for assertions (a Database of our own)."""
        if self._db is None:
            from bot.store.db import Database

            self._db = Database(self.database_url)
        return self._db

    def logs(self) -> str:
        """Everything every process printed so far."""
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.tmp.glob("*.log"))
        )

    def stop(self) -> None:
        for process in [*self.workers, self.web]:
            if process is not None:
                process.stop()
        if self._db is not None:
            self._db.dispose()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
