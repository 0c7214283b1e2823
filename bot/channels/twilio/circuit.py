"""Twilio's health as every worker sees it: a circuit breaker shared through Redis.

Without it, each send of an outage burns its attempts on its own growing backoff and nobody notices
Twilio is back until the longest wait ends. ``jobs.circuit_failures`` failed sends in a row (from any
worker) open the circuit; while it is open sends wait in the outbox without spending attempts, and
one probe at a time asks Twilio whether it answers, after ``jobs.circuit_probe_seconds`` (the last
interval repeating). The first answer closes the circuit; whoever closes it releases the waiting
sends (bot.outbox). Without Redis (one process) the same state lives in memory.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from redis import Redis

KEY = "puente:circuit:twilio"


@dataclass(frozen=True)
class CircuitState:
    open: bool = False
    failures: int = 0  # failed sends in a row
    opened_at: float | None = None  # epoch seconds
    probes: int = 0  # probes scheduled since it opened
    probe_at: float | None = None  # when the latest probe is due (epoch seconds)


class Circuit:
    def __init__(
        self, redis: Redis | None = None, *, failures: int, probe_seconds: list[float]
    ) -> None:
        self.redis = redis
        self.threshold = failures
        self.probe_seconds = probe_seconds
        self._local: dict[str, float] = {}
        self._lock = threading.Lock()

    def state(self) -> CircuitState:
        """Where the circuit stands; closed when Redis cannot say (a send then simply tries)."""
        fields = self._read()
        opened_at = fields.get("opened_at")
        return CircuitState(
            open=opened_at is not None,
            failures=int(fields.get("failures", 0)),
            opened_at=opened_at,
            probes=int(fields.get("probes", 0)),
            probe_at=fields.get("probe_at"),
        )

    def failed(self) -> bool:
        """Count a failed send; True when it is the one that opens the circuit."""
        now = time.time()
        if self.redis is None:
            with self._lock:
                self._local["failures"] = self._local.get("failures", 0) + 1
                if self._local["failures"] < self.threshold or "opened_at" in self._local:
                    return False
                self._local["opened_at"] = now
                return True
        try:
            failures = self.redis.hincrby(KEY, "failures", 1)
            return failures >= self.threshold and bool(self.redis.hsetnx(KEY, "opened_at", now))
        except self._errors():
            return False

    def closed(self) -> bool:
        """A send or probe got through: forget the failures; True when this call closed an open
        circuit (the caller then releases the waiting sends)."""
        if self.redis is None:
            with self._lock:
                was_open = "opened_at" in self._local
                self._local.clear()
                return was_open
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.hget(KEY, "opened_at")
            pipe.delete(KEY)
            opened_at, deleted = pipe.execute()
        except self._errors():
            return False
        return bool(opened_at and deleted)

    def next_probe(self) -> tuple[int, float]:
        """Number the next probe and say when it is due (seconds from now), at growing intervals."""
        if self.redis is None:
            with self._lock:
                n = int(self._local.get("probes", 0)) + 1
                self._local["probes"] = n
        else:
            n = self.redis.hincrby(KEY, "probes", 1)
        delay = self.probe_seconds[min(n - 1, len(self.probe_seconds) - 1)]
        if self.redis is None:
            self._local["probe_at"] = time.time() + delay
        else:
            self.redis.hset(KEY, "probe_at", time.time() + delay)
        return n, delay

    def probe_overdue(self, grace: float) -> bool:
        """Open, and its latest probe is ``grace`` seconds late (its job was lost): schedule another."""
        state = self.state()
        return state.open and (state.probe_at or state.opened_at or 0) + grace < time.time()

    def _read(self) -> dict[str, float]:
        if self.redis is None:
            with self._lock:
                return dict(self._local)
        try:
            # The connection does not decode responses: keys come back as bytes.
            fields = self.redis.hgetall(KEY).items()
            return {cast(bytes, key).decode(): float(value) for key, value in fields}
        except self._errors():
            return {}

    def _errors(self) -> tuple[type[BaseException], ...]:
        import redis

        return (redis.exceptions.RedisError, OSError)
