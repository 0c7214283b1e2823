"""Where jobs run: rq on Redis when REDIS_URL is set, otherwise a thread in this process.

Both take the job function itself (a module-level function, which rq stores by its dotted name)
and ids only, so a job's payload never holds personal data and the same function runs either way.
A job function lives beside the work it does, and says its queue with ``@runs_in`` (QUEUES), which a
worker empties in that order, so a backlog of retries never holds up a worker's first reply. Work
tied to a row (a turn, an outbox send) is queued under a job id derived from it, and work that
serves many (a sweep, the next turn job) under a marker: while such a job waits, however long the
queue, queueing it again is a no-op.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.errors import QueueUnavailable

log = logging.getLogger(__name__)

#: The queues, most urgent first: a worker takes a job from the first that has one. New messages'
#: turns, then sends (retries, relays), referral deliveries, re-driven work (an outage's backlog),
#: and housekeeping (digests, alerts, purges).
QUEUES = ("turns", "sends", "referrals", "backlog", "housekeeping")
#: A job: a module-level function taking ids (ints, strings) only, so rq can store it by name.
Job = Callable[..., Any]
J = TypeVar("J", bound=Job)
#: rq job states in which a job is still to run (a job id in one of them is not queued again).
WAITING = ("queued", "scheduled", "deferred")


def runs_in(queue: str) -> Callable[[J], J]:
    """Declare the queue of a job function (one of QUEUES); a job that declares none goes to
    housekeeping. The function itself is returned unchanged (rq imports it by its name)."""
    if queue not in QUEUES:
        raise ValueError(f"no queue {queue!r}: one of {', '.join(QUEUES)}")

    def declare(func: J) -> J:
        func.puente_queue = queue  # type: ignore[attr-defined]
        return func

    return declare


def route(func: Job) -> str:
    """The queue a job function goes to when its caller names none."""
    return getattr(func, "puente_queue", "housekeeping")


def job_name(func: Job) -> str:
    """A job function's name for the logs (``send_message``)."""
    return getattr(func, "__name__", repr(func))


def queue_name(prefix: str, kind: str) -> str:
    """The rq queue of one kind (``puente-turns``)."""
    return f"{prefix}-{kind}"


def job_id(kind: str, *parts: int | str) -> str:
    """An rq job id derived from the work it does (``send-42-1``): rq allows letters, digits, - and _."""
    return "-".join((kind, *map(str, parts)))


class JobQueue(Protocol):
    def enqueue(
        self, func: Job, *args: int | str, delay: float | None = None, queue: str | None = None
    ) -> None: ...

    def enqueue_unique(
        self,
        func: Job,
        jobs: Mapping[str, tuple[int | str, ...]],
        *,
        queue: str | None = None,
        delay: float | None = None,
        hurry: bool = False,
    ) -> list[str]:
        """Queue ``func(*args)`` under each job id unless a job of that id waits already; return the
        ids queued now. ``hurry``: a waiting job scheduled for later runs now instead."""

    def enqueue_once(
        self,
        func: Job,
        jobs: Mapping[str, tuple[int | str, ...]],
        job_ids: Mapping[str, str] | None = None,
        delay: float | None = None,
    ) -> list[str]:
        """Queue ``func(*args)`` for each marker unless a job under that marker waits (queued or
        scheduled, not started); return the markers queued now. ``job_ids``: the rq job id of each
        marker's job; ``delay``: they run that many seconds from now."""

    def depth(self) -> int: ...

    def backlog(self) -> dict[str, tuple[int, float]]:
        """Each queue's (jobs waiting, age in seconds of the oldest)."""

    def ping(self) -> None: ...


#: Seconds rq keeps a finished job: none. Jobs return nothing anyone reads (their work is in the
#: database), and at 80 messages/s rq's default 500 s would hold some 40,000 job hashes in Redis.
#: Failed jobs are kept (rq's failure_ttl) for `rq info` and requeueing: docs/operations.md.
KEEP_RESULTS = 0
#: Seconds an ``enqueue_once`` marker outlives its job's start at most. A marker is held only while
#: its job waits (rq's status), so this only bounds a job rq lost between taking it off the queue
#: and starting it (status still "queued"), and the markers of conversations long quiet.
MARKER_TTL = 3600
#: The rq status of each marker's job (false for no marker, or its job gone), in one round trip.
_HOLDER_STATUS = """
local statuses = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  statuses[i] = holder and redis.call('HGET', 'rq:job:' .. holder, 'status') or false
end
return statuses
"""


class RqQueue:
    def __init__(self, redis_url: str, prefix: str):
        import redis
        from rq import Queue

        self._errors = (redis.exceptions.RedisError, OSError)
        self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self.prefix = prefix
        #: One rq queue per kind, in QUEUES' order (``puente-turns``, ``puente-sends`` ...).
        self.queues = {
            kind: Queue(queue_name(prefix, kind), connection=self.redis) for kind in QUEUES
        }

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise QueueUnavailable(
                f"Redis unreachable ({type(exc).__name__}); the job will be re-driven"
            ) from None

    def enqueue(
        self, func: Job, *args: int | str, delay: float | None = None, queue: str | None = None
    ) -> None:
        rq_queue = self.queues[queue or route(func)]
        with self._reachable():
            if delay:
                rq_queue.enqueue_in(timedelta(seconds=delay), func, *args, result_ttl=KEEP_RESULTS)
            else:
                rq_queue.enqueue(func, *args, result_ttl=KEEP_RESULTS)

    def enqueue_unique(
        self,
        func: Job,
        jobs: Mapping[str, tuple[int | str, ...]],
        *,
        queue: str | None = None,
        delay: float | None = None,
        hurry: bool = False,
    ) -> list[str]:
        from rq.exceptions import DuplicateJobError

        rq_queue = self.queues[queue or route(func)]
        queued: list[str] = []
        if not jobs:
            return queued
        with self._reachable():
            # One round trip to leave out the jobs that wait already (a re-drive offers thousands).
            pipe = self.redis.pipeline(transaction=False)
            for id_ in jobs:
                pipe.hget(f"rq:job:{id_}", "status")
            statuses = dict(
                zip(jobs, (s.decode() if s else None for s in pipe.execute()), strict=True)
            )
            waiting = [status for status in WAITING if not (hurry and status == "scheduled")]
            # Started by a worker since gone, failed, or (hurry) scheduled for later: that job is
            # over or cancelled, its id free.
            self._forget(
                [id_ for id_, status in statuses.items() if status and status not in waiting]
            )
            for id_, args in jobs.items():
                if statuses[id_] in waiting:
                    continue
                try:
                    if delay:
                        rq_queue.enqueue_in(
                            timedelta(seconds=delay),
                            func,
                            *args,
                            job_id=id_,
                            unique=True,
                            result_ttl=KEEP_RESULTS,
                        )
                    else:
                        rq_queue.enqueue(
                            func, *args, job_id=id_, unique=True, result_ttl=KEEP_RESULTS
                        )
                    queued.append(id_)
                except DuplicateJobError:
                    pass  # queued by another process a moment ago
        return queued

    def _forget(self, job_ids: list[str]) -> None:
        if not job_ids:
            return
        pipe = self.redis.pipeline(transaction=False)
        for rq_queue in self.queues.values():
            pipe.zrem(rq_queue.scheduled_job_registry.key, *job_ids)
        pipe.delete(*(f"rq:job:{id_}" for id_ in job_ids))
        pipe.execute()

    def enqueue_once(
        self,
        func: Job,
        jobs: Mapping[str, tuple[int | str, ...]],
        job_ids: Mapping[str, str] | None = None,
        delay: float | None = None,
    ) -> list[str]:
        # A marker names the job queued under it; it is held while that job waits, whatever the
        # queue's length (a marker that lapsed on a timer let a second job in behind a long queue).
        # Claimed under WATCH, the claim and the jobs in one transaction: of two callers one
        # queues, the other finds that job waiting.
        from redis.exceptions import WatchError

        rq_queue = self.queues[route(func)]
        keys = {marker: self._marker_key(marker) for marker in jobs}
        ids = {marker: (job_ids or {}).get(marker) or uuid.uuid4().hex for marker in jobs}
        with self._reachable():
            if not self._free(keys, self.redis):
                return []  # under load the usual case: one round trip
            with self.redis.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(*keys.values())  # type: ignore[no-untyped-call]  # untyped in redis-py
                        queued = self._free(keys, pipe)
                        if not queued:
                            return queued
                        pipe.multi()
                        for marker in queued:
                            pipe.set(keys[marker], ids[marker], ex=MARKER_TTL)
                        self._add_jobs(
                            pipe, rq_queue, func, {ids[m]: jobs[m] for m in queued}, delay
                        )
                        pipe.execute()
                        return queued
                    except WatchError:
                        continue  # another caller claimed a marker meanwhile: look again

    @staticmethod
    def _free(keys: Mapping[str, str], client: Any) -> list[str]:
        """The markers (of these ``keys``) whose job no longer waits: started, over, or gone."""
        statuses = client.eval(_HOLDER_STATUS, len(keys), *keys.values())
        return [
            marker
            for marker, status in zip(keys, statuses, strict=True)
            if (status.decode() if status else None) not in WAITING
        ]

    @staticmethod
    def _add_jobs(
        pipe: Any,
        rq_queue: Any,
        func: Job,
        jobs: Mapping[str, tuple[int | str, ...]],
        delay: float | None,
    ) -> None:
        """Queue (or schedule ``delay`` seconds from now) each job in ``pipe``'s transaction."""
        if not delay:
            rq_queue.enqueue_many(
                [
                    rq_queue.prepare_data(func, args, result_ttl=KEEP_RESULTS, job_id=id_)
                    for id_, args in jobs.items()
                ],
                pipeline=pipe,
            )
            return
        from rq.job import JobStatus

        at = datetime.now(UTC) + timedelta(seconds=delay)
        for id_, args in jobs.items():
            job = rq_queue.create_job(
                func, args=args, result_ttl=KEEP_RESULTS, job_id=id_, status=JobStatus.SCHEDULED
            )
            rq_queue.schedule_job(job, at, pipeline=pipe)

    def _marker_key(self, marker: str) -> str:
        return f"puente:{self.prefix}:once:{marker}"

    def depth(self) -> int:
        try:
            return sum(rq_queue.count for rq_queue in self.queues.values())
        except self._errors:
            return -1

    def backlog(self) -> dict[str, tuple[int, float]]:
        try:
            pipe = self.redis.pipeline(transaction=False)
            for rq_queue in self.queues.values():
                pipe.llen(rq_queue.key)
                pipe.lindex(rq_queue.key, 0)
            heads = pipe.execute()
            pipe = self.redis.pipeline(transaction=False)
            for head in heads[1::2]:
                pipe.hget(f"rq:job:{head.decode()}", "enqueued_at") if head else pipe.echo("")
            enqueued = pipe.execute()
        except self._errors:
            return {}
        now = time.time()
        return {
            kind: (count, _age(at, now))
            for kind, count, at in zip(self.queues, heads[::2], enqueued, strict=True)
        }

    def ping(self) -> None:
        try:
            self.redis.ping()
        except self._errors as exc:
            raise QueueUnavailable(f"Redis unreachable ({type(exc).__name__})") from None


def _age(enqueued_at: bytes | None, now: float) -> float:
    """Seconds since rq's ``enqueued_at`` (UTC, ISO format), 0 for an empty queue."""
    if not enqueued_at:
        return 0.0
    from rq.utils import utcparse

    return max(0.0, now - utcparse(enqueued_at.decode()).timestamp())


class InlineQueue:
    """Runs jobs on one background thread of this process (or at once, for tests)."""

    def __init__(self, sync: bool = False):
        self.sync = sync
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="puente-job")
        self._pending = 0
        self._lock = threading.Lock()
        self._timers: set[threading.Timer] = set()  # delayed jobs, cancelled at shutdown
        self._waiting: set[str] = set()  # ids of the unique and once jobs not started yet

    def enqueue(
        self,
        func: Job,
        *args: int | str,
        delay: float | None = None,
        queue: str | None = None,
        _id: str | None = None,
    ) -> None:
        if delay:
            timer = threading.Timer(delay, self._submit_delayed, (func, args, _id))
            timer.daemon = True
            with self._lock:
                self._timers.add(timer)
            timer.start()
        elif self.sync:
            self._run(func, args, _id, counted=False)
        else:
            self._submit(func, args, _id)

    def enqueue_unique(
        self,
        func: Job,
        jobs: Mapping[str, tuple[int | str, ...]],
        *,
        queue: str | None = None,
        delay: float | None = None,
        hurry: bool = False,
    ) -> list[str]:
        with self._lock:
            queued = [id_ for id_ in jobs if id_ not in self._waiting]
            self._waiting.update(queued)
        for id_ in queued:
            self.enqueue(func, *jobs[id_], delay=delay, _id=id_)
        return queued

    def enqueue_once(
        self,
        func: Job,
        jobs: Mapping[str, tuple[int | str, ...]],
        job_ids: Mapping[str, str] | None = None,
        delay: float | None = None,
    ) -> list[str]:
        ids = {marker: f"once:{marker}" for marker in jobs}
        with self._lock:
            queued = [marker for marker in jobs if ids[marker] not in self._waiting]
            self._waiting.update(ids[marker] for marker in queued)
        for marker in queued:
            self.enqueue(func, *jobs[marker], delay=delay, _id=ids[marker])
        return queued

    def _submit_delayed(self, func: Job, args: tuple[Any, ...], id_: str | None) -> None:
        with self._lock:
            self._timers.discard(threading.current_thread())
        self._submit(func, args, id_)

    def _submit(self, func: Job, args: tuple[Any, ...], id_: str | None) -> None:
        with self._lock:
            self._pending += 1
        self._executor.submit(self._run, func, args, id_, True)

    def _run(self, func: Job, args: tuple[Any, ...], id_: str | None, counted: bool) -> None:
        with self._lock:
            self._waiting.discard(id_)
        try:
            func(*args)
        except Exception:
            # The work is still recorded in the database; the re-driver will queue it again.
            log.exception("job %s failed; it will be re-driven", job_name(func))
        finally:
            if counted:
                with self._lock:
                    self._pending -= 1

    def depth(self) -> int:
        return self._pending

    def backlog(self) -> dict[str, tuple[int, float]]:
        return {"inline": (self._pending, 0.0)}

    def ping(self) -> None:
        return None

    def cancel_delayed(self) -> None:
        """Drop the delayed jobs not started (the re-drive queues their work again on a restart)."""
        with self._lock:
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()

    def shutdown(self) -> None:
        self.cancel_delayed()
        self._executor.shutdown(wait=True)
