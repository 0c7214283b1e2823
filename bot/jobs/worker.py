"""`puente worker`: an rq worker, rq's scheduler of delayed jobs in a thread, and the periodic housekeeping."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any, cast

from rq import SimpleWorker

from bot import areas, logs
from bot.jobs.tasks import housekeeping_loop
from bot.runtime import Runtime, set_current
from bot.settings import Settings

if TYPE_CHECKING:
    from redis import Redis
    from redis.client import Pipeline
    from rq import Queue

log = logging.getLogger(__name__)

#: A worker heartbeat is skipped while the last one keeps the worker alive in Redis as long, give
#: or take this many seconds.
HEARTBEAT_SLACK_SECONDS = 10.0
#: A stopping worker waits this long for its scheduler thread to hand its locks back.
SCHEDULER_STOP_SECONDS = 5.0


def run_worker(settings: Settings, *, burst: bool = False, queues: list[str] | None = None) -> None:
    """Work through ``queues`` (names from bot.jobs.queue.QUEUES, all by default) in their order: a job
    of the first with one runs next."""
    import redis
    from rq import Queue

    from bot.jobs.queue import QUEUES, queue_name

    logs.configure(
        settings.log_level, json_lines=settings.env == "production", path=settings.log_file
    )
    yield_cpu(settings.jobs.worker_nice)
    runtime = Runtime.build(settings)
    runtime.areas = areas()
    set_current(runtime)
    runtime.warm_up()
    # The worker blocks on Redis for minutes waiting for jobs: its connection must not have the short
    # socket timeout the web side uses to fail fast.
    connection = redis.Redis.from_url(cast(str, settings.redis_url))  # bot.cli refuses without it
    listened = [
        Queue(queue_name(settings.jobs.queue_name, name), connection=connection)
        for name in queues or QUEUES
    ]
    stop = runtime.extras.setdefault("stop", threading.Event())
    if not burst:
        threading.Thread(
            target=housekeeping_loop,
            args=(runtime, stop),
            kwargs={"first_wait": False},
            name="puente-housekeeping",
            daemon=True,
        ).start()
    wait_for_redis(connection)
    scheduler = threading.Thread(
        target=schedule_delayed_jobs,
        args=(connection, listened, stop),
        kwargs={"once": burst},
        name="puente-scheduler",
    )
    scheduler.start()
    # SimpleWorker runs jobs in this process: the warm NLU model and database pool are reused by every
    # job instead of being rebuilt in a fork per job. A crash mid-job is covered by leases and re-drive.
    try:
        Worker(listened, connection=connection).work(
            with_scheduler=False, burst=burst, logging_level=settings.log_level
        )
    finally:
        stop.set()
        scheduler.join(timeout=SCHEDULER_STOP_SECONDS)


def schedule_delayed_jobs(
    connection: Redis, queues: list[Queue], stop: threading.Event, *, once: bool = False
) -> None:
    """rq's scheduler, in a thread of the worker: it moves the delayed jobs (retries, busy turns)
    whose time has come onto their queues. rq would run it in a process forked from the worker,
    which costs the machine some 70 MB (bench/README.md). One worker at a time holds each queue's
    lock (rq's); the others try again every two minutes, and a worker that stops releases it.
    ``once``: one pass, for ``--burst``."""
    import redis
    from rq.scheduler import RQScheduler

    scheduler: Any = RQScheduler(queues, connection=connection)  # rq's is not annotated
    failing = False
    try:
        while True:
            try:
                if scheduler.should_reacquire_locks:
                    scheduler.acquire_locks()
                if scheduler.acquired_locks:
                    scheduler.heartbeat()
                    scheduler.enqueue_scheduled_jobs()
                failing = False
            except redis.exceptions.RedisError as exc:
                if not failing:  # once an outage, not every second of it
                    log.warning("delayed jobs wait: Redis unreachable (%s)", type(exc).__name__)
                failing = True
            if once or stop.wait(scheduler.interval):
                return
    finally:
        with contextlib.suppress(redis.exceptions.RedisError):
            scheduler.release_locks()


class Worker(SimpleWorker):
    """rq's SimpleWorker (jobs in this process), which stops in moments instead of up to a minute.

    rq ends its listener for commands by unsubscribing and then waiting for the listening thread;
    when that thread takes the unsubscribe reply before it is told to stop, it waits another minute
    for a subscription (redis-py's sleep of 60 s), and so does the worker: every `--burst` run or
    SIGTERM could take a minute, past the grace period of a container stop."""

    _alive_until = 0.0  # time.monotonic() at which the last heartbeat's expiry falls

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        """rq beats before and after each job and each wait, three round trips each: between jobs
        under traffic, most of a job's Redis commands (bench/README.md). One that would move the
        worker's expiry by less than the slack is skipped; those inside rq's pipelines are not."""
        timeout = timeout or self.worker_ttl + 60
        moment = time.monotonic()
        if pipeline is None and moment + timeout - HEARTBEAT_SLACK_SECONDS <= self._alive_until:
            return
        super().heartbeat(timeout, pipeline=pipeline)
        self._alive_until = moment + timeout

    def unsubscribe(self) -> None:
        if self.pubsub_thread:
            self.pubsub_thread.stop(timeout=0)  # told first, so the reply ends its loop
        super().unsubscribe()  # type: ignore[no-untyped-call]  # rq's is not annotated


def wait_for_redis(connection: Redis, longest_pause: float = 5.0) -> None:
    """A worker started while Redis is down waits for it: rq's registration would otherwise end the
    process (it used to be hidden by the seconds the NLU took to train before this point)."""
    import redis

    pause = 0.25
    while True:
        try:
            connection.ping()
            return
        except redis.exceptions.ConnectionError as exc:
            log.warning(
                "Redis does not answer (%s); the worker starts once it does", type(exc).__name__
            )
            time.sleep(pause)
            pause = min(pause * 2, longest_pause)


def yield_cpu(nice: int) -> None:
    """Lower this process's CPU priority (``jobs.worker_nice``) against the processes of its session."""
    if nice > 0:
        os.nice(nice)
