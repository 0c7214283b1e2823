"""Benchmark: how long a worker waits for the bot's answer, at a steady rate of messages.

    python bench/e2e.py [--rate 15] [--duration 30]

`puente serve` (2 gunicorn workers) and 2 `puente worker` rq workers on a throwaway PostgreSQL
database and a private Redis; each message comes from a worker the bot has not seen (first
contacts in Spanish, Tagalog and English), POSTed signed at ``--rate`` per second. The latency is
from the start of the POST to the reply's arrival at the local Twilio-compatible server: webhook,
queue, NLU, flow, outbox, send job and Twilio's REST call. Printed: p50/p90/p99/max, and the
webhook's own response time for comparison.
"""

from __future__ import annotations

import argparse

from stack import (
    FIRST_CONTACTS,
    ArrivalClock,
    machine,
    percentile,
    post_at_rate,
    puente_stack,
    sender,
    wait_drained,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=15, help="messages per second")
    parser.add_argument("--duration", type=float, default=30, help="seconds of traffic")
    parser.add_argument("--rq-workers", type=int, default=2)
    args = parser.parse_args()
    count = int(args.rate * args.duration)
    messages = [
        (sender(2_000_000 + n), FIRST_CONTACTS[n % len(FIRST_CONTACTS)]) for n in range(count)
    ]

    with puente_stack(rq_workers=args.rq_workers) as stack, ArrivalClock(stack.twilio) as clock:
        warm = [(sender(n), FIRST_CONTACTS[n % len(FIRST_CONTACTS)]) for n in range(20)]
        post_at_rate(stack, warm, rate=10)
        wait_drained(stack, timeout=60)
        posted = post_at_rate(stack, messages, args.rate)
        sending_seconds = max(p.started for p in posted) - min(p.started for p in posted)
        drain_seconds, _, _ = wait_drained(stack, timeout=300)

    accepted = [p for p in posted if p.status == 200]
    waits = [
        (clock.first_arrival[p.number] - p.started) * 1000
        for p in accepted
        if p.number in clock.first_arrival
    ]
    responses = [p.seconds * 1000 for p in accepted]
    print(
        f"inbound -> reply at the Twilio server: {len(posted)} first contacts at {args.rate:g}/s over "
        f"{sending_seconds:.0f} s; puente serve (2 gunicorn workers) + {args.rq_workers} rq workers; {machine()}"
    )
    print(
        f"answered {len(waits)} of {len(accepted)} accepted ({len(posted) - len(accepted)} not accepted); "
        f"backlog drained {drain_seconds:.1f} s after the last POST"
    )
    print(f"{'(ms)':<24} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
    for label, samples in (("POST to reply at Twilio", waits), ("webhook response", responses)):
        print(
            f"{label:<24} "
            + " ".join(f"{percentile(samples, q):>7.0f}" for q in (50, 90, 99))
            + f" {max(samples, default=float('nan')):>7.0f}"
        )


if __name__ == "__main__":
    main()
