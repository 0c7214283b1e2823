"""Benchmark of Puente end to end (webhook to reply at Twilio), against a bare signature-checking Flask app.

    python bench/webhook.py [--duration 15] [--connections 8]

Both run under gunicorn with 2 workers (gthread, 8 threads, keep-alive: bot/server.py's options)
and both check X-Twilio-Signature. Puente's side is the whole path: `puente serve` (production
settings) on a throwaway PostgreSQL database and a private Redis, with two `puente worker` rq
workers understanding, answering and sending to the local Twilio-compatible server meanwhile.
wrk (one thread, 8 connections) replays pre-signed requests, each with its own MessageSid, from
workers in four-message conversations, for ``--duration`` seconds; then the workers drain what
was accepted. Printed: the webhook's throughput and latency, the bare app's, and the end-to-end
figures of issue 23: answered messages/s (accepted / (load + drain) seconds), its ratio to the bare
app's req/s, CPU ms per answered message (web and workers, from /proc) and the stack's PSS.
Goals: >= 207 answered messages/s (3x 69), <= 4 ms CPU a message, webhook p99 < 50 ms, <= 400 MB PSS.
The machine is shared: compare ratios within one run, and run it a few times.

``--floors`` also measures the bare app's durable variants (bench/bare_twilio.py): one INSERT per
message committed before answering, then that plus one RPUSH onto a Redis list, on the same
PostgreSQL and Redis as Puente. They show what keeping each accepted message costs by itself,
before anything Puente does with it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from bare_twilio import TABLE_DDL
from gunicorn.config import KNOWN_SETTINGS
from stack import (
    WEBHOOK_PATH,
    answered,
    conversation_message,
    cpu_seconds,
    machine,
    memory_mb,
    percentile,
    processes,
    puente_stack,
    services_cpu,
    signed_form,
    wait_drained,
)

from bot.server import WORKER_OPTIONS  # importable once stack.py has put the repository on the path

BENCH = Path(__file__).resolve().parent
LUA = BENCH / "signed_requests.lua"
BARE = "bare Flask + RequestValidator"
#: bot/server.py's gunicorn options, given to the bare app too (as the command line flags of the settings).
_FLAGS = {setting.name: setting.cli[-1] for setting in KNOWN_SETTINGS if setting.cli}
GUNICORN = [
    arg
    for name, value in WORKER_OPTIONS.items()
    if value is not None
    for arg in (_FLAGS[name], str(value))
]


@contextmanager
def bare_app(auth_token: str, public_url: str, log: Path, workers: int, **durable: str):
    """bench/bare_twilio.py under gunicorn on a free port; yields its webhook URL.

    ``durable``: BARE_DATABASE_URL (and BARE_REDIS_URL) for its durable variants."""
    from tests.support.services import free_port, wait_until

    port = free_port()
    env = (
        os.environ | {"BARE_TWILIO_AUTH_TOKEN": auth_token, "BARE_PUBLIC_URL": public_url} | durable
    )
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                *GUNICORN,
                "--bind",
                f"127.0.0.1:{port}",
                "--chdir",
                str(BENCH),
                "bare_twilio:app",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    try:
        wait_until(lambda: _answers(url), 30, "the bare app", interval=0.2)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def _answers(url: str) -> bool:
    try:
        return requests.post(url, timeout=1).status_code == 403  # no signature: refused, but up
    except requests.RequestException:
        return False


def write_requests(path: Path, public_url: str, auth_token: str, count: int, first: int) -> Path:
    """``count`` signed webhooks (messages ``first``...) as wrk's Lua script reads them."""
    with open(path, "w", encoding="ascii") as out:
        for n in range(first, first + count):
            signature, body = signed_form(public_url, auth_token, *conversation_message(n))
            out.write(f"{signature}\t{body}\n")
    return path


def warm_up(url: str, path: Path) -> None:
    """A few requests through each connection's worker, so neither side is measured cold."""
    with requests.Session() as session:
        for line in path.read_text().splitlines():
            signature, body = line.split("\t")
            session.post(
                url,
                data=body,
                headers={
                    "X-Twilio-Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )


def load(url: str, path: Path, duration: int, connections: int) -> dict[str, float]:
    """wrk's figures (or, without wrk, the fallback load generator's) for one run."""
    if shutil.which("wrk") is None:
        return python_load(url, path, duration, connections)
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        str(path),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no RESULT line:\n{output}")
    figures = {
        key: float(value) for key, value in (pair.split("=") for pair in match.group(1).split())
    }
    figures["rate"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def python_load(url: str, path: Path, duration: int, connections: int) -> dict[str, float]:
    """The fallback when wrk is missing: threads with keep-alive sessions (slower than wrk)."""
    lines = iter(path.read_text().splitlines())
    lock = threading.Lock()
    latencies: list[float] = []
    errors = {"status_errors": 0, "socket_errors": 0}
    deadline = time.monotonic() + duration

    def client() -> None:
        with requests.Session() as session:
            while time.monotonic() < deadline:
                with lock:
                    line = next(lines, None)
                if line is None:
                    return
                signature, body = line.split("\t")
                start = time.perf_counter()
                try:
                    response = session.post(
                        url,
                        data=body,
                        timeout=10,
                        headers={
                            "X-Twilio-Signature": signature,
                            "Content-Type": "application/x-www-form-urlencoded",
                        },
                    )
                    failed = "status_errors" if response.status_code >= 400 else None
                except requests.RequestException:
                    failed = "socket_errors"
                with lock:
                    latencies.append((time.perf_counter() - start) * 1e6)
                    if failed:
                        errors[failed] += 1

    begin = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begin
    return {
        "requests": len(latencies),
        "rate": len(latencies) / elapsed,
        "timeouts": 0,
        "wrapped": 0,
        **{f"p{q}_us": percentile(latencies, q) for q in (50, 90, 99)},
        "max_us": max(latencies, default=0.0),
        **errors,
    }


def baselines(
    stack, token: str, public_url: str, folder: Path, warm: Path, args: argparse.Namespace
) -> dict[str, dict]:
    """The bare app, then (``--floors``) storing each message and also queueing it, on Puente's own
    PostgreSQL and Redis; each with its own MessageSids so an INSERT never meets a duplicate."""
    variants: dict[str, dict[str, str]] = {BARE: {}}
    if args.floors:
        import psycopg

        database_url = stack.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(TABLE_DDL)
        variants["bare + INSERT"] = {"BARE_DATABASE_URL": database_url}
        variants["bare + INSERT + RPUSH"] = {
            "BARE_DATABASE_URL": database_url,
            "BARE_REDIS_URL": stack.env["REDIS_URL"],
        }
    figures = {}
    for n, (name, env) in enumerate(variants.items(), start=1):
        requests_file = write_requests(
            folder / f"bare{n}.txt", public_url, token, 6_000 * args.duration, first=n * 1_000_000
        )
        with bare_app(token, public_url, folder / "bare.log", args.web_workers, **env) as url:
            warm_up(url, warm)
            figures[name] = load(url, requests_file, args.duration, args.connections)
    return figures


def row(name: str, figures: dict[str, float]) -> str:
    errors = figures["status_errors"] + figures["socket_errors"] + figures["timeouts"]
    return (
        f"{name:<28} {figures['rate']:>9.0f} {figures['p50_us'] / 1000:>8.2f} "
        f"{figures['p90_us'] / 1000:>8.2f} {figures['p99_us'] / 1000:>8.2f} "
        f"{figures['max_us'] / 1000:>8.1f} {figures['requests']:>8.0f} {errors:>6.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of load on each app")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--rq-workers", type=int, default=2, help="0: the web side alone, nothing answered"
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        help="jobs.worker_nice for the rq workers (default: config.yaml's)",
    )
    parser.add_argument(
        "--floors",
        action="store_true",
        help="also measure the bare app storing each message (INSERT) and queueing it (RPUSH)",
    )
    args = parser.parse_args()
    settings = (
        {} if args.worker_nice is None else {"PUENTE__JOBS__WORKER_NICE": str(args.worker_nice)}
    )
    generator = (
        "wrk -t1"
        if shutil.which("wrk")
        else "Python threads (wrk is not installed: apt-get install wrk)"
    )

    with (
        puente_stack(args.web_workers, args.rq_workers, **settings) as stack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder, token = Path(tmp), stack.twilio.auth_token
        public_url = stack.base_url + WEBHOOK_PATH
        warm = write_requests(folder / "warm.txt", public_url, token, 100, first=0)
        measured = baselines(stack, token, public_url, folder, warm, args)
        bare = measured[BARE]

        # Enough distinct messages that none repeats: Puente is not faster than the bare app.
        puente_requests = write_requests(
            folder / "puente.txt", public_url, token, int(bare["requests"] * 1.1) + 1000, first=100
        )
        warm_up(public_url, warm)
        if args.rq_workers:
            wait_drained(stack, timeout=60)
        stored_before, replied_before = answered(stack)
        pids = [pid for _, pid in processes(stack)]
        cpu_before, services_before = cpu_seconds(pids), services_cpu(stack.env["REDIS_URL"])
        puente = load(public_url, puente_requests, args.duration, args.connections)
        stored_at_end, replied_at_end = answered(stack)
        # With no rq workers the web side is measured alone: the messages stay queued.
        drain_seconds, stored, replied = (
            wait_drained(stack) if args.rq_workers else (0.0, stored_at_end, replied_at_end)
        )
        cpu_after, services_after = cpu_seconds(pids), services_cpu(stack.env["REDIS_URL"])
        web_pids = {stack.web.pid, *stack.web.children()}
        cpu = {
            side: sum(
                cpu_after[pid] - cpu_before[pid]
                for pid in cpu_after
                if pid in cpu_before and (pid in web_pids) == (side == "web")
            )
            for side in ("web", "workers")
        }
        pss_by_process = {name: memory_mb(pid)["pss"] for name, pid in processes(stack)}
        pss = sum(pss_by_process.values())

    print(
        f"webhook under gunicorn ({args.web_workers} workers), {generator}, {args.connections} connections, "
        f"{args.duration} s each; {machine()}"
    )
    print(
        f"{'':<28} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'requests':>8} {'errors':>6}"
    )
    for name, figures in measured.items():
        print(row(name, figures))
    print(row(f"puente serve + {args.rq_workers} rq workers", puente))
    ratio = puente["rate"] / bare["rate"]
    print(
        f"throughput ratio puente/bare: {ratio:.2f}x (goal >= 0.5x); "
        f"puente p99 {puente['p99_us'] / 1000:.1f} ms (goal < 50 ms)"
    )
    floors = {name: figures for name, figures in measured.items() if name != BARE}
    for name, figures in floors.items():
        print(
            f"{name}: {figures['rate'] / bare['rate']:.2f}x the bare app; "
            f"puente = {puente['rate'] / figures['rate']:.2f}x of it"
        )
    # Only an app that keeps what it gets does less for a repeated MessageSid.
    for name, figures in {**floors, "puente": puente}.items():
        if figures["wrapped"]:
            print(
                f"warning: {name}'s request list wrapped {figures['wrapped']:.0f} time(s): "
                "some MessageSids repeated"
            )
    accepted = stored - stored_before
    if not args.rq_workers:
        busy = {
            name: 1000 * (services_after[name] - services_before[name]) / max(accepted, 1)
            for name in services_after
        }
        print(
            f"accepted {accepted} messages, left queued (no rq workers: the web side alone); "
            f"web CPU {1000 * cpu['web'] / max(accepted, 1):.2f} ms a message; "
            + ", ".join(f"{name} {ms:.2f}" for name, ms in busy.items())
        )
        return
    answered_now = replied - replied_before
    end_to_end = answered_now / (args.duration + drain_seconds)
    print(
        f"accepted {accepted} messages; {replied_at_end - replied_before} answered at the Twilio server when "
        f"the load stopped, {answered_now} after the workers drained the backlog "
        f"({drain_seconds:.1f} s after the load)"
    )
    per_message = {side: 1000 * seconds / max(answered_now, 1) for side, seconds in cpu.items()}
    print(
        f"END TO END: {end_to_end:.0f} answered msg/s = {end_to_end / bare['rate']:.3f}x the bare app's "
        f"{bare['rate']:.0f} req/s (goal >= 207 msg/s); CPU {sum(per_message.values()):.2f} ms/message "
        f"(web {per_message['web']:.2f} + workers {per_message['workers']:.2f}; goal <= 4); "
        f"webhook p50 {puente['p50_us'] / 1000:.1f} p99 {puente['p99_us'] / 1000:.1f} ms; "
        f"stack PSS {pss:.0f} MB (goal <= 400)"
    )
    print("PSS MB: " + ", ".join(f"{name} {mb:.0f}" for name, mb in pss_by_process.items()))
    # Where the machine's cores went, per answered message: Puente's share and what ran beside it.
    spent = {
        name: 1000 * (services_after[name] - services_before[name]) / max(answered_now, 1)
        for name in services_after
    }
    machine_ms = spent.pop("machine")
    beside = ", ".join(f"{name} {ms:.2f}" for name, ms in spent.items())
    other = machine_ms - sum(per_message.values()) - sum(spent.values())
    print(
        f"MACHINE: {machine_ms:.2f} ms of CPU per answered message on its {os.cpu_count()} cores: "
        f"puente {sum(per_message.values()):.2f}, {beside}, other {other:.2f}"
    )


if __name__ == "__main__":
    main()
