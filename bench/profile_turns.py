"""Where an answered message's CPU goes: the webhook and the worker's jobs, profiled in one process.

    python bench/profile_turns.py [--conversations 100] [--top 35] [--sort tottime]

On a throwaway PostgreSQL database, a private Redis and the local Twilio-compatible server, the
app (production settings) takes signed webhooks through Flask's test client, then an rq
SimpleWorker in this process runs the jobs they queued (turns, sends, deletions at Twilio), each
side under cProfile. Conversations of four messages, one message of each conversation per round,
so every turn handles one message as under live traffic. After each round's turns, the two status
callbacks Twilio makes for each reply (sent, then delivered) go to the app the same way, then the
worker runs what they queued. Printed: CPU ms per answered message on each side (webhook, status
callbacks, worker; time.thread_time: this thread only, not the Twilio server's; profiler off) and
cProfile's top functions (profiler on). Deletions are due at once.

Beside them, measured the same way in the same run, the floor: what any webhook bot answering
through Twilio spends on each answered message before doing anything of its own. The bare app
(bench/bare_twilio.py: a signature check and empty TwiML) takes the message and its two status
callbacks; the real twilio library, on Puente's HTTP pool, sends the reply and deletes two messages
(the inbound and the reply, as Puente's privacy asks); the NLU reads the text (the intent parse and
the safety triage). Puente's figures above the floor are what its own work costs.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import pstats
import time
from collections import Counter
from collections.abc import Callable

from bare_twilio import create_app as bare_app
from stack import (
    BOT_SMS,
    CONVERSATION,
    SECRET,
    WEBHOOK_PATH,
    RedisServer,
    TwilioServer,
    machine,
    sender,
    throwaway_database,
)

from bot.channels.twilio.gateway import STATUS_WEBHOOK, PooledHttpClient
from tests.support.twilio_api import callback_params
from tests.support.webhooks import inbound_params, twilio_signature

PUBLIC_URL = "http://localhost"


def _settings(database_url: str, redis_url: str, twilio: TwilioServer):
    from bot.settings import load_settings

    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PUENTE_SECRET_KEY": SECRET,
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_API_BASE_URL": twilio.url,
            "PUBLIC_BASE_URL": PUBLIC_URL,
            "PUENTE__TWILIO__STATUS_CALLBACKS": "true",
            "PUENTE__TWILIO__DELETE_WAIT_SECONDS": "0",
            "PUENTE__METRICS__TOKEN": "bench",
        }
    )
    return load_settings(env="production")


def _timed(work: Callable[[], object], profile: cProfile.Profile | None) -> float:
    start = time.thread_time()
    if profile is None:
        work()
    else:
        profile.runcall(work)
    return time.thread_time() - start


def _floor(twilio: TwilioServer, runtime, messages: int) -> dict[str, float]:
    """CPU ms per answered message of what any bot on Twilio does for it (see the docstring)."""
    from twilio.rest import Client

    bare = bare_app(twilio.auth_token, PUBLIC_URL + WEBHOOK_PATH).test_client()
    last = twilio.messages[-1]

    def webhooks(n: int) -> None:
        for params in (
            inbound_params(sender(n), BOT_SMS, CONVERSATION[n % len(CONVERSATION)]),
            *(callback_params(dataclasses.replace(last, status=s)) for s in ("sent", "delivered")),
        ):
            signature = twilio_signature(PUBLIC_URL + WEBHOOK_PATH, params, twilio.auth_token)
            response = bare.post(
                WEBHOOK_PATH, data=params, headers={"X-Twilio-Signature": signature}
            )
            assert response.status_code == 200, response.status_code

    client = Client(
        twilio.account_sid, twilio.auth_token, http_client=PooledHttpClient(twilio.url, 5)
    )
    client.api.base_url = twilio.url
    # The inbound messages deleted beside each reply (their creation is not timed).
    inbound = [
        client.messages.create(to=BOT_SMS, from_=sender(n), body="hola").sid
        for n in range(messages)
    ]
    replies: list[str] = []

    def send(n: int) -> None:
        replies.append(
            client.messages.create(to=sender(n), from_=BOT_SMS, body=CONVERSATION[0]).sid
        )

    def delete(n: int) -> None:  # Twilio deletes a message only once it is delivered
        client.messages(replies[n]).delete()
        client.messages(inbound[n]).delete()

    def delivered() -> None:
        while any(m.status != "delivered" for m in twilio.messages[-2 * messages :]):
            time.sleep(0.05)

    def nlu(n: int) -> None:
        text = CONVERSATION[n % len(CONVERSATION)]
        runtime.interpreter.parse(text)
        runtime.triage.classify(text)

    def per_message(part: Callable[[int], None]) -> float:
        return 1000 * _timed(lambda: [part(n) for n in range(messages)], None) / messages

    floor = {"bare webhooks x3": per_message(webhooks), "Twilio REST x3": per_message(send)}
    delivered()
    floor["Twilio REST x3"] += per_message(delete)
    floor["NLU"] = per_message(nlu)
    return floor


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    parser.add_argument(
        "--dump",
        metavar="PREFIX",
        help="also write PREFIX.web.prof and PREFIX.worker.prof (pstats)",
    )
    args = parser.parse_args()

    from redis.connection import Connection as RedisConnection
    from sqlalchemy import event

    from bot import create_app
    from bot.jobs.queue import QUEUES
    from bot.jobs.worker import Worker  # rq's SimpleWorker, minus its 30 s wait at each burst's end

    # The stand-in posts no callbacks: this process posts them, through the test client, to profile them.
    with (
        TwilioServer(status_callbacks=False) as twilio,
        RedisServer() as redis,
        throwaway_database() as url,
    ):
        app = create_app(_settings(url, redis.url, twilio))
        runtime = app.extensions["puente"]
        runtime.warm_up()
        statements: Counter[str] = Counter()
        checkouts = [0]
        counting = [False]

        # Redis round trips: a command or a whole pipeline is one packed send.
        redis_sends = [0]
        send_packed = RedisConnection.send_packed_command

        def _send(self, command, check_health=True) -> None:
            redis_sends[0] += counting[0]
            send_packed(self, command, check_health)

        RedisConnection.send_packed_command = _send  # type: ignore[method-assign]

        jobs = [0]
        execute_job = Worker.execute_job

        def _execute(self, job, queue) -> None:
            jobs[0] += counting[0]
            execute_job(self, job, queue)

        Worker.execute_job = _execute  # type: ignore[method-assign]

        pings = [0]
        dialect = runtime.db.engine.dialect
        do_ping = dialect.do_ping

        def _ping(dbapi_conn) -> bool:
            pings[0] += counting[0]
            return do_ping(dbapi_conn)

        dialect.do_ping = _ping  # type: ignore[method-assign]

        @event.listens_for(runtime.db.engine, "checkout")
        def _checkout(dbapi_conn, record, proxy) -> None:
            checkouts[0] += counting[0]

        @event.listens_for(runtime.db.engine, "before_cursor_execute")
        def _count(conn, cursor, statement, parameters, context, executemany) -> None:
            if counting[0]:
                statements[" ".join(statement.split())[:110]] += 1

        client = app.test_client()
        rq_queues = [runtime.queue.queues[kind] for kind in QUEUES]
        worker = Worker(rq_queues, connection=runtime.queue.redis)

        def post_signed(path: str, params: dict[str, str], expected: int) -> None:
            """A webhook as Twilio posts it, signed for the public URL."""
            signature = twilio_signature(PUBLIC_URL + path, params, twilio.auth_token)
            response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
            assert response.status_code == expected, response.status_code

        def post_round(position: int, first: int) -> None:
            for n in range(first, first + args.conversations):
                post_signed(
                    WEBHOOK_PATH, inbound_params(sender(n), BOT_SMS, CONVERSATION[position]), 200
                )

        def drain() -> None:
            worker.work(burst=True, with_scheduler=False, logging_level="WARNING")

        called_back = [0]

        def post_callbacks() -> None:
            """Twilio's "sent" then "delivered" for each reply sent since the last call."""
            sent = twilio.messages
            for message in sent[called_back[0] :]:
                for status in ("sent", "delivered"):
                    params = callback_params(dataclasses.replace(message, status=status))
                    post_signed(STATUS_WEBHOOK, params, 204)
            called_back[0] = len(sent)

        def round_trip(position: int, first: int, profiled: bool) -> None:
            """One message of each conversation: webhooks, turns, callbacks, what they queued."""
            for side, work in (
                ("web", lambda: post_round(position, first)),
                ("worker", drain),
                ("callbacks", post_callbacks),
                ("worker", drain),
            ):
                seconds = _timed(work, profiles[side] if profiled else None)
                cpu[side] += 0 if profiled else seconds

        cpu = {"web": 0.0, "callbacks": 0.0, "worker": 0.0}
        # CPU time of this thread, not wall time: waits on PostgreSQL and Redis are not the cost here.
        profiles = {side: cProfile.Profile(time.thread_time) for side in cpu}
        # A warm-up round of other workers: caches, pools and connections as in a running process.
        for position in range(len(CONVERSATION)):
            round_trip(position, 900_000, profiled=False)
        cpu = dict.fromkeys(cpu, 0.0)
        sent_before = len(twilio.messages)

        for profiled in (False, True):
            first = 1000 if not profiled else 500_000
            for position in range(len(CONVERSATION)):
                round_trip(position, first, profiled)
            if not profiled:
                answered = len(twilio.messages) - sent_before
                counting[0] = True  # the statements of the profiled round
        deletions = len(twilio.deletions)
        floor = _floor(twilio, runtime, messages=args.conversations * len(CONVERSATION))

    messages = args.conversations * len(CONVERSATION)
    print(
        f"{messages} messages ({args.conversations} conversations of {len(CONVERSATION)}), "
        f"{answered} replies at the Twilio server, {deletions} deletions in all; {machine()}"
    )
    for side, seconds in cpu.items():
        print(f"{side:<9} {1000 * seconds / messages:6.2f} ms CPU per message (profiler off)")
    total = 1000 * sum(cpu.values()) / messages
    print(f"total     {total:6.2f} ms CPU per message")
    print(
        f"floor     {sum(floor.values()):6.2f} ms CPU per message ("
        + ", ".join(f"{name} {ms:.2f}" for name, ms in floor.items())
        + f"); Puente above it {total - sum(floor.values()):.2f} ms"
    )
    print(
        f"\n{sum(statements.values()) / messages:.1f} SQL statements per message (webhook and jobs):"
    )
    print(f"{redis_sends[0] / messages:.1f} Redis round trips per message (webhook and jobs)")
    print(f"{jobs[0] / messages:.2f} rq jobs per message")
    print(
        f"{checkouts[0] / messages:.1f} database connection checkouts per message, "
        f"{pings[0] / messages:.1f} liveness pings"
    )
    for statement, count in statements.most_common(25):
        print(f"{count / messages:6.2f}  {statement}")
    for side, profile in profiles.items():
        print(f"\n=== {side} (profiled round, {args.sort})")
        pstats.Stats(profile).strip_dirs().sort_stats(args.sort).print_stats(args.top)
        if args.dump:
            profile.dump_stats(f"{args.dump}.{side}.prof")


if __name__ == "__main__":
    main()
