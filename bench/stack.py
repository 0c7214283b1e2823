"""What the load benchmarks share: Puente as deployed on this machine, workers' messages, figures.

``puente_stack`` runs the real processes (`puente serve` under gunicorn, `puente worker` rq
workers) on a throwaway database of the machine's PostgreSQL, a private redis-server and the local
Twilio-compatible server, all through tests/support/services.py. The rest turns traffic into
numbers: which accepted messages got their reply at the Twilio server, percentiles, memory.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlparse

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.services import RedisServer, Stack, migrate, wait_until  # noqa: E402
from tests.support.twilio_server import TwilioServer  # noqa: E402
from tests.support.webhooks import inbound_params, twilio_signature  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "PUENTE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-secret-key-for-puente-benchmarks-only-0123456789"
BOT_SMS = "+15550109999"
WEBHOOK_PATH = "/webhooks/twilio"

#: What a worker says, by position in their conversation (first contact, a menu pick, questions).
CONVERSATION = [
    "hola buenas tardes, necesito ayuda con mi trabajo",
    "1",
    "cuanto me tienen que pagar por hora en Ontario",
    "mi patron no me paga las horas extra",
]
#: First messages only, in the three languages (each from a worker the bot has never seen).
FIRST_CONTACTS = [
    "hola buenas tardes, necesito ayuda con mi trabajo",
    "cuanto me tienen que pagar por hora",
    "magandang umaga po, kailangan ko po ng tulong",
    "hello, my employer took my passport",
    "no me pagan las horas extra",
    "how many hours can they make me work",
]


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A new database on the machine's PostgreSQL, migrated, and dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def puente_stack(web_workers: int = 2, rq_workers: int = 2, **settings: str) -> Iterator[Stack]:
    """`puente serve` and ``rq_workers`` `puente worker`s (production settings), ready for traffic.

    The processes' logs are kept (and their folder printed) only if something fails.
    """
    folder = Path(tempfile.mkdtemp(prefix="puente-bench-"))
    ok = False
    with (
        _sigterm_exits(),
        TwilioServer() as twilio,
        RedisServer() as redis,
        throwaway_database() as url,
    ):
        stack = Stack(
            folder,
            url,
            secret=SECRET,
            twilio=twilio,
            redis_url=redis.url,
            **({"PUENTE_ENV": "production"} | settings),
        )
        try:
            stack.serve(web_workers)
            for _ in range(rq_workers):
                stack.start_worker()
            wait_workers_listening(redis.url, rq_workers, stack)
            yield stack
            ok = True
        finally:
            stack.stop()
            if ok:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                print(f"process logs kept in {folder}", file=sys.stderr)


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """`kill` (SIGTERM) stops a run as Ctrl-C does: the processes, the database and Redis go with it."""

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def wait_workers_listening(redis_url: str, count: int, stack: Stack, timeout: float = 120) -> None:
    """rq workers register once the NLU model is trained and loaded (runtime.warm_up)."""
    import redis
    from rq import Worker

    connection = redis.Redis.from_url(redis_url)

    def ready() -> bool:
        if not all(w.alive() for w in stack.workers):
            raise RuntimeError(f"a puente worker exited:\n{stack.logs()[-3000:]}")
        return Worker.count(connection=connection) >= count

    wait_until(ready, timeout, f"{count} rq workers", interval=0.2)
    connection.close()


# -- workers' messages ---------------------------------------------------------------------------


def sender(n: int) -> str:
    """The n-th pretend worker's number (Leamington, Ontario)."""
    return f"+1519{n:07d}"


def conversation_message(n: int) -> tuple[str, str]:
    """(sender, text) of the n-th message of a load made of four-message conversations."""
    return sender(n // len(CONVERSATION)), CONVERSATION[n % len(CONVERSATION)]


def signed_form(public_url: str, auth_token: str, number: str, text: str) -> tuple[str, str]:
    """(X-Twilio-Signature, urlencoded body) of one inbound SMS with a fresh MessageSid."""
    params = inbound_params(number, BOT_SMS, text)
    return twilio_signature(public_url, params, auth_token), urlencode(params)


@dataclass(frozen=True)
class Posted:
    """One webhook POST: who sent it, when it started (monotonic), how long the answer took."""

    number: str
    started: float
    seconds: float
    status: int


def post_at_rate(stack: Stack, messages: list[tuple[str, str]], rate: float) -> list[Posted]:
    """POST each (sender, text) signed, at a steady ``rate`` per second, each on time even if one is slow."""
    posted: list[Posted] = []
    lock = threading.Lock()

    def post(number: str, text: str) -> None:
        start = time.monotonic()
        try:
            status = stack.post(text, sender=number).status_code
        except requests.RequestException:
            status = 0
        with lock:
            posted.append(Posted(number, start, time.monotonic() - start, status))

    begin = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        for index, (number, text) in enumerate(messages):
            time.sleep(max(0.0, begin + index / rate - time.monotonic()))
            pool.submit(post, number, text)
    return posted


class ArrivalClock:
    """Notes when each message reaches the Twilio server (to whom, at what monotonic time)."""

    def __init__(self, twilio: TwilioServer):
        self.twilio = twilio
        self.first_arrival: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="arrival-clock", daemon=True)

    def _watch(self) -> None:
        seen = len(self.twilio.messages)
        while not self._stop.is_set():
            try:
                messages = self.twilio.wait_for_messages(seen + 1, timeout=0.2)
            except TimeoutError:
                continue
            now = time.monotonic()
            for message in messages[seen:]:
                self.first_arrival.setdefault(message.to, now)
            seen = len(messages)

    def __enter__(self) -> ArrivalClock:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(5)


# -- what happened -------------------------------------------------------------------------------


def answered(stack: Stack) -> tuple[int, int]:
    """(inbound messages stored, those whose reply or apology reached the Twilio server)."""
    from sqlalchemy import func, or_, select

    from bot.store.models import InboundMessage, OutboxMessage
    from bot.store.vault import Vault

    sid_hash = Vault(SECRET).sid_hash  # the database keeps SIDs as keyed hashes
    at_twilio = {sid_hash(message.sid) for message in stack.twilio.messages}
    with stack.db.session() as session:
        stored = session.scalar(select(func.count(InboundMessage.id)))
        rows = session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.twilio_sid).where(
                or_(
                    OutboxMessage.dedupe_key.like("reply:%"),
                    OutboxMessage.dedupe_key.like("apology:%"),
                )
            )
        ).all()
    return stored, len({key.split(":")[1] for key, sid in rows if sid in at_twilio})


def wait_drained(stack: Stack, timeout: float = 600) -> tuple[float, int, int]:
    """Seconds until every stored message is answered (or ``timeout``); then (stored, answered)."""
    start = time.monotonic()
    stored, replied = answered(stack)
    while replied < stored and time.monotonic() - start < timeout:
        time.sleep(0.25)
        stored, replied = answered(stack)
    return time.monotonic() - start, stored, replied


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; NaN for no samples."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def memory_mb(pid: int) -> dict[str, float]:
    """RSS and PSS (RSS with shared pages split between their sharers) of one process, in MB."""
    figures = {}
    for path, key in ((f"/proc/{pid}/status", "VmRSS:"), (f"/proc/{pid}/smaps_rollup", "Pss:")):
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                figures[key.rstrip(":").lower().removeprefix("vm")] = int(line.split()[1]) / 1024
                break
    return figures


def processes(stack: Stack) -> list[tuple[str, int]]:
    """(name, pid) of every process of the stack: gunicorn's master and workers, the rq workers and
    any child of theirs (rq's scheduler was one until it became a thread of the worker)."""
    found = [("gunicorn master", stack.web.pid)]
    found += [(f"gunicorn web worker {i + 1}", pid) for i, pid in enumerate(stack.web.children())]
    for i, worker in enumerate(stack.workers):
        found.append((f"rq worker {i + 1}", worker.pid))
        found += [(f"rq worker {i + 1} child", pid) for pid in worker.children()]
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU time (user + system) each process has used so far; a process gone is left out."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (
            int(fields[11]) + int(fields[12])
        ) / tick  # utime, stime (fields 14, 15 of stat)
    return used


def services_cpu(redis_url: str) -> dict[str, float]:
    """CPU seconds used so far by what shares the machine with Puente in a bench: PostgreSQL (every
    `postgres` process: the machine's server, quiet but for the bench), the bench's redis-server,
    this process (the local Twilio server's threads and the bench's own work), its finished
    children (wrk), and the whole machine's busy time (every core)."""
    port = urlparse(redis_url).port
    groups = {"postgres": 0.0, "redis": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name = stat.read_text().split("(", 1)[1].split(")", 1)[0]
            if name == "redis-server" and f":{port}" not in (stat.parent / "cmdline").read_text():
                continue
        except OSError:
            continue
        if name in ("postgres", "redis-server"):
            group = "postgres" if name == "postgres" else "redis"
            groups[group] += sum(cpu_seconds([int(stat.parent.name)]).values())
    me, children = os.times(), resource.getrusage(resource.RUSAGE_CHILDREN)
    # /proc/stat's first line: user nice system idle iowait irq softirq steal (all cores, in ticks)
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return {
        **groups,
        "bench and Twilio server": me.user + me.system,
        "wrk": children.ru_utime + children.ru_stime,
        "machine": busy / tick,
    }


def machine() -> str:
    """One line about the machine, printed with every figure."""
    return f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}"
