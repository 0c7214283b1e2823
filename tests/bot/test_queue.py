"""What rq keeps for the operator: a failed job, with its traceback, to inspect and requeue
(docs/operations.md); a finished one is forgotten at once (its work is in the database). One job at
most waits under an ``enqueue_once`` marker, however long it waits."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot.jobs.worker import Worker


def test_a_failed_job_is_kept_with_its_traceback_and_a_finished_one_is_not(
    make_bot, sqlite_url, redis_url
):
    runtime = make_bot(sqlite_url, redis_url=redis_url).runtime
    assert runtime.enqueue(json.loads, "[1]")
    assert runtime.enqueue(json.loads, "{not json")
    queue = runtime.queue.queues["housekeeping"]  # where a function of no queue of its own goes
    [finished_id, failed_id] = queue.job_ids

    Worker([queue], connection=queue.connection).work(burst=True)

    assert queue.fetch_job(finished_id) is None
    assert queue.failed_job_registry.get_job_ids() == [failed_id]
    failed = queue.fetch_job(failed_id)
    assert "JSONDecodeError" in failed.latest_result().exc_string
    queue.failed_job_registry.requeue(failed_id)  # the documented retry
    assert queue.job_ids == [failed_id]


def test_a_worker_stops_in_moments_once_its_queue_is_empty(redis_url):
    # rq's worker used to wait up to a minute for its command listener on about one stop in twenty
    # (a `--burst` run, a SIGTERM): a hundred stops in a row make that visible.
    from redis import Redis
    from rq import Queue

    queue = Queue("stops", connection=Redis.from_url(redis_url))
    for _ in range(100):
        queue.enqueue("json.loads", "[1]")
        started = time.monotonic()
        Worker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
        assert queue.is_empty()
        assert time.monotonic() - started < 10


def test_one_job_waits_under_a_marker_however_long_the_queue(make_bot, sqlite_url, redis_url):
    # Behind a long queue a job waits longer than the re-drive delay: the re-drive's offer, and
    # every new message's, must not queue a second one meanwhile (it used to, once a timer lapsed).
    runtime = make_bot(sqlite_url, redis_url=redis_url, jobs__redrive_after_seconds=0.1).runtime
    queue = runtime.queue.queues["housekeeping"]

    def offer_many() -> None:
        with ThreadPoolExecutor(8) as callers:
            for _ in range(40):
                callers.submit(runtime.enqueue_once, json.loads, {"sweep": ("[1]",)})

    assert runtime.enqueue_once(json.loads, {"sweep": ("[1]",)})
    time.sleep(0.3)
    offer_many()
    assert len(queue.job_ids) == 1

    Worker([queue], connection=queue.connection).work(burst=True)
    offer_many()  # once it ran, the next offer queues another; of many at once, one
    assert len(queue.job_ids) == 1


def test_a_job_scheduled_under_a_marker_holds_it_until_it_runs(make_bot, sqlite_url, redis_url):
    runtime = make_bot(sqlite_url, redis_url=redis_url, jobs__redrive_after_seconds=0.1).runtime
    queue = runtime.queue.queues["housekeeping"]
    for _ in range(2):
        runtime.enqueue_once(json.loads, {"held": ("[1]",)}, delay=0.3)
        time.sleep(0.2)
    assert queue.scheduled_job_registry.count == 1

    queue.connection.delete(*queue.connection.keys("rq:job:*"))  # the job lost before it ran
    runtime.enqueue_once(json.loads, {"held": ("[1]",)})
    assert len(queue.job_ids) == 1


def test_delayed_jobs_reach_their_queue_and_a_stopped_worker_hands_the_scheduling_over(redis_url):
    # rq's scheduler runs in a thread of `puente worker` (not a forked process): a delayed job (a
    # send's retry, a busy turn looked at again) reaches its queue on time, and a worker that stops
    # releases the scheduler's lock, so the next one schedules at once rather than a minute later.
    from redis import Redis
    from rq import Queue

    from bot.jobs.worker import schedule_delayed_jobs

    connection = Redis.from_url(redis_url)
    queue = Queue("delayed-jobs", connection=connection)

    def scheduling() -> tuple[threading.Event, threading.Thread]:
        stop = threading.Event()
        thread = threading.Thread(target=schedule_delayed_jobs, args=(connection, [queue], stop))
        thread.start()
        return stop, thread

    def reaches_the_queue(delay: float) -> bool:
        job = queue.enqueue_in(timedelta(seconds=delay), "json.loads", "[1]")
        assert job.id not in queue.job_ids
        deadline = time.monotonic() + 10
        while job.id not in queue.job_ids:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    for _worker in range(2):
        stop, thread = scheduling()
        try:
            assert reaches_the_queue(0.5)
        finally:
            stop.set()
            thread.join(timeout=5)
        assert not thread.is_alive()
