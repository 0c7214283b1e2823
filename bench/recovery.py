"""Benchmark: recovery after an outage (issue 26).

    python bench/recovery.py [--replies 300] [--outage 45] [--backlog 1000] [--worker-nice 10]
    python bench/recovery.py --baseline   # the same outage without the circuit, the old backoff

`puente serve` (2 gunicorn workers) and 2 `puente worker`s on a throwaway PostgreSQL database, a
private Redis and the local Twilio-compatible server. Two runs:

1. Twilio outage: every API request answered 500 for ``--outage`` seconds while ``--replies`` first
   contacts arrive; then Twilio recovers. Printed: the time from recovery until every reply reached
   Twilio, and the failed attempts per message spent during the outage.
2. Stale backlog: ``--backlog`` messages stored while no worker runs, their jobs lost (Redis
   flushed); a fresh worker starts, re-drives them, and a new worker (a person) writes for the
   first time. Printed: the time from the worker's start until the backlog is queued again, the new
   person's wait for their reply, and how long the whole backlog took.
"""

from __future__ import annotations

import argparse
import time

import redis
from sqlalchemy import func, select
from stack import (
    FIRST_CONTACTS,
    ArrivalClock,
    machine,
    post_at_rate,
    puente_stack,
    sender,
    wait_drained,
)

from bot.store.models import OutboxMessage
from tests.support.services import wait_until

#: The settings before issue 26, for --baseline: a growing backoff and no circuit.
BASELINE = {
    "PUENTE__JOBS__SEND_BACKOFF_SECONDS": "[5, 30, 120, 600]",
    "PUENTE__JOBS__CIRCUIT_FAILURES": "1000000",
}


def first_contacts(start: int, count: int) -> list[tuple[str, str]]:
    return [(sender(start + n), FIRST_CONTACTS[n % len(FIRST_CONTACTS)]) for n in range(count)]


def outage(args: argparse.Namespace, settings: dict[str, str]) -> None:
    with puente_stack(**settings) as stack:
        post_at_rate(stack, first_contacts(0, 20), rate=10)  # warm
        wait_drained(stack, timeout=120)
        sent_before = len(stack.twilio.messages)
        stack.twilio.outage(500)
        began = time.monotonic()
        post_at_rate(stack, first_contacts(3_000_000, args.replies), rate=args.rate)
        time.sleep(max(0.0, began + args.outage - time.monotonic()))
        with stack.db.session() as session:
            failed = session.scalar(
                select(func.sum(OutboxMessage.attempts)).where(OutboxMessage.status != "sent")
            )
            waiting = session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "pending")
            )
        stack.twilio.recover()
        drained, stored, replied = wait_drained(stack, timeout=args.timeout)
        sent = len(stack.twilio.messages) - sent_before
    print(
        f"Twilio outage {args.outage:g} s (every request 500) while {args.replies} first contacts arrived at "
        f"{args.rate:g}/s; {'baseline (no circuit, backoff 5/30/120/600 s)' if args.baseline else 'circuit'}"
    )
    print(
        f"  replies waiting at recovery: {waiting}; failed attempts spent: {failed or 0} "
        f"({(failed or 0) / max(waiting, 1):.2f} per message)"
    )
    print(
        f"  all replies at Twilio {drained:.1f} s after it recovered ({replied} of {stored} answered, "
        f"{sent} messages sent)"
    )


def stale_backlog(args: argparse.Namespace, settings: dict[str, str]) -> None:
    fast = {
        "PUENTE__JOBS__REDRIVE_AFTER_SECONDS": "2",
        "PUENTE__JOBS__REDRIVE_INTERVAL_SECONDS": "1",
    }
    with (
        puente_stack(rq_workers=0, **(settings | fast)) as stack,
        ArrivalClock(stack.twilio) as clock,
    ):
        post_at_rate(stack, first_contacts(4_000_000, args.backlog), rate=args.rate)
        queue = redis.Redis.from_url(stack.env["REDIS_URL"])
        queue.flushall()  # every job lost: only the database knows the work
        time.sleep(2.5)
        started = time.monotonic()
        stack.start_worker()
        backlog = f"rq:queue:{settings.get('PUENTE__JOBS__QUEUE_NAME', 'puente')}-backlog"
        wait_until(lambda: queue.llen(backlog) > 0, 300, "the re-drive", interval=0.1)
        redriven = time.monotonic() - started
        fresh = sender(5_000_000)
        posted = time.monotonic()
        stack.post("hola, necesito ayuda", sender=fresh)
        wait_until(
            lambda: fresh in clock.first_arrival, 300, "the new person's reply", interval=0.05
        )
        wait = clock.first_arrival[fresh] - posted
        left = queue.llen(backlog)
        drained, stored, replied = wait_drained(stack, timeout=args.timeout)
    print(
        f"stale backlog: {args.backlog} messages stored, their jobs lost; one fresh `puente worker`"
    )
    print(f"  worker start -> backlog queued again: {redriven:.1f} s (NLU load included)")
    print(
        f"  a new person's first reply: {wait:.2f} s after their message, {left} backlog jobs still waiting"
    )
    print(f"  whole backlog answered {drained:.1f} s after that ({replied} of {stored})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replies", type=int, default=300)
    parser.add_argument("--outage", type=float, default=45, help="seconds Twilio answers 500")
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=30, help="messages per second")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--worker-nice", type=int, default=10, help="jobs.worker_nice of the rq workers"
    )
    parser.add_argument("--baseline", action="store_true", help="no circuit, the old backoff")
    parser.add_argument("--only", choices=["outage", "backlog"])
    args = parser.parse_args()
    settings = {"PUENTE__JOBS__WORKER_NICE": str(args.worker_nice)} | (
        BASELINE if args.baseline else {}
    )
    print(machine())
    if args.only != "backlog":
        outage(args, settings)
    if args.only != "outage":
        stale_backlog(args, settings)


if __name__ == "__main__":
    main()
