"""Benchmark: memory of Puente's processes once warm (after real traffic).

    python bench/memory.py [--messages 300]

`puente serve` (2 gunicorn workers) and 2 `puente worker` rq workers on a throwaway PostgreSQL
database and a private Redis answer ``--messages`` messages (four-message conversations), then
each process's RSS is read from /proc, with its PSS (shared pages split between the processes
sharing them, which is what the machine actually spends). Goal: a web worker < 200 MB.
"""

from __future__ import annotations

import argparse

from stack import (
    conversation_message,
    machine,
    memory_mb,
    post_at_rate,
    processes,
    puente_stack,
    wait_drained,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20, help="messages per second")
    args = parser.parse_args()

    with puente_stack() as stack:
        posted = post_at_rate(
            stack, [conversation_message(n) for n in range(args.messages)], args.rate
        )
        _, stored, replied = wait_drained(stack, timeout=300)
        figures = [(name, memory_mb(pid)) for name, pid in processes(stack)]

    print(
        f"memory after {len(posted)} messages ({replied} of {stored} stored answered); {machine()}"
    )
    print(f"{'process':<34} {'RSS MB':>8} {'PSS MB':>8}")
    for name, mb in figures:
        print(f"{name:<34} {mb['rss']:>8.0f} {mb['pss']:>8.0f}")
    web = [mb["rss"] for name, mb in figures if "web worker" in name]
    print(
        f"largest web worker {max(web):.0f} MB RSS (goal < 200 MB); "
        f"all processes {sum(mb['pss'] for _, mb in figures):.0f} MB PSS"
    )


if __name__ == "__main__":
    main()
