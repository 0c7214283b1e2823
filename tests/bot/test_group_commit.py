"""Concurrent webhook requests in one process share one batch (bot.group_commit): each caller still
gets its own result, a lone caller is not kept waiting, and a bad item fails only its own caller."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.group_commit import GroupCommit


class Recorder:
    """A batch function that takes a while (like a database round trip) and notes each batch."""

    def __init__(self, seconds: float = 0.05):
        self.seconds = seconds
        self.batches: list[list[int]] = []
        self.threads: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, items):
        with self._lock:
            self.batches.append(list(items))
            self.threads.append(threading.current_thread().name)
        time.sleep(self.seconds)
        if -1 in items:
            raise ValueError("a bad item")
        return [item * 10 for item in items]


def call_all_at_once(batcher: GroupCommit, items: list[int]) -> list:
    start = threading.Barrier(len(items))

    def call(item: int):
        start.wait()
        try:
            return batcher(item)
        except ValueError as exc:
            return exc

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(call, items))


def test_callers_at_the_same_time_share_batches_and_each_gets_its_own_result():
    run = Recorder()
    results = call_all_at_once(GroupCommit(run), list(range(1, 13)))
    assert results == [item * 10 for item in range(1, 13)]
    # The first caller runs alone; the eleven who arrive meanwhile share the next batch (or two).
    assert len(run.batches) <= 3
    assert sorted(item for batch in run.batches for item in batch) == list(range(1, 13))


def test_a_caller_alone_runs_at_once_in_its_own_thread():
    run = Recorder(seconds=0)
    batcher = GroupCommit(run)
    assert batcher(4) == 40
    assert batcher(5) == 50
    assert run.batches == [[4], [5]]
    assert run.threads == [threading.current_thread().name] * 2


def test_a_bad_item_fails_only_its_own_caller():
    run = Recorder(seconds=0.02)
    results = call_all_at_once(GroupCommit(run), [1, 2, -1, 3, 4, 5])
    assert [r for r in results if not isinstance(r, ValueError)] == [10, 20, 30, 40, 50]
    assert [str(r) for r in results if isinstance(r, ValueError)] == ["a bad item"]


def test_batches_never_exceed_their_limit():
    run = Recorder(seconds=0.02)
    results = call_all_at_once(GroupCommit(run, max_batch=3), list(range(1, 11)))
    assert results == [item * 10 for item in range(1, 11)]
    assert max(len(batch) for batch in run.batches) <= 3


def test_a_failing_batch_function_raises_in_every_caller_and_the_next_call_still_runs():
    database = {"up": False}

    def store(items):
        if not database["up"]:
            raise ConnectionError("database unreachable")
        return [0 for _ in items]

    batcher = GroupCommit(store)
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(batcher, n) for n in range(4)]
    for future in futures:
        with pytest.raises(ConnectionError):
            future.result()
    database["up"] = True
    assert batcher(7) == 0
