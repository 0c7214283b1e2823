"""Where jobs run: rq on Redis when REDIS_URL is set, otherwise a thread in this process.

Both take the job function's dotted name and ids only, so a job's payload never holds personal data
and the same function runs either way.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Protocol

from bot.errors import QueueUnavailable

log = logging.getLogger(__name__)


class JobQueue(Protocol):
    def enqueue(self, func: str, *args: int | str, delay: float | None = None) -> None: ...

    def enqueue_once(self, ttl: float, func: str, jobs: Mapping[str, tuple[int | str, ...]]) -> list[str]:
        """Queue ``func(*args)`` for each marker unless a job under that marker is queued and not
        started; return the markers queued now. A marker lapses after ``ttl`` seconds."""

    def release(self, *markers: str) -> None:
        """The jobs under these markers have started: the next ``enqueue_once`` queues others."""

    def depth(self) -> int: ...

    def ping(self) -> None: ...


def resolve(func: str) -> Callable:
    module, _, name = func.rpartition(".")
    return getattr(importlib.import_module(module), name)


#: Seconds rq keeps a finished job: none. Jobs return nothing anyone reads (their work is in the
#: database), and at 80 messages/s rq's default 500 s would hold some 40,000 job hashes in Redis.
#: Failed jobs are kept (rq's failure_ttl) for `rq info` and requeueing: docs/operations.md.
KEEP_RESULTS = 0


class RqQueue:
    def __init__(self, redis_url: str, name: str):
        import redis
        from rq import Queue

        self._errors = (redis.exceptions.RedisError, OSError)
        self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self.queue = Queue(name, connection=self.redis)

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise QueueUnavailable(f"Redis unreachable ({type(exc).__name__}); the job will be re-driven") from None

    def enqueue(self, func: str, *args: int | str, delay: float | None = None) -> None:
        with self._reachable():
            if delay:
                self.queue.enqueue_in(timedelta(seconds=delay), func, *args, result_ttl=KEEP_RESULTS)
            else:
                self.queue.enqueue(func, *args, result_ttl=KEEP_RESULTS)

    def enqueue_once(self, ttl: float, func: str, jobs: Mapping[str, tuple[int | str, ...]]) -> list[str]:
        # Two round trips for a whole batch: the markers (SET NX), then the jobs they let through.
        with self._reachable():
            pipe = self.redis.pipeline(transaction=False)
            for marker in jobs:
                pipe.set(self._marker_key(marker), 1, nx=True, px=int(ttl * 1000))
            queued = [marker for marker, set_now in zip(jobs, pipe.execute(), strict=True) if set_now]
        if not queued:
            return queued
        try:
            with self._reachable():
                self.queue.enqueue_many([self.queue.prepare_data(func, jobs[marker], result_ttl=KEEP_RESULTS)
                                         for marker in queued])
        except QueueUnavailable:
            self.release(*queued)
            raise
        return queued

    def _marker_key(self, marker: str) -> str:
        return f"puente:{self.queue.name}:once:{marker}"

    def release(self, *markers: str) -> None:
        try:
            self.redis.delete(*map(self._marker_key, markers))
        except self._errors:
            pass  # the marker expires by itself; until then the re-driver covers what it holds back

    def depth(self) -> int:
        try:
            return self.queue.count
        except self._errors:
            return -1

    def ping(self) -> None:
        try:
            self.redis.ping()
        except self._errors as exc:
            raise QueueUnavailable(f"Redis unreachable ({type(exc).__name__})") from None


class InlineQueue:
    """Runs jobs on one background thread of this process (or at once, for tests)."""

    def __init__(self, sync: bool = False):
        self.sync = sync
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="puente-job")
        self._pending = 0
        self._lock = threading.Lock()
        self._markers: dict[str, float] = {}  # marker -> when it expires (time.monotonic)
        self._timers: set[threading.Timer] = set()  # delayed jobs, cancelled at shutdown

    def enqueue(self, func: str, *args: int | str, delay: float | None = None) -> None:
        if delay:
            timer = threading.Timer(delay, self._submit_delayed, (func, args))
            timer.daemon = True
            with self._lock:
                self._timers.add(timer)
            timer.start()
        elif self.sync:
            self._run(func, args, counted=False)
        else:
            self._submit(func, args)

    def enqueue_once(self, ttl: float, func: str, jobs: Mapping[str, tuple[int | str, ...]]) -> list[str]:
        now = time.monotonic()
        with self._lock:
            queued = [marker for marker in jobs if self._markers.get(marker, now) <= now]
            self._markers.update(dict.fromkeys(queued, now + ttl))
        for marker in queued:
            self.enqueue(func, *jobs[marker])
        return queued

    def release(self, *markers: str) -> None:
        with self._lock:
            for marker in markers:
                self._markers.pop(marker, None)

    def _submit_delayed(self, func: str, args: tuple) -> None:
        with self._lock:
            self._timers.discard(threading.current_thread())
        self._submit(func, args)

    def _submit(self, func: str, args: tuple) -> None:
        with self._lock:
            self._pending += 1
        self._executor.submit(self._run, func, args, True)

    def _run(self, func: str, args: tuple, counted: bool) -> None:
        try:
            resolve(func)(*args)
        except Exception:
            # The work is still recorded in the database; the re-driver will queue it again.
            log.exception("job %s failed; it will be re-driven", func)
        finally:
            if counted:
                with self._lock:
                    self._pending -= 1

    def depth(self) -> int:
        return self._pending

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
