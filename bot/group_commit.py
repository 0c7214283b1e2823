"""Group commit: concurrent callers in one process share one batch (one statement, one commit).

Under load each web worker's request threads would each pay a round trip, a statement and a commit
for one small row; here the first caller runs a batch of its own item and whatever others queued
while the previous batch ran, and they wait for it. A caller alone runs its item at once, so a quiet
server answers as fast as without batching. A batch that fails is run again item by item, so a bad
item fails only its own caller, and each caller raises its own exception.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("item", "ready", "leads", "settled", "result", "error")

    def __init__(self, item: T):
        self.item = item
        self.ready = threading.Event()  # set when the result is in, or when this caller leads
        self.leads = False
        self.settled = False
        self.result: R | None = None
        self.error: BaseException | None = None

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit(Generic[T, R]):
    """``batcher(item)`` returns ``run([... item ...])``'s result for that item.

    ``run`` takes a list of items and returns one result per item, in order. At most one batch runs
    at a time in this object; callers arriving meanwhile form the next one (up to ``max_batch``).
    """

    def __init__(self, run: Callable[[Sequence[T]], Sequence[R]], max_batch: int = 32):
        self._run = run
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: list[_Slot[T, R]] = []
        self._running = False  # a leader holds the batch; while False, nobody waits

    def __call__(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._lock:
            self._waiting.append(slot)
            leads = not self._running
            self._running = True
        if not leads:
            slot.ready.wait()
            if not slot.leads:
                return slot.outcome()
        self._lead()
        return slot.outcome()

    def _lead(self) -> None:
        """Run the waiting callers' batch (the leader's own item first), then pass the lead on."""
        with self._lock:
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
        try:
            self._settle(batch)
        finally:
            with self._lock:
                successor = self._waiting[0] if self._waiting else None
                self._running = successor is not None
            if successor is not None:
                successor.leads = True
                successor.ready.set()

    def _settle(self, batch: list[_Slot[T, R]]) -> None:
        try:
            try:
                for slot, result in zip(batch, self._run([slot.item for slot in batch]), strict=True):
                    slot.result, slot.settled = result, True
            except Exception as exc:
                if len(batch) == 1:
                    batch[0].error, batch[0].settled = exc, True
                    return
                for slot in batch:
                    try:
                        slot.result = self._run([slot.item])[0]
                    except Exception as alone:
                        slot.error = alone
                    slot.settled = True
        finally:
            for slot in batch:
                if not slot.settled:
                    # The leader was interrupted (a worker timeout): nobody may wait for ever.
                    slot.error = RuntimeError("the batch this item belonged to was interrupted")
                slot.ready.set()
