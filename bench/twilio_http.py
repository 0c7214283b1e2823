"""The CPU of one request to Twilio's API: a kept connection against a new connection a request.

    python bench/twilio_http.py [--requests 300] [--rounds 3]

Puente's Twilio client (`PooledHttpClient`, under the real `twilio` library) sends messages to the
local Twilio-compatible server in this process, alternating two ways: on the connection its pool
keeps (as against Twilio), and with ``Connection: close`` on each request, so that each opens a
TCP connection (what every request of a bench cost while the local server closed them all).
Printed per request: the CPU of the calling thread (the client) and of the rest of the process (the
server's threads), each round, so the noise of the machine shows beside the difference.
"""

from __future__ import annotations

import argparse
import time

from stack import TwilioServer, machine
from twilio.rest import Client

from bot.channels.twilio.gateway import PooledHttpClient


class _ClosingClient(PooledHttpClient):
    """Asks the server to close the connection after each request."""

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):  # type: ignore[no-untyped-def]
        return super().request(
            method, url, params, data, {**(headers or {}), "Connection": "close"}, **kwargs
        )


def _round(twilio: TwilioServer, http: PooledHttpClient, requests: int) -> tuple[float, float]:
    """(client, server) CPU ms per send."""
    client = Client(twilio.account_sid, twilio.auth_token, http_client=http)
    client.api.base_url = twilio.url
    thread, process = time.thread_time(), time.process_time()
    for n in range(requests):
        client.messages.create(to=f"+1514555{n % 10000:04d}", from_="+15145550199", body="Hola")
    thread, process = time.thread_time() - thread, time.process_time() - process
    return thread * 1000 / requests, (process - thread) * 1000 / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    print(f"{options.requests} sends a round; {machine()}")
    print(f"{'CPU ms per send':<40} {'client':>8} {'server':>8}")
    with TwilioServer(status_callbacks=False) as twilio:
        ways = {
            "kept connection": PooledHttpClient(twilio.url, 5),
            "a connection per request": _ClosingClient(twilio.url, 5),
        }
        totals = {name: [0.0, 0.0] for name in ways}
        for number in range(1, options.rounds + 1):
            for name, http in ways.items():
                client_ms, server_ms = _round(twilio, http, options.requests)
                totals[name][0] += client_ms
                totals[name][1] += server_ms
                print(f"round {number}: {name:<31} {client_ms:8.3f} {server_ms:8.3f}")
                twilio.reset()
        for name, (client_ms, server_ms) in totals.items():
            print(
                f"mean: {name:<34} {client_ms / options.rounds:8.3f} {server_ms / options.rounds:8.3f}"
            )


if __name__ == "__main__":
    main()
