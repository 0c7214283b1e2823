"""The baselines of bench/webhook.py: the least a Twilio webhook can do, served like Puente's.

The bare app checks X-Twilio-Signature with twilio's RequestValidator against the webhook's public
URL (as Puente does behind a proxy with PUBLIC_BASE_URL) and answers empty TwiML: no database, no
queue. Its durable variants (``--floors``) also do what the issue asks of every accepted message,
in the plainest way: one INSERT committed before answering (BARE_DATABASE_URL, into ``bare_inbound``)
and then one RPUSH onto a Redis list (BARE_REDIS_URL). No dedup beyond the unique MessageSid, no
encryption, no conversations, no flood check, no job: the floor under any webhook that keeps what it
accepts. Run by gunicorn (``bare_twilio:app``) with BARE_TWILIO_AUTH_TOKEN and BARE_PUBLIC_URL set.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
#: What the durable variants store into; bench/webhook.py creates it.
TABLE_DDL = "CREATE TABLE bare_inbound (id bigserial PRIMARY KEY, message_sid text UNIQUE NOT NULL, body text)"


def create_app(
    auth_token: str, public_url: str, keep: Callable[[str, str], None] | None = None
) -> Flask:
    app = Flask(__name__)
    validator = RequestValidator(auth_token)

    @app.post("/webhooks/twilio")
    def inbound() -> Response:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(public_url, request.form, signature):
            return Response("invalid signature\n", status=403)
        if keep is not None:
            keep(request.form["MessageSid"], request.form.get("Body", ""))
        return Response(EMPTY_TWIML, mimetype="text/xml")

    return app


def durable(database_url: str, redis_url: str | None) -> Callable[[str, str], None]:
    """One autocommitted INSERT per message on this thread's own connection, then an RPUSH."""
    import psycopg

    local = threading.local()
    queue = None
    if redis_url:
        import redis

        queue = redis.Redis.from_url(redis_url)

    def keep(sid: str, body: str) -> None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = psycopg.connect(database_url, autocommit=True)
        connection.execute(
            "INSERT INTO bare_inbound (message_sid, body) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (sid, body),
        )
        if queue is not None:
            queue.rpush("bare:inbound", sid)

    return keep


def __getattr__(name: str) -> Flask:
    # gunicorn imports ``bare_twilio:app`` in each worker; build it there, not on a plain import.
    if name == "app":
        database_url = os.environ.get("BARE_DATABASE_URL")
        keep = durable(database_url, os.environ.get("BARE_REDIS_URL")) if database_url else None
        return create_app(os.environ["BARE_TWILIO_AUTH_TOKEN"], os.environ["BARE_PUBLIC_URL"], keep)
    raise AttributeError(name)
