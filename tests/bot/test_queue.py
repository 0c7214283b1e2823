"""What rq keeps for the operator: a failed job, with its traceback, to inspect and requeue
(docs/operations.md); a finished one is forgotten at once (its work is in the database)."""

from __future__ import annotations

from rq import SimpleWorker


def test_a_failed_job_is_kept_with_its_traceback_and_a_finished_one_is_not(make_bot, sqlite_url, redis_url):
    runtime = make_bot(sqlite_url, redis_url=redis_url).runtime
    assert runtime.enqueue("json.loads", "[1]")
    assert runtime.enqueue("json.loads", "{not json")
    queue = runtime.queue.queues["housekeeping"]  # where a function of no queue of its own goes
    [finished_id, failed_id] = queue.job_ids

    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    assert queue.fetch_job(finished_id) is None
    assert queue.failed_job_registry.get_job_ids() == [failed_id]
    failed = queue.fetch_job(failed_id)
    assert "JSONDecodeError" in failed.latest_result().exc_string
    queue.failed_job_registry.requeue(failed_id)  # the documented retry
    assert queue.job_ids == [failed_id]
