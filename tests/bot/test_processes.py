"""The real processes: `puente serve` (gunicorn) on SQLite without Redis, and `puente worker` on rq."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import BOT_SMS, BOT_WHATSAPP, SECRET
from tests.support.services import free_port, puente_environ, wait_until
from tests.support.webhooks import inbound_params, signed_webhook_post

pytestmark = pytest.mark.slow


def puente_env(twilio, database_url: str, **extra: str) -> dict[str, str]:
    return puente_environ(database_url, secret=SECRET, twilio=twilio, **extra)


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise AssertionError("server never became healthy")


def settled(database_url: str) -> bool:
    """Every stored message has had its turn and no reply waits to be sent (or is being sent)."""
    from sqlalchemy import func, select

    from bot.store.db import Database
    from bot.store.models import InboundMessage, OutboxMessage

    db = Database(database_url)
    try:
        with db.session() as session:
            return not session.scalar(
                select(func.count()).where(InboundMessage.status == "received")
            ) and not session.scalar(
                select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
            )
    finally:
        db.dispose()


def test_serve_on_sqlite_answers_each_channel_in_its_language(tmp_path: Path, twilio):
    """The foundation's acceptance check, as an operator would run it."""
    db_file = tmp_path / "puente.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = puente_env(twilio, f"sqlite:///{db_file}", PUBLIC_BASE_URL=base)
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"], env=env, check=True, capture_output=True
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(base, server)
        token = twilio.auth_token
        spanish = inbound_params("+15195550177", BOT_SMS, "hola, buenos dias, tengo una pregunta")
        assert signed_webhook_post(base, "/webhooks/twilio", spanish, token).status_code == 200
        assert (
            signed_webhook_post(base, "/webhooks/twilio", spanish, token).status_code == 200
        )  # Twilio retried
        tagalog = inbound_params(
            "whatsapp:+639171110000", BOT_WHATSAPP, "magandang gabi po, may tanong po ako"
        )
        assert signed_webhook_post(base, "/webhooks/twilio", tagalog, token).status_code == 200
        forged = inbound_params("+15195550178", BOT_SMS, "hola")
        assert (
            signed_webhook_post(
                base, "/webhooks/twilio", forged, token, signature="Zm9yZ2Vk"
            ).status_code
            == 403
        )

        twilio.wait_for_messages(2, timeout=30)
        wait_until(lambda: settled(f"sqlite:///{db_file}"), 30, "every turn and send to finish")
        messages = twilio.messages  # what a second turn for Twilio's retry would have sent is in
        assert sorted(m.to for m in messages) == ["+15195550177", "whatsapp:+639171110000"]
        by_to = {m.to: m for m in messages}
        assert by_to["+15195550177"].from_ == BOT_SMS
        assert by_to["whatsapp:+639171110000"].from_ == BOT_WHATSAPP
        import nlu

        interpreter = nlu.get_interpreter()
        assert interpreter.parse(by_to["+15195550177"].body).language == "es"
        assert interpreter.parse(by_to["whatsapp:+639171110000"].body).language == "tl"
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("puente.db*"))
    for number in (b"5195550177", b"639171110000", b"5195550178"):
        assert number not in stored
        assert number.decode() not in output  # nor in the server's logs
    assert "hola" not in output and "tanong" not in output


def test_rq_worker_processes_and_sends(tmp_path: Path, twilio, make_bot, redis_url, database_url):
    """With REDIS_URL the web process only queues; a real `puente worker` answers."""
    bot = make_bot(database_url, redis_url=redis_url, jobs__inline_sync=False)
    env = puente_env(twilio, database_url, REDIS_URL=redis_url, PUBLIC_BASE_URL="http://localhost")
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log_file:  # a file, not a pipe nobody reads until the end
        # In a session of its own, as a service manager starts it.
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert bot.send("hello, good morning", sender="+15195550190").status_code == 200
        try:
            [reply] = twilio.wait_for_messages(1, timeout=90)
        except TimeoutError as exc:
            raise AssertionError(
                f"{exc}; worker log:\n{log_path.read_text(errors='replace')[-4000:]}"
            ) from None
        assert reply.to == "+15195550190" and reply.from_ == BOT_SMS
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    output = log_path.read_text(errors="replace")
    assert "5195550190" not in output and "good morning" not in output
