"""How soon a fresh bot answers: `puente --help`, and `puente run` from start to its first reply.

`puente run` is started in an empty folder (SQLite, a generated key) against the local
Twilio-compatible server; the script times the start until /healthz answers, then one "hola" from
the webhook to the reply at the Twilio server. ``--cold`` empties the model cache first, so the run
includes training the NLU models (what every fresh start cost before the cache), otherwise the cache
folder is the one `puente db upgrade` filled.

    python bench/startup.py [--runs 3] [--cold]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.services import free_port, puente_environ, wait_until  # noqa: E402
from tests.support.twilio_server import TwilioServer  # noqa: E402
from tests.support.webhooks import inbound_params, signed_webhook_post  # noqa: E402

PUENTE = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def help_seconds(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*PUENTE, "--help"], check=True, capture_output=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    return times


def first_reply(twilio: TwilioServer, cache: Path, cold: bool) -> tuple[float, float]:
    """Seconds from `puente run` to a healthy /healthz, and from there to the first reply."""
    import requests

    if cold:
        shutil.rmtree(cache, ignore_errors=True)
    twilio.reset()
    folder = Path(tempfile.mkdtemp(prefix="puente-startup-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = puente_environ(
        "", secret="", twilio=twilio, PUBLIC_BASE_URL=base, PUENTE__NLU__MODEL_CACHE_DIR=str(cache)
    )
    del env["DATABASE_URL"], env["PUENTE_SECRET_KEY"]
    start = time.perf_counter()
    process = subprocess.Popen(
        [*PUENTE, "run", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def healthy() -> bool:
            try:
                return requests.get(f"{base}/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_until(healthy, 300, "/healthz", interval=0.02)
        ready = time.perf_counter()
        params = inbound_params("+15195550101", "+15550109999", "hola")
        assert (
            signed_webhook_post(base, "/webhooks/twilio", params, twilio.auth_token).status_code
            == 200
        )
        twilio.wait_for_messages(1, timeout=300)
        return ready - start, time.perf_counter() - ready
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--cold", action="store_true", help="empty the model cache before each start"
    )
    args = parser.parse_args()
    helps = help_seconds(args.runs)
    print(
        f"puente --help: median {statistics.median(helps):.2f} s (runs: {', '.join(f'{t:.2f}' for t in helps)})"
    )
    cache = Path(tempfile.mkdtemp(prefix="puente-models-"))
    with TwilioServer() as twilio:
        if not args.cold:
            first_reply(twilio, cache, cold=True)  # fills the cache, as `puente db upgrade` does
        for run in range(args.runs):
            to_ready, to_reply = first_reply(twilio, cache, args.cold)
            print(
                f"puente run {'cold' if args.cold else 'cached'} #{run + 1}: healthy after {to_ready:.2f} s, "
                f"first reply {to_reply:.2f} s after that"
            )
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
